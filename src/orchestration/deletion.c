/*-------------------------------------------------------------------------
 *
 * deletion.c
 *	  delete_instances_atomic(), prune_executions().
 *
 * delete_instances_atomic(ids, force), in one transaction:
 *
 *	1. claim the instance_locks row of every listed instance (an upsert, in
 *	   id order).  This is the lock order of orchestration.h: a fetch or an
 *	   ack of one of these instances that is under way finishes first (we
 *	   wait for its row), and one that comes later waits for us and then
 *	   finds its lock row gone - an in-flight ack fails with "Invalid lock
 *	   token" (zombie prevention), a fetch finds no messages left;
 *	2. lock the listed instance rows and check, with the now current data:
 *	   without force, no listed instance's current execution may be Running
 *	   (55000 "Instance <id> is Running. Use force=true to delete."); with
 *	   or without force, no instance outside the list may have its parent
 *	   in the list (55000 "Orphan detected: ...");
 *	3. delete, in one statement, history, executions, both queues' rows of
 *	   the instances, their lock rows, kv_delta, kv_store, the instances,
 *	   and the sessions only the deleted work items referred to (a session
 *	   no surviving work item uses would otherwise stay owned by a worker
 *	   until it expires and cleanup_orphaned_sessions runs);
 *	4. return the counts (queue_messages_deleted = both queues).
 *
 * Each step is a statement of its own, run with a fresh snapshot (READ
 * COMMITTED), so step 3 sees what the acks step 1 waited for wrote.
 *
 * prune_executions(id, keep_last, completed_before_ms) share-locks the
 * instance row first: an ack of the instance (which updates that row
 * before its executions) finishes before, or waits until after, the prune;
 * so the current execution read is the current one, and it is never
 * pruned.  KV rows are instance-wide and never touched.
 *
 * Departure from duroxide-pg: an execution that ended by ContinueAsNew has
 * no completed_at; for completed_before it counts as completed when the
 * next execution started (upstream never pruned those by date).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "orchestration/management.h"
#include "orchestration/orchestration.h"

/* $1 sorted distinct ids, $2 a token of this deletion */
static const StmtDef claim_locks = {
	"orchestration.delete.claim_locks",
	"INSERT INTO @schema@.instance_locks AS l"
	"       (instance_id, lock_token, locked_until, locked_at)"
	" SELECT u.id, $2, 0, 0 FROM pg_catalog.unnest($1::text[]) AS u(id) ORDER BY u.id"
	" ON CONFLICT (instance_id) DO UPDATE"
	"    SET lock_token = EXCLUDED.lock_token, locked_until = 0",
	2, {TEXTARRAYOID, TEXTOID}
};

/* $1 ids: the first listed instance whose current execution is Running */
static const StmtDef lock_instances = {
	"orchestration.delete.lock_instances",
	"SELECT i.instance_id, e.status"
	"  FROM @schema@.instances i"
	"  LEFT JOIN @schema@.executions e ON e.instance_id = i.instance_id"
	"                                 AND e.execution_id = i.current_execution_id"
	" WHERE i.instance_id = ANY ($1)"
	" ORDER BY i.instance_id"
	"   FOR UPDATE OF i",
	1, {TEXTARRAYOID}
};

/*
 * $1 ids: an instance outside the list whose parent is in it (found by the
 * parent index; materialized so that the ORDER BY cannot make the planner
 * walk the primary key instead).
 */
static const StmtDef find_orphan = {
	"orchestration.delete.find_orphan",
	"WITH c AS MATERIALIZED ("
	"  SELECT c.instance_id FROM @schema@.instances c"
	"   WHERE c.parent_instance_id = ANY ($1) AND c.instance_id <> ALL ($1))"
	" SELECT c.instance_id FROM c ORDER BY c.instance_id LIMIT 1",
	1, {TEXTARRAYOID}
};

/* $1 ids.  Columns: instances, executions, events, queue rows. */
static const StmtDef delete_all = {
	"orchestration.delete.delete_all",
	"WITH h AS (DELETE FROM @schema@.history WHERE instance_id = ANY ($1) RETURNING 1),"
	" x AS (DELETE FROM @schema@.executions WHERE instance_id = ANY ($1) RETURNING 1),"
	" o AS (DELETE FROM @schema@.orchestrator_queue WHERE instance_id = ANY ($1) RETURNING 1),"
	" w AS (DELETE FROM @schema@.worker_queue WHERE instance_id = ANY ($1)"
	"       RETURNING id, session_id),"
	" s AS (DELETE FROM @schema@.sessions t"
	"        WHERE t.session_id IN (SELECT w.session_id FROM w)"
	"          AND NOT EXISTS (SELECT 1 FROM @schema@.worker_queue q"
	"                           WHERE q.session_id = t.session_id"
	"                             AND q.id NOT IN (SELECT w.id FROM w))),"
	" l AS (DELETE FROM @schema@.instance_locks WHERE instance_id = ANY ($1)),"
	" kd AS (DELETE FROM @schema@.kv_delta WHERE instance_id = ANY ($1)),"
	" ks AS (DELETE FROM @schema@.kv_store WHERE instance_id = ANY ($1)),"
	" i AS (DELETE FROM @schema@.instances WHERE instance_id = ANY ($1) RETURNING 1)"
	" SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM x), (SELECT count(*) FROM h),"
	"        (SELECT count(*) FROM o) + (SELECT count(*) FROM w)",
	1, {TEXTARRAYOID}
};

