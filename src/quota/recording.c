/*-------------------------------------------------------------------------
 *
 * recording.c
 *	  sp_check_quota_and_create_recording(): check the cycle's limits and
 *	  create a recording, race-free.
 *
 * The subscription row is the lock.  One statement does the whole check:
 * its first part locks the row FOR UPDATE and reads the counters and the
 * plan's limits; a concurrent check, plan change, cycle reset or completion
 * of the same user waits for our transaction and then works on the row as we
 * left it (READ COMMITTED re-reads the newest version of a locked row).  The
 * decision is made on those newest counters inside the statement, and only
 * when it allows does the same statement insert the recording and increment
 * the counter, so the counter always equals the recordings created in the
 * cycle.  The counter update meets the row we locked; when a concurrent
 * transaction changed it before our lock, the update re-reads the newest
 * version, the one the decision saw.  A refusal writes nothing; the C code
 * reads the counters back to say which limit refused.
 *
 * The limits are read with scalar subqueries, not a join: a join would, on
 * re-checking a row changed by a concurrent plan change, keep the old plan
 * row and drop the subscription as "not found".  A plan created after our
 * snapshot is not visible to the subqueries; then nothing is written, the
 * limits are read again with a fresh snapshot and the recording is created
 * by a second statement while the row is still locked.
 *
 * That is the SQL way, kept for tables changed by their owner; a check
 * normally does the same without SQL (check_direct.c).
 *
 * Refusals are rows, with the seed's messages: no active subscription (none,
 * or its cycle has ended and sp_reset_monthly_cycles has not moved it yet),
 * the recording count limit, the minutes limit (checked in that order).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_read.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "quota/check_direct.h"
#include "quota/quota.h"
#include "quota/recording.h"

const char *const quota_sources[] = {"realtime", "upload", NULL};

/*
 * Columns: 1 id, 2 plan_id, 3 usage_count, 4 used_seconds, 5 active,
 * 6 usage limit, 7 minutes, 8 the new recording's id (NULL: nothing written).
 */
static const StmtDef check_and_create = {
	"quota.check.check_and_create",
	"WITH s AS ("
	"  SELECT s.id, s.plan_id, s.usage_count, s.used_seconds,"
	"         s.cycle_start <= pg_catalog.now() AND s.cycle_end > pg_catalog.now() AS active,"
	"         (SELECT p.monthly_usage_limit FROM experiments.plans p"
	"           WHERE p.id = s.plan_id) AS usage_limit,"
	"         (SELECT p.monthly_minutes FROM experiments.plans p"
	"           WHERE p.id = s.plan_id) AS minutes"
	"    FROM experiments.user_subscriptions s"
	"   WHERE s.user_id = $1"
	"     FOR UPDATE OF s),"
	" ok AS ("
	"  SELECT s.id FROM s"
	"   WHERE s.active AND s.usage_count < s.usage_limit"
	"     AND s.used_seconds::pg_catalog.int8 < s.minutes::pg_catalog.int8 * 60),"
	" r AS ("
	"  INSERT INTO experiments.recordings (user_id, source, language, meta)"
	"  SELECT $1, $2, $3, $4 FROM ok"
	"  RETURNING id),"
	" c AS ("
	"  UPDATE experiments.user_subscriptions u"
	"     SET usage_count = u.usage_count + 1"
	"   WHERE u.id = (SELECT ok.id FROM ok))"
	" SELECT s.id, s.plan_id, s.usage_count, s.used_seconds, s.active,"
	"        s.usage_limit, s.minutes, (SELECT r.id FROM r)"
	"   FROM s",
	4, {UUIDOID, TEXTOID, TEXTOID, JSONBOID}
};

static const StmtDef plan_limits = {
	"quota.check.plan_limits",
	"SELECT p.monthly_usage_limit, p.monthly_minutes"
	"  FROM experiments.plans p WHERE p.id = $1",
	1, {UUIDOID}
};

static const StmtDef create_recording = {
	"quota.check.create_recording",
	"WITH r AS ("
	"  INSERT INTO experiments.recordings (user_id, source, language, meta)"
	"  VALUES ($1, $2, $3, $4)"
	"  RETURNING id),"
	" c AS ("
	"  UPDATE experiments.user_subscriptions"
	"     SET usage_count = usage_count + 1"
	"   WHERE id = $5)"
	" SELECT r.id FROM r",
	5, {UUIDOID, TEXTOID, TEXTOID, JSONBOID, UUIDOID}
};

static int32
int32_column(int col, bool *isnull)
{
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, col, isnull));
}

