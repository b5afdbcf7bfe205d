/*-------------------------------------------------------------------------
 *
 * nonatomic.h
 *	  Committing inside a CALL that runs outside a transaction block.
 *
 *	if (quota_call_is_nonatomic(fcinfo))
 *		quota_spi_begin_nonatomic(fcinfo, &guard);
 *	...
 *	quota_commit(&guard);        -- the work so far is committed
 *
 * PostgreSQL lets a procedure commit only when CALL ran at the top level,
 * outside BEGIN ... COMMIT (CallContext.atomic is false).
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_NONATOMIC_H
#define EXPERIMENTS_QUOTA_NONATOMIC_H

#include "postgres.h"
#include "fmgr.h"

#include "common/guard.h"

/* Was this procedure CALLed where it may commit? */
extern bool quota_call_is_nonatomic(FunctionCallInfo fcinfo);

/* api_spi_begin, but with SPI_connect_ext(SPI_OPT_NONATOMIC). */
extern void quota_spi_begin_nonatomic(FunctionCallInfo fcinfo, ApiGuard *guard);

/*
 * Commit the transaction and start a new one, still inside the guard.
 * Around the commit the lookup path is unpinned (api_guard_suspend) and the
 * caller's user id and security context are back in place: a transaction
 * must neither start nor end with the guard's user switched in, or an
 * error in the next transaction would restore the owner, not the caller.
 */
extern void quota_commit(ApiGuard *guard);

#endif							/* EXPERIMENTS_QUOTA_NONATOMIC_H */
