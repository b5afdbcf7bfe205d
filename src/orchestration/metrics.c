/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  get_system_metrics(), get_queue_depths(): the numbers to monitor a
 *	  hub by (docs/operations.md).
 *
 * get_system_metrics counts whole tables, so its cost grows with the hub;
 * it is meant for a dashboard polled now and then, not for a hot path.
 * get_queue_depths counts only what is ready at p_now_ms, by the queues'
 * (visible_at, lock_token) indexes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "orchestration/management.h"
#include "orchestration/orchestration.h"

static const StmtDef select_metrics = {
	"orchestration.get_system_metrics",
	"SELECT (SELECT count(*) FROM @schema@.instances),"
	"       (SELECT count(*) FROM @schema@.executions),"
	"       count(*) FILTER (WHERE c.status = 'Running'),"
	"       count(*) FILTER (WHERE c.status = 'Completed'),"
	"       count(*) FILTER (WHERE c.status = 'Failed'),"
	"       (SELECT count(*) FROM @schema@.history)"
	"  FROM (SELECT e.status FROM @schema@.instances i"
	"          JOIN @schema@.executions e ON e.instance_id = i.instance_id"
	"                                    AND e.execution_id = i.current_execution_id) AS c",
	0, {InvalidOid}
};

/* $1 now, $2 now_ms */
static const StmtDef select_depths = {
	"orchestration.get_queue_depths",
	"SELECT (SELECT count(*) FROM @schema@.orchestrator_queue q"
	"         WHERE q.visible_at <= $1"
	"           AND (q.lock_token IS NULL OR q.locked_until <= $2)),"
	"       (SELECT count(*) FROM @schema@.worker_queue w"
	"         WHERE w.visible_at <= $1"
	"           AND (w.lock_token IS NULL OR w.locked_until <= $2))",
	2, {TIMESTAMPTZOID, INT8OID}
};

PG_FUNCTION_INFO_V1(experiments_orch_get_system_metrics);

Datum
experiments_orch_get_system_metrics(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;

	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&select_metrics, hub, NULL, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_get_queue_depths);

/* get_queue_depths(p_now_ms) -> (orchestrator_queue, worker_queue) */
Datum
experiments_orch_get_queue_depths(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[2];
	int64		now_ms = orch_arg_now_ms(fcinfo, 0, "p_now_ms");

	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = TimestampTzGetDatum(orch_ms_to_timestamptz(now_ms));
	args[1] = Int64GetDatum(now_ms);
	(void) stmt_run(&select_depths, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}
