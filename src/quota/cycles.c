/*-------------------------------------------------------------------------
 *
 * cycles.c
 *	  sp_reset_monthly_cycles() and sp_change_user_plan().
 *
 * Both change the subscription row, which is also what the quota check
 * locks, so each of them and a concurrent check take turns: the check sees
 * either the old cycle or plan, or the new one, never a mix.
 *
 * Cycles are calendar months in UTC: [first of the month 00:00 UTC, first
 * of the next month 00:00 UTC).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "quota/cycles.h"
#include "quota/quota.h"

/* Columns: 1 subscriptions reset, 2 new cycle start, 3 new cycle end (text, UTC). */
static const StmtDef reset_cycles = {
	"quota.cycles.reset",
	"WITH b AS ("
	"  SELECT pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC') AS cycle_start,"
	"         (pg_catalog.date_trunc('month', pg_catalog.now() AT TIME ZONE 'UTC')"
	"          + interval '1 month') AT TIME ZONE 'UTC' AS cycle_end),"
	" r AS ("
	"  UPDATE experiments.user_subscriptions s"
	"     SET cycle_start = b.cycle_start, cycle_end = b.cycle_end,"
	"         usage_count = 0, used_seconds = 0"
	"    FROM b"
	"   WHERE s.cycle_end <= pg_catalog.now()"
	"  RETURNING 1)"
	" SELECT (SELECT pg_catalog.count(*) FROM r),"
	"        pg_catalog.to_char(b.cycle_start AT TIME ZONE 'UTC',"
	"                           'YYYY-MM-DD HH24:MI:SS\"+00\"'),"
	"        pg_catalog.to_char(b.cycle_end AT TIME ZONE 'UTC',"
	"                           'YYYY-MM-DD HH24:MI:SS\"+00\"')"
	"   FROM b",
	0, {InvalidOid}
};

PG_FUNCTION_INFO_V1(experiments_sp_reset_monthly_cycles);

/*
 * experiments_sp_reset_monthly_cycles(): PROCEDURE.  Every subscription
 * whose cycle has ended moves to the current month with its counters
 * zeroed; a second run finds nothing to do.  NOTICE with the count.
 */
Datum
experiments_sp_reset_monthly_cycles(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	bool		isnull;
	int64		count;
	char	   *from;
	char	   *to;

	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&reset_cycles, NULL, NULL, NULL, false, 0, SPI_OK_SELECT);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	from = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	to = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	ereport(NOTICE,
			(errmsg("Reset " INT64_FORMAT " subscriptions for new cycle %s to %s",
					count, from, to)));
	api_spi_end(&guard);
	PG_RETURN_VOID();
}

static const StmtDef find_plan = {
	"quota.cycles.find_plan",
	"SELECT id FROM experiments.plans WHERE code = $1",
	1, {TEXTOID}
};

/* Columns: 1 id, 2 plan_id, 3 active. */
static const StmtDef lock_subscription = {
	"quota.cycles.lock_subscription",
	"SELECT s.id, s.plan_id,"
	"       s.cycle_start <= pg_catalog.now() AND s.cycle_end > pg_catalog.now()"
	"  FROM experiments.user_subscriptions s"
	" WHERE s.user_id = $1"
	"   FOR UPDATE",
	1, {UUIDOID}
};

static const StmtDef change_plan = {
	"quota.cycles.change_plan",
	"UPDATE experiments.user_subscriptions"
	"   SET plan_id = $2,"
	"       usage_count = CASE WHEN $3 THEN 0 ELSE usage_count END,"
	"       used_seconds = CASE WHEN $3 THEN 0 ELSE used_seconds END"
	" WHERE id = $1",
	3, {UUIDOID, UUIDOID, BOOLOID}
};

PG_FUNCTION_INFO_V1(experiments_sp_change_user_plan);

/*
 * experiments_sp_change_user_plan(in_user_id, in_new_plan_code, in_prorate,
 * OUT success, OUT message): PROCEDURE; answers one row.  Refusals are
 * (false, message), as in the seed; an unknown user is P0002.
 */
Datum
experiments_sp_change_user_plan(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	TupleDesc	desc;
	ApiGuard	guard;
	char	   *code;
	bool		prorate;
	Datum		args[3];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	bool		isnull;
	Datum		plan_id;
	char	   *message = NULL;
	Datum		result;

	arg_not_null(fcinfo, 0, "in_user_id");
	code = arg_cstring(fcinfo, 1, "in_new_plan_code");
	arg_not_null(fcinfo, 2, "in_prorate");
	prorate = PG_GETARG_BOOL(2);
	desc = row_result_desc(fcinfo);

	api_spi_begin(fcinfo, &guard);

	args[0] = CStringGetTextDatum(code);
	if (stmt_run(&find_plan, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		message = psprintf("Plan %s not found", code);
	else
	{
		plan_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		args[0] = PG_GETARG_DATUM(0);
		if (stmt_run(&lock_subscription, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		{
			quota_require_user(args[0]);
			message = "No active subscription found";
		}
		else if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 3, &isnull)))
			message = "No active subscription found";
		else if (DatumGetBool(DirectFunctionCall2(uuid_eq, plan_id,
												  SPI_getbinval(SPI_tuptable->vals[0],
																SPI_tuptable->tupdesc,
																2, &isnull))))
			message = "Already on this plan";
		else
		{
			args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			args[1] = plan_id;
			args[2] = BoolGetDatum(prorate);
			(void) stmt_run(&change_plan, NULL, args, NULL, false, 0, SPI_OK_UPDATE);
		}
	}

	MemoryContextSwitchTo(caller);
	values[0] = BoolGetDatum(message == NULL);
	values[1] = CStringGetTextDatum(message != NULL ? message :
									psprintf("Successfully changed plan to %s", code));
	result = row_result(desc, values, nulls);
	api_spi_end(&guard);

	PG_RETURN_DATUM(result);
}
