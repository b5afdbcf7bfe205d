/*-------------------------------------------------------------------------
 *
 * experiments.h
 *	  Experiments domain, part 1: definitions, deterministic assignment,
 *	  events, conversions, the outbox relay and the leads queue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_EXPERIMENTS_H
#define EXPERIMENTS_EXPERIMENTS_H

#include "postgres.h"
#include "fmgr.h"

extern Datum experiments_install_realtime_publication(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_EXPERIMENTS_H */
