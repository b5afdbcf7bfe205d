/*-------------------------------------------------------------------------
 *
 * orch_queue.c
 *	  abandon_orchestration_item(), renew_orchestration_item_lock(),
 *	  enqueue_orchestrator_work().
 *
 * Abandon and renew take the instance_locks row first, then the batch's
 * queue rows (the lock order of orchestration.h).  As in duroxide-pg,
 * abandon does not check the lock's expiry: a token whose lock row still
 * exists (nobody took the instance over) may give its batch back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/stmt.h"
#include "orchestration/orchestration.h"

static const StmtDef abandon_lock = {
	"orchestration.abandon.lock",
	"DELETE FROM @schema@.instance_locks WHERE lock_token = $1 RETURNING instance_id",
	1, {TEXTOID}
};

/*
 * $1 token, $2 delay given, $3 visible again at, $4 ignore attempt, $5 the
 * instance (the batch is found through idx_orch_instance: no index holds
 * lock_token).
 */
static const StmtDef abandon_batch = {
	"orchestration.abandon.batch",
	"UPDATE @schema@.orchestrator_queue"
	"   SET lock_token = NULL, locked_until = NULL,"
	"       visible_at = CASE WHEN $2 THEN $3 ELSE visible_at END,"
	"       attempt_count = CASE WHEN $4 THEN GREATEST(0, attempt_count - 1)"
	"                            ELSE attempt_count END"
	" WHERE instance_id = $5 AND lock_token = $1",
	5, {TEXTOID, BOOLOID, TIMESTAMPTZOID, BOOLOID, TEXTOID}
};

static const StmtDef renew_lock = {
	"orchestration.renew.lock",
	"UPDATE @schema@.instance_locks SET locked_until = $3"
	" WHERE lock_token = $1 AND locked_until > $2"
	" RETURNING instance_id",
	3, {TEXTOID, INT8OID, INT8OID}
};

/* $1 token, $2 new expiry, $3 the instance. */
static const StmtDef renew_batch = {
	"orchestration.renew.batch",
	"UPDATE @schema@.orchestrator_queue SET locked_until = $2"
	" WHERE instance_id = $3 AND lock_token = $1",
	3, {TEXTOID, INT8OID, TEXTOID}
};

static const StmtDef enqueue_orchestrator = {
	"orchestration.enqueue_orchestrator_work",
	"INSERT INTO @schema@.orchestrator_queue (instance_id, work_item, visible_at, created_at)"
	" VALUES ($1, $2, $3, pg_catalog.now())",
	3, {TEXTOID, TEXTOID, TIMESTAMPTZOID}
};

PG_FUNCTION_INFO_V1(experiments_orch_abandon_orchestration_item);

/*
 * abandon_orchestration_item(p_lock_token, p_now_ms, p_delay_ms,
 * p_ignore_attempt) -> the instance id
 */
Datum
experiments_orch_abandon_orchestration_item(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	MemoryContext caller = CurrentMemoryContext;
	int64		now_ms;
	int64		delay_ms;
	bool		ignore_attempt;
	ApiGuard	guard;
	Datum		args[5];
	Datum		instance;
	bool		isnull;
	text	   *result;

	arg_not_null(fcinfo, 0, "p_lock_token");
	now_ms = orch_arg_now_ms(fcinfo, 1, "p_now_ms");
	delay_ms = orch_arg_span_ms(fcinfo, 2, "p_delay_ms", 0);
	arg_not_null(fcinfo, 3, "p_ignore_attempt");
	ignore_attempt = PG_GETARG_BOOL(3);

	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	if (orch_run(&abandon_lock, hub, args, NULL, false, 0, SPI_OK_DELETE_RETURNING) == 0)
		orch_lock_error(ORCH_ERR_INVALID_LOCK_TOKEN);
	instance = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	MemoryContextSwitchTo(caller);
	result = DatumGetTextPCopy(instance);

	args[1] = BoolGetDatum(delay_ms > 0);
	args[2] = TimestampTzGetDatum(orch_ms_to_timestamptz(now_ms + delay_ms));
	args[3] = BoolGetDatum(ignore_attempt);
	args[4] = instance;
	(void) orch_run(&abandon_batch, hub, args, NULL, false, 0, SPI_OK_UPDATE);
	api_spi_end(&guard);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(experiments_orch_renew_orchestration_item_lock);

/* renew_orchestration_item_lock(p_lock_token, p_now_ms, p_extend_secs) */
Datum
experiments_orch_renew_orchestration_item_lock(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	int64		now_ms;
	int64		extend_secs;
	ApiGuard	guard;
	Datum		args[3];
	bool		isnull;

	arg_not_null(fcinfo, 0, "p_lock_token");
	now_ms = orch_arg_now_ms(fcinfo, 1, "p_now_ms");
	extend_secs = arg_int64_in(fcinfo, 2, "p_extend_secs", 0, ORCH_MAX_SPAN_MS / 1000);

	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = Int64GetDatum(now_ms);
	args[2] = Int64GetDatum(now_ms + extend_secs * 1000);
	if (orch_run(&renew_lock, hub, args, NULL, false, 0, SPI_OK_UPDATE_RETURNING) == 0)
		orch_lock_error(ORCH_ERR_RENEW_ORCH);
	args[1] = args[2];
	args[2] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	(void) orch_run(&renew_batch, hub, args, NULL, false, 0, SPI_OK_UPDATE);
	api_spi_end(&guard);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(experiments_orch_enqueue_orchestrator_work);

/*
 * enqueue_orchestrator_work(p_instance_id, p_work_item, p_visible_at,
 * p_orchestration_name, p_orchestration_version, p_execution_id): the last
 * three are accepted and ignored, as in duroxide-pg; the instance row is
 * made by the first ack, never here.
 */
Datum
experiments_orch_enqueue_orchestrator_work(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[3];

	(void) arg_text_bounded(fcinfo, 0, "p_instance_id", ORCH_MAX_ID);
	arg_not_null(fcinfo, 1, "p_work_item");
	orch_check_json_object(PG_GETARG_TEXT_PP(1), "p_work_item");
	arg_not_null(fcinfo, 2, "p_visible_at");

	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_GETARG_DATUM(2);
	(void) orch_run(&enqueue_orchestrator, hub, args, NULL, false, 0, SPI_OK_INSERT);
	api_spi_end(&guard);
	PG_RETURN_VOID();
}
