/*-------------------------------------------------------------------------
 *
 * by_user.h
 *	  Reading a stream of events grouped by user (by_user.c).
 *
 * The funnels read the experiment's events sorted by BY_USER_ORDER, so that
 * each user's events arrive together, and count a user once per (variant,
 * step) by stamping it with the number of the last user counted there.
 * The sort leads with the user id's hash: most comparisons are then between
 * two int4s rather than two ids that share a prefix; the id itself follows,
 * so two users with one hash still do not interleave.  The sort runs in the
 * statement (in parallel workers when the plan has them, and within
 * work_mem like any sort); the C side keeps one counter and one stamp per
 * (variant, step), whatever the number of users.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_BY_USER_H
#define EXPERIMENTS_BY_USER_H

#include "postgres.h"

#define BY_USER_ORDER "pg_catalog.hashtext(e.user_id), e.user_id"

typedef struct UserRuns
{
	uint64		seq;			/* users seen so far: the current user's number */
	char	   *id;				/* the current user's id (not terminated) */
	Size		len;
	Size		cap;
	MemoryContext cxt;			/* where id lives */
} UserRuns;

/* Start with no user; the id is kept in the current memory context. */
extern void user_runs_init(UserRuns *runs);

/*
 * The next row's user id (a text datum): true when it starts a new user
 * (runs->seq then counts it), false when it is the current user again.
 */
extern bool user_runs_next(UserRuns *runs, Datum user);

#endif							/* EXPERIMENTS_BY_USER_H */