/* The seed's refusal for these counters and limits, or NULL: allowed. */
static char *
refusal_message(bool active, int32 usage_count, int32 used_seconds, int32 usage_limit,
				int32 minutes_limit)
{
	if (!active)
		return "No active subscription found";
	if (usage_count >= usage_limit)
		return psprintf("Monthly usage limit reached (%d recordings)", usage_limit);
	if ((int64) used_seconds >= (int64) minutes_limit * 60)
		return psprintf("Monthly minutes limit reached (%d minutes)", minutes_limit);
	return NULL;
}

/*
 * The check through SQL: args[0..3] are the call's, args[4] is scratch.
 * The new recording's id goes to values[0] (nulls[0] false) when created.
 */
static char *
check_by_statements(Datum *args, Datum *values, bool *nulls)
{
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	bool		limits_null;
	bool		active;
	int32		usage_count;
	int32		used_seconds;
	int32		usage_limit;
	int32		minutes_limit;
	Datum		subscription_id;
	Datum		plan_id;
	char	   *refusal;

	nulls[0] = true;
	if (stmt_run(&check_and_create, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
	{
		quota_require_user(args[0]);	/* P0002 for an unknown user */
		return "No active subscription found";
	}
	values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 8, &nulls[0]);
	if (!nulls[0])
		return NULL;			/* created */

	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	subscription_id = SPI_getbinval(row, desc, 1, &isnull);
	plan_id = SPI_getbinval(row, desc, 2, &isnull);
	usage_count = int32_column(3, &isnull);
	used_seconds = int32_column(4, &isnull);
	active = DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
	usage_limit = int32_column(6, &isnull);
	minutes_limit = int32_column(7, &limits_null);
	if (!isnull && !limits_null)
		return refusal_message(active, usage_count, used_seconds, usage_limit,
							   minutes_limit);

	/* the plan is newer than our snapshot: look again */
	if (stmt_run(&plan_limits, NULL, &plan_id, NULL, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("the subscription's plan changed during the quota check"),
				 errhint("Try again.")));
	refusal = refusal_message(active, usage_count, used_seconds,
							  int32_column(1, &isnull), int32_column(2, &isnull));
	if (refusal == NULL)
	{
		/* allowed by the limits read again: the row is still ours */
		args[4] = subscription_id;
		(void) stmt_run(&create_recording, NULL, args, NULL, false, 0, SPI_OK_SELECT);
		values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
								  &nulls[0]);
	}
	return refusal;
}

PG_FUNCTION_INFO_V1(experiments_sp_check_quota_and_create_recording);

/*
 * experiments_sp_check_quota_and_create_recording(in_user_id, in_source,
 * in_language, in_meta) -> TABLE(recording_id, quota_ok, error_message):
 * always exactly one row.
 */
Datum
experiments_sp_check_quota_and_create_recording(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *source;
	char	   *language;
	Jsonb	   *meta;
	Datum		args[5];
	Datum		values[3];
	bool		nulls[3] = {true, false, false};
	QuotaDecision decision;
	char	   *refusal = NULL;

	arg_not_null(fcinfo, 0, "in_user_id");
	source = arg_cstring(fcinfo, 1, "in_source");
	arg_one_of(source, "in_source", quota_sources);
	language = arg_text_bounded(fcinfo, 2, "in_language", QUOTA_MAX_LANGUAGE);
	arg_not_null(fcinfo, 3, "in_meta");
	meta = PG_GETARG_JSONB_P(3);
	(void) jbr_object(meta, "in_meta");

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(source);
	args[2] = CStringGetTextDatum(language);
	args[3] = JsonbPGetDatum(meta);
	switch (quota_check_direct(args[0], args[1], args[2], meta, &decision))
	{
		case QCHECK_DECIDED:
			refusal = refusal_message(decision.active, decision.usage_count,
									  decision.used_seconds, decision.usage_limit,
									  decision.minutes_limit);
			values[0] = decision.recording_id;
			nulls[0] = !decision.created;
			Assert(decision.created == (refusal == NULL));
			break;
		case QCHECK_NO_SUBSCRIPTION:
			quota_require_user(args[0]);	/* P0002 for an unknown user */
			refusal = "No active subscription found";
			break;
		case QCHECK_NOT_ELIGIBLE:
			refusal = check_by_statements(args, values, nulls);
			break;
	}
	if (refusal == NULL)
	{
		values[1] = BoolGetDatum(true);
		values[2] = CStringGetTextDatum("");
	}
	else
	{
		nulls[0] = true;
		values[0] = (Datum) 0;
		values[1] = BoolGetDatum(false);
		values[2] = CStringGetTextDatum(refusal);
	}
	srf_put(fcinfo, values, nulls);		/* copies the values */

	api_spi_end(&guard);
	return (Datum) 0;
}
