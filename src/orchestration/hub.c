/*-------------------------------------------------------------------------
 *
 * hub.c
 *	  Helpers every orchestration entry point uses: its hub, times in
 *	  epoch milliseconds, lock tokens, the contract's lock errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "orchestration/orchestration.h"

const char *
orch_hub(FunctionCallInfo fcinfo)
{
	return NameStr(api_routine(fcinfo)->schema_name);
}

bool
orch_hub_is_default(const char *hub)
{
	return strcmp(hub, STMT_SCHEMA_DEFAULT) == 0;
}

TimestampTz
orch_ms_to_timestamptz(int64 ms)
{
	/* microseconds since 2000-01-01, the PostgreSQL epoch */
	return ms * INT64CONST(1000) -
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

int64
orch_arg_now_ms(FunctionCallInfo fcinfo, int argno, const char *name)
{
	return arg_int64_in(fcinfo, argno, name, 0, ORCH_MAX_MS);
}

int64
orch_arg_span_ms(FunctionCallInfo fcinfo, int argno, const char *name, int64 dflt)
{
	if (PG_ARGISNULL(argno))
		return dflt;
	return arg_int64_in(fcinfo, argno, name, 0, ORCH_MAX_SPAN_MS);
}

Datum
orch_new_lock_token(void)
{
	return CStringGetTextDatum(psprintf("lock_%s",
										uuid_cstring(UUIDPGetDatum(uuid_random()))));
}

bool
orch_token_item_id(text *token, int64 *id)
{
	const char *s = VARDATA_ANY(token);
	int			len = VARSIZE_ANY_EXHDR(token);
	int			i = len;
	int64		v = 0;

	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	/* a '.', then 1 to 18 digits: never more than INT64_MAX */
	if (i == 0 || s[i - 1] != '.' || i == len || len - i > 18)
		return false;
	for (; i < len; i++)
		v = v * 10 + (s[i] - '0');
	*id = v;
	return true;
}

void
orch_lock_error(const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s", msg)));
}

void
orch_check_json_object(text *value, const char *name)
{
	Jsonb	   *jb;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
											CStringGetDatum(text_to_cstring(value))));
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", name)));
}

void
orch_srf_begin_scalar(FunctionCallInfo fcinfo, const char *column, Oid type)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(desc, (AttrNumber) 1, column, type, -1, 0);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = desc;
	MemoryContextSwitchTo(old);
}
