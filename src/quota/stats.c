/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  sp_get_user_stats(): one statement, so one snapshot.
 *
 * Totals cover all of the user's recordings.  The cycle columns and the
 * percentages are those of the active cycle, zeros when there is none (no
 * subscription, or its cycle has ended).  Minutes and percentages are
 * rounded to two decimals; percentages may exceed 100 (a plan lowered
 * mid-cycle).  The function only reads, so it is STABLE and runs in the
 * caller's snapshot.
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
#include "common/uuid.h"
#include "quota/quota.h"
#include "quota/stats.h"

static const StmtDef user_stats = {
	"quota.stats.user_stats",
	"SELECT (SELECT pg_catalog.count(*) FROM experiments.recordings r"
	"         WHERE r.user_id = u.id),"
	"       (SELECT pg_catalog.round(COALESCE(pg_catalog.sum(r.duration_ms), 0)"
	"                                / 60000.0, 2)"
	"          FROM experiments.recordings r WHERE r.user_id = u.id),"
	"       (SELECT pg_catalog.count(*)"
	"          FROM experiments.recordings r"
	"          JOIN experiments.segments g ON g.recording_id = r.id"
	"         WHERE r.user_id = u.id),"
	"       COALESCE(a.usage_count, 0),"
	"       COALESCE(a.used_seconds, 0),"
	"       COALESCE(pg_catalog.round(a.usage_count * 100.0"
	"                                            / a.monthly_usage_limit, 2), 0.00),"
	"       COALESCE(pg_catalog.round(a.used_seconds * 100.0"
	"                                            / (a.monthly_minutes * 60), 2), 0.00)"
	"  FROM experiments.users u"
	"  LEFT JOIN LATERAL ("
	"       SELECT s.usage_count, s.used_seconds,"
	"              p.monthly_usage_limit, p.monthly_minutes"
	"         FROM experiments.user_subscriptions s"
	"         JOIN experiments.plans p ON p.id = s.plan_id"
	"        WHERE s.user_id = u.id"
	"          AND s.cycle_start <= pg_catalog.now()"
	"          AND s.cycle_end > pg_catalog.now()) a ON true"
	" WHERE u.id = $1",
	1, {UUIDOID}
};

PG_FUNCTION_INFO_V1(experiments_sp_get_user_stats);

/* experiments_sp_get_user_stats(in_user_id) -> TABLE(...): one row. */
Datum
experiments_sp_get_user_stats(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[1];

	arg_not_null(fcinfo, 0, "in_user_id");
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	args[0] = PG_GETARG_DATUM(0);
	if (stmt_run(&user_stats, NULL, args, NULL, true, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("user %s not found", uuid_cstring(args[0]))));
	srf_put_spi_rows(fcinfo);

	api_spi_end(&guard);
	return (Datum) 0;
}