/* $1 instance: its current execution, the row share-locked. */
static const StmtDef lock_instance_for_prune = {
	"orchestration.prune.lock_instance",
	"SELECT i.current_execution_id FROM @schema@.instances i"
	" WHERE i.instance_id = $1 FOR SHARE",
	1, {TEXTOID}
};

/*
 * $1 instance, $2 current execution, $3 completed before (NULL: any),
 * $4 keep last (NULL: no such limit).  Columns: executions, events.
 */
static const StmtDef prune = {
	"orchestration.prune.delete",
	"WITH c AS ("
	"  SELECT e.execution_id FROM @schema@.executions e"
	"   WHERE e.instance_id = $1 AND e.execution_id <> $2 AND e.status <> 'Running'"
	"     AND ($3::timestamptz IS NULL"
	"          OR COALESCE(e.completed_at,"
	"                      (SELECT n.started_at FROM @schema@.executions n"
	"                        WHERE n.instance_id = $1 AND n.execution_id > e.execution_id"
	"                        ORDER BY n.execution_id LIMIT 1)) < $3)"
	"     AND ($4::integer IS NULL OR e.execution_id NOT IN ("
	"          SELECT k.execution_id FROM @schema@.executions k"
	"           WHERE k.instance_id = $1 ORDER BY k.execution_id DESC LIMIT $4))),"
	" h AS (DELETE FROM @schema@.history t USING c"
	"        WHERE t.instance_id = $1 AND t.execution_id = c.execution_id RETURNING 1),"
	" x AS (DELETE FROM @schema@.executions t USING c"
	"        WHERE t.instance_id = $1 AND t.execution_id = c.execution_id RETURNING 1)"
	" SELECT 1::bigint, (SELECT count(*) FROM x), (SELECT count(*) FROM h)",
	4, {TEXTOID, INT8OID, TIMESTAMPTZOID, INT4OID}
};

static int
cmp_text_datum(const void *a, const void *b)
{
	return strcmp(TextDatumGetCString(*(const Datum *) a),
				  TextDatumGetCString(*(const Datum *) b));
}

/*
 * The ids, without NULLs (22004) or blanks, sorted bytewise and made
 * distinct, as a text[]; *count gets their number.
 */
static Datum
sorted_ids(FunctionCallInfo fcinfo, int *count)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	int			m = 0;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_instance_ids must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("p_instance_ids must not contain null")));
		if (VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i])) > ORCH_MAX_ID)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_instance_ids[%d] is longer than %d bytes", i + 1, ORCH_MAX_ID)));
	}
	if (n > 1)
		qsort(elems, n, sizeof(Datum), cmp_text_datum);
	for (i = 0; i < n; i++)
		if (m == 0 || cmp_text_datum(&elems[m - 1], &elems[i]) != 0)
			elems[m++] = elems[i];
	*count = m;
	return PointerGetDatum(construct_array(elems, m, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(experiments_orch_delete_instances_atomic);

/* delete_instances_atomic(p_instance_ids, p_force) */
Datum
experiments_orch_delete_instances_atomic(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[2];
	Datum		ids;
	bool		force;
	int			n;
	uint64		rows;
	uint64		i;

	arg_not_null(fcinfo, 0, "p_instance_ids");
	arg_not_null(fcinfo, 1, "p_force");
	force = PG_GETARG_BOOL(1);
	ids = sorted_ids(fcinfo, &n);
	(void) srf_begin(fcinfo);
	if (n == 0)
	{
		Datum		values[4] = {Int64GetDatum(0), Int64GetDatum(0),
		Int64GetDatum(0), Int64GetDatum(0)};
		bool		nulls[4] = {false, false, false, false};

		srf_put(fcinfo, values, nulls);
		return (Datum) 0;
	}

	api_spi_begin(fcinfo, &guard);
	args[0] = ids;
	args[1] = CStringGetTextDatum("deleting");
	(void) stmt_run(&claim_locks, hub, args, NULL, false, 0, SPI_OK_INSERT);

	rows = stmt_run(&lock_instances, hub, args, NULL, false, 0, SPI_OK_SELECT);
	for (i = 0; i < rows && !force; i++)
	{
		bool		isnull;
		Datum		status = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
										   2, &isnull);

		if (!isnull && strcmp(TextDatumGetCString(status), "Running") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg(ORCH_ERR_RUNNING,
							SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1))));
	}
	if (stmt_run(&find_orphan, hub, args, NULL, false, 0, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg(ORCH_ERR_ORPHAN,
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errhint("Delete the whole tree: list_children gives each instance's children.")));

	(void) stmt_run(&delete_all, hub, args, NULL, false, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_prune_executions);

/* prune_executions(p_instance_id, p_keep_last, p_completed_before_ms) */
Datum
experiments_orch_prune_executions(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Datum		current;
	bool		isnull;

	arg_not_null(fcinfo, 0, "p_instance_id");
	if (!PG_ARGISNULL(1))
		args[3] = Int32GetDatum(arg_int32_in(fcinfo, 1, "p_keep_last", 0, PG_INT32_MAX));
	else
		nulls[3] = 'n';
	if (!PG_ARGISNULL(2))
		args[2] = TimestampTzGetDatum(orch_ms_to_timestamptz(
										  orch_arg_now_ms(fcinfo, 2, "p_completed_before_ms")));
	else
		nulls[2] = 'n';
	(void) srf_begin(fcinfo);

	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	current = mgmt_scalar(&lock_instance_for_prune, hub, args, NULL, false, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg(ORCH_ERR_NOT_FOUND_PRUNE, TextDatumGetCString(args[0]))));
	args[1] = current;
	(void) stmt_run(&prune, hub, args, nulls, false, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}
