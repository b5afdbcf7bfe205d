/*-------------------------------------------------------------------------
 *
 * nonatomic.c
 *	  SPI_commit inside the call guard.
 *
 * quota_commit() steps out of the call guard for the commit and back in
 * afterwards (api_guard_suspend/api_guard_resume): the transaction the commit
 * starts must begin as the caller, so that an error in it falls back to the
 * caller and never leaves the session running as the extension owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"

#include "quota/nonatomic.h"

bool
quota_call_is_nonatomic(FunctionCallInfo fcinfo)
{
	/* inside a caller's subtransaction (an EXCEPTION block) no commit is possible */
	return fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		!((CallContext *) fcinfo->context)->atomic && !IsSubTransaction();
}

void
quota_spi_begin_nonatomic(FunctionCallInfo fcinfo, ApiGuard *guard)
{
	api_guard_enter(fcinfo, guard);
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");
}

void
quota_commit(ApiGuard *guard)
{
	api_guard_suspend(guard);
	SPI_commit();
	api_guard_resume(guard);
}
