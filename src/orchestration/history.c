/*-------------------------------------------------------------------------
 *
 * history.c
 *	  fetch_history(), fetch_history_with_execution(), append_history(),
 *	  and the history batch decoder ack_orchestration_item shares.
 *
 * Departures from duroxide-pg (see docs/design/orchestration.md):
 * append_history sets created_at (upstream's fails on every call since its
 * created_at became NOT NULL), and event_type holds the event's kind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_read.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "orchestration/history.h"
#include "orchestration/orchestration.h"

void
history_decode(Jsonb *events, const char *ctx, const char *routine,
			   HistoryBatch *out)
{
	JsonbContainer *array;
	int			n = jbr_array(events, ctx, &array);
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *types = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *datas = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		JbObject	elem = jbr_element_object(array, ctx, i);
		int64		event_id;
		char	   *data;
		char	   *type = NULL;
		Jsonb	   *event;
		JsonbValue	buf;
		JsonbValue *kind;

		(void) jbr_int64(&elem, "event_id", true, &event_id);
		if (event_id <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("Invalid event_id in %s", routine),
					 errdetail("event_id of %s must be positive, not " INT64_FORMAT ".",
							   jbr_where(&elem), event_id)));
		(void) jbr_text(&elem, "event_data", true, &data);
		event = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(data)));
		if (!JB_ROOT_IS_OBJECT(event))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("event_data of %s must be a JSON object", jbr_where(&elem))));
		kind = getKeyJsonValueFromContainer(&event->root, "type", 4, &buf);
		if (kind != NULL && kind->type == jbvString)
			type = pnstrdup(kind->val.string.val, kind->val.string.len);
		else
			(void) jbr_text(&elem, "event_type", true, &type);

		ids[i] = Int64GetDatum(event_id);
		types[i] = CStringGetTextDatum(type);
		datas[i] = CStringGetTextDatum(data);
	}
	out->n = n;
	out->ids = ids;
	out->types = types;
	out->datas = datas;
}

void
history_arrays(HistoryBatch *b)
{
	b->event_ids = PointerGetDatum(construct_array(b->ids, b->n, INT8OID, 8,
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	b->event_types = PointerGetDatum(construct_array(b->types, b->n, TEXTOID, -1,
													 false, TYPALIGN_INT));
	b->event_datas = PointerGetDatum(construct_array(b->datas, b->n, TEXTOID, -1,
													 false, TYPALIGN_INT));
}

/* $1 instance: the latest execution is the highest in executions, else 1. */
static const StmtDef select_history_latest = {
	"orchestration.fetch_history",
	"SELECT h.event_data FROM @schema@.history h"
	" WHERE h.instance_id = $1"
	"   AND h.execution_id = (SELECT COALESCE(max(e.execution_id), 1)"
	"                           FROM @schema@.executions e WHERE e.instance_id = $1)"
	" ORDER BY h.event_id",
	1, {TEXTOID}
};

static const StmtDef select_history_execution = {
	"orchestration.fetch_history_with_execution",
	"SELECT h.event_data FROM @schema@.history h"
	" WHERE h.instance_id = $1 AND h.execution_id = $2"
	" ORDER BY h.event_id",
	2, {TEXTOID, INT8OID}
};

/* Never overwrites: an event id already stored is left as it is. */
static const StmtDef insert_history_idempotent = {
	"orchestration.append_history",
	"INSERT INTO @schema@.history"
	"   (instance_id, execution_id, event_id, event_type, event_data, created_at)"
	" SELECT $1, $2, u.id, u.type, u.data, pg_catalog.now()"
	"   FROM ROWS FROM (pg_catalog.unnest($3::bigint[]), pg_catalog.unnest($4::text[]),"
	"                   pg_catalog.unnest($5::text[])) AS u(id, type, data)"
	" ON CONFLICT (instance_id, execution_id, event_id) DO NOTHING",
	5, {TEXTOID, INT8OID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID}
};

PG_FUNCTION_INFO_V1(experiments_orch_fetch_history);

/* fetch_history(p_instance_id) -> TABLE(out_event_data text) */
Datum
experiments_orch_fetch_history(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];

	arg_not_null(fcinfo, 0, "p_instance_id");
	orch_srf_begin_scalar(fcinfo, "out_event_data", TEXTOID);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	(void) orch_run(&select_history_latest, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_fetch_history_with_execution);

/* fetch_history_with_execution(p_instance_id, p_execution_id) */
Datum
experiments_orch_fetch_history_with_execution(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[2];

	arg_not_null(fcinfo, 0, "p_instance_id");
	arg_not_null(fcinfo, 1, "p_execution_id");
	orch_srf_begin_scalar(fcinfo, "out_event_data", TEXTOID);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	(void) orch_run(&select_history_execution, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_append_history);

/* append_history(p_instance_id, p_execution_id, p_events) -> void */
Datum
experiments_orch_append_history(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	HistoryBatch batch;
	Datum		args[5];

	arg_not_null(fcinfo, 0, "p_instance_id");
	(void) arg_int64_in(fcinfo, 1, "p_execution_id", 1, PG_INT64_MAX);
	arg_not_null(fcinfo, 2, "p_events");
	history_decode(PG_GETARG_JSONB_P(2), "p_events", "append_history", &batch);
	history_arrays(&batch);

	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = batch.event_ids;
	args[3] = batch.event_types;
	args[4] = batch.event_datas;
	(void) orch_run(&insert_history_idempotent, hub, args, NULL, false, 0, SPI_OK_INSERT);
	api_spi_end(&guard);
	PG_RETURN_VOID();
}
