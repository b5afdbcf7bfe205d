/*-------------------------------------------------------------------------
 *
 * lookup.h
 *	  sp_find_user: a user's id by email or user name.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_LOOKUP_H
#define EXPERIMENTS_QUOTA_LOOKUP_H

#include "postgres.h"
#include "fmgr.h"

extern PGDLLEXPORT Datum experiments_sp_find_user(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_QUOTA_LOOKUP_H */
