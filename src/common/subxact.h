/*-------------------------------------------------------------------------
 *
 * subxact.h
 *	  Run a piece of work in a subtransaction and turn its error into data.
 *
 *	CaughtError err;
 *	if (!subxact_run(insert_one_item, &item, &err))
 *		report err.sqlstate and err.message for this item; carry on
 *
 * Nothing the failed body wrote survives; everything before and after it
 * does.  Errors that must never be hidden - out of memory and other
 * resource exhaustion, query cancel and shutdown, internal errors - are
 * re-thrown instead of caught.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_SUBXACT_H
#define EXPERIMENTS_SUBXACT_H

#include "postgres.h"

typedef struct CaughtError
{
	int			sqlerrcode;
	char		sqlstate[6];	/* five characters and a NUL */
	char	   *message;
	char	   *detail;			/* may be NULL */
	char	   *hint;			/* may be NULL */
} CaughtError;

typedef void (*SubxactBody) (void *arg);

/* true when body finished; false with *err filled when it raised. */
extern bool subxact_run(SubxactBody body, void *arg, CaughtError *err);

/* Is this SQLSTATE one a subtransaction runner must let through? */
extern bool subxact_must_rethrow(int sqlerrcode);

#endif							/* EXPERIMENTS_SUBXACT_H */
