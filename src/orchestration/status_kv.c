/*-------------------------------------------------------------------------
 *
 * status_kv.c
 *	  get_custom_status(), get_kv_value(), get_kv_all_values(),
 *	  get_instance_stats().
 *
 * The key-value store of an instance is two tables (part 1's ack writes
 * them): kv_store holds the state merged from finished executions, kv_delta
 * the changes of the running execution, a NULL value there being a
 * tombstone.  A read sees the delta first: a delta row wins over the store
 * row of the same key, a tombstone hides it.  Each read is one statement, so
 * it sees one snapshot: an ack merging the delta into the store at the same
 * time is seen wholly before or wholly after.
 *
 * Departure from duroxide-pg: get_instance_stats counts the keys and value
 * bytes of that same live view (what get_kv_all_values returns); upstream
 * counted a key overwritten in the running execution twice and a removed
 * one still.
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
#include "orchestration/management.h"
#include "orchestration/orchestration.h"

/* $1 instance, $2 last seen version. */
static const StmtDef select_custom_status = {
	"orchestration.get_custom_status",
	"SELECT i.custom_status, i.custom_status_version::bigint"
	"  FROM @schema@.instances i"
	" WHERE i.instance_id = $1 AND i.custom_status_version > $2",
	2, {TEXTOID, INT8OID}
};

/* $1 instance, $2 key: always one row. */
static const StmtDef select_kv_value = {
	"orchestration.get_kv_value",
	"SELECT CASE WHEN d.key IS NOT NULL THEN d.value ELSE s.value END,"
	"       CASE WHEN d.key IS NOT NULL THEN d.value IS NOT NULL"
	"            ELSE s.key IS NOT NULL END"
	"  FROM (SELECT 1) AS one"
	"  LEFT JOIN @schema@.kv_delta d ON d.instance_id = $1 AND d.key = $2"
	"  LEFT JOIN @schema@.kv_store s ON s.instance_id = $1 AND s.key = $2",
	2, {TEXTOID, TEXTOID}
};

/* The live keys of instance $1: delta first, tombstones hide. */
#define KV_LIVE_VIEW \
	"SELECT COALESCE(d.key, s.key) AS key," \
	"       CASE WHEN d.key IS NOT NULL THEN d.value ELSE s.value END AS value" \
	"  FROM (SELECT key, value FROM @schema@.kv_store WHERE instance_id = $1) AS s" \
	"  FULL JOIN (SELECT key, value FROM @schema@.kv_delta WHERE instance_id = $1) AS d" \
	"    ON d.key = s.key" \
	" WHERE d.key IS NULL OR d.value IS NOT NULL"

static const StmtDef select_kv_all = {
	"orchestration.get_kv_all_values",
	"SELECT v.key, v.value FROM (" KV_LIVE_VIEW ") AS v ORDER BY v.key COLLATE pg_catalog.\"C\"",
	1, {TEXTOID}
};

/*
 * $1 instance: one row if the instance exists.  queue_pending_count is the
 * number of events carried forward into the current execution by
 * ContinueAsNew: the carry_forward_events array of its first event.
 */
static const StmtDef select_stats = {
	"orchestration.get_instance_stats",
	"SELECT true,"
	"       COALESCE(h.n, 0), COALESCE(h.bytes, 0),"
	"       COALESCE((SELECT CASE WHEN pg_catalog.jsonb_typeof(f.event -> 'carry_forward_events')"
	"                                  = 'array'"
	"                             THEN pg_catalog.jsonb_array_length("
	"                                      f.event -> 'carry_forward_events')"
	"                        END::bigint"
	"                   FROM (SELECT x.event_data::jsonb AS event"
	"                           FROM @schema@.history x"
	"                          WHERE x.instance_id = $1"
	"                            AND x.execution_id = i.current_execution_id"
	"                          ORDER BY x.event_id LIMIT 1) AS f), 0),"
	"       kv.n, COALESCE(kv.bytes, 0)"
	"  FROM @schema@.instances i"
	"  LEFT JOIN LATERAL (SELECT count(*) AS n,"
	"                            sum(pg_catalog.octet_length(x.event_data))::bigint AS bytes"
	"                       FROM @schema@.history x"
	"                      WHERE x.instance_id = $1"
	"                        AND x.execution_id = i.current_execution_id) AS h ON true"
	"  CROSS JOIN (SELECT count(*) AS n,"
	"                     sum(pg_catalog.octet_length(v.value))::bigint AS bytes"
	"                FROM (" KV_LIVE_VIEW ") AS v) AS kv"
	" WHERE i.instance_id = $1",
	1, {TEXTOID}
};

PG_FUNCTION_INFO_V1(experiments_orch_get_custom_status);

/* get_custom_status(p_instance_id, p_last_seen_version) */
Datum
experiments_orch_get_custom_status(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[2];

	arg_not_null(fcinfo, 0, "p_instance_id");
	arg_not_null(fcinfo, 1, "p_last_seen_version");
	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	(void) stmt_run(&select_custom_status, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_get_kv_value);

/* get_kv_value(p_instance, p_key) -> one row (value, found) */
Datum
experiments_orch_get_kv_value(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[2];

	arg_not_null(fcinfo, 0, "p_instance");
	arg_not_null(fcinfo, 1, "p_key");
	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	(void) stmt_run(&select_kv_value, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_get_kv_all_values);

/* get_kv_all_values(p_instance) -> (key, value) by key */
Datum
experiments_orch_get_kv_all_values(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];

	arg_not_null(fcinfo, 0, "p_instance");
	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	(void) stmt_run(&select_kv_all, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_get_instance_stats);

/* get_instance_stats(p_instance) -> one row; out_found false and zeros if none */
Datum
experiments_orch_get_instance_stats(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];
	uint64		n;

	arg_not_null(fcinfo, 0, "p_instance");
	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	n = stmt_run(&select_stats, hub, args, NULL, true, 0, SPI_OK_SELECT);
	if (n > 0)
		srf_put_spi_rows(fcinfo);
	else
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		int			i;

		values[0] = BoolGetDatum(false);
		for (i = 1; i < 6; i++)
			values[i] = Int64GetDatum(0);
		srf_put(fcinfo, values, nulls);
	}
	api_spi_end(&guard);
	return (Datum) 0;
}
