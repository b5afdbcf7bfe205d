/*
 * settings.h
 *	  The library's configuration parameters (settings.c).
 */
#ifndef EXPERIMENTS_SETTINGS_H
#define EXPERIMENTS_SETTINGS_H

/* experiments.durable_leases */
extern bool experiments_durable_leases;

#endif
