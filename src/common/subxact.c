/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  The subtransaction runner behind per-item batch errors and the
 *	  campaign domain's error envelope.
 *
 * This is the same dance PL/pgSQL does for an EXCEPTION block: begin an
 * internal subtransaction, run, and either release it or roll it back and
 * restore the memory context and resource owner of the caller.  SPI may be
 * connected around it; SPI cleans up after a rolled-back subtransaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "common/subxact.h"

bool
subxact_must_rethrow(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_INSUFFICIENT_RESOURCES:	/* 53: out of memory, disk full */
		case ERRCODE_PROGRAM_LIMIT_EXCEEDED:	/* 54 */
		case ERRCODE_OPERATOR_INTERVENTION: /* 57: cancel, shutdown */
		case ERRCODE_SYSTEM_ERROR:	/* 58 */
		case ERRCODE_INTERNAL_ERROR:	/* XX */
			return true;
		default:
			return false;
	}
}

bool
subxact_run(SubxactBody body, void *arg, CaughtError *err)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile bool ok = false;

	BeginInternalSubTransaction(NULL);
	/* run the body in the caller's memory, so what it returns survives */
	MemoryContextSwitchTo(caller_cxt);

	PG_TRY();
	{
		body(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_cxt);
		CurrentResourceOwner = caller_owner;
		ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_cxt);
		edata = CopyErrorData();
		FlushErrorState();

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_cxt);
		CurrentResourceOwner = caller_owner;

		if (subxact_must_rethrow(edata->sqlerrcode))
			ReThrowError(edata);

		err->sqlerrcode = edata->sqlerrcode;
		strlcpy(err->sqlstate, unpack_sql_state(edata->sqlerrcode),
				sizeof(err->sqlstate));
		err->message = edata->message ? edata->message : pstrdup("unknown error");
		err->detail = edata->detail;
		err->hint = edata->hint;
	}
	PG_END_TRY();

	return ok;
}
