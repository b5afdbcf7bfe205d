/*-------------------------------------------------------------------------
 *
 * ack_orch.c
 *	  ack_orchestration_item(): commit one orchestration turn atomically.
 *
 * Every argument is decoded and checked in C first; then, in the caller's
 * transaction:
 *
 *	1. the lock: the instance_locks row of the token, unexpired, locked FOR
 *	   UPDATE (none: 55000 "Invalid lock token", nothing written) -- without
 *	   SQL (ack_lock.c), or as the first CTE of the statement of step 2 when
 *	   the hub's queue or lock table has a trigger or a policy;
 *	2. the instance from the metadata (created only when it names both
 *	   orchestration name and version), the execution (created idempotently
 *	   - ContinueAsNew's next execution arrives this way), the current-
 *	   execution pointer (never moves back), status, output, completed_at,
 *	   pinned version, custom status -- without SQL after a direct lock
 *	   (ack_rows.c) unless those tables need the statement -- then, in one
 *	   statement, whatever is left of that and the cancelled activities and
 *	   orchestrator items (a TimerFired becomes visible at fire_at_ms); a
 *	   turn with nothing left runs no statement;
 *	3. the history delta and the worker items, appended (append.h): one
 *	   multi-insert per table, index entries as an INSERT makes them (a
 *	   duplicate event id is 23505 and undoes the whole ack); when a hub's
 *	   table has a trigger or anything else a direct write would skip, an
 *	   INSERT ... SELECT FROM unnest(...) instead;
 *	4. the release: the fetched batch (rows tagged with the token; messages
 *	   that arrived meanwhile stay) and the lock row deleted -- by ack_lock.c,
 *	   or by two more CTEs of the statement of step 2 with the SQL lock;
 *	5. KV: the mutations into kv_delta, and on a terminal status the merge
 *	   of kv_delta into kv_store (statements run only when needed).
 *
 * Cancelled activities: duroxide-pg inserts the worker items and then
 * deletes the cancelled ones, so that an activity scheduled and cancelled
 * in one turn is gone.  Here the statement deletes the matching rows
 * already queued, and the items of this turn that match a cancelled
 * (instance, execution, activity) are left out of the append.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "common/append.h"
#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_read.h"
#include "common/stmt.h"
#include "orchestration/ack_lock.h"
#include "orchestration/ack_rows.h"
#include "orchestration/history.h"
#include "orchestration/orchestration.h"
#include "orchestration/workitem.h"

/*
 * The turn but history, worker items and KV, in one statement.  $1 token
 * (the instance when the lock was taken without SQL),
 * $2 now_ms, $3 now, $4 execution, $5 name, $6 version, $7 parent,
 * $8 status, $9 output, $10 pinned version int[3] or NULL, $11 custom
 * status action ('set', 'clear' or NULL), $12 custom status value,
 * $13..$15 cancelled activities, $16..$18 orchestrator items (instance or
 * NULL for the acked one, item, visible at).
 *
 * The main query reads l first, so the instance_locks row is locked before
 * anything else is touched; every write is conditioned on l, so an invalid
 * token writes nothing and answers no row.  After a lock taken without SQL,
 * l is the instance given in $1, and the release parts (b, d) are left out.  The other CTEs run after it,
 * in order; each table is written by one CTE only (instances by i or u,
 * which exclude each other), as sibling CTEs cannot see each other's rows.
 */
#define CUSTOM_STATUS_SET(t) \
	"custom_status = CASE WHEN $11 IS NULL THEN " t ".custom_status" \
	"                     WHEN $11 = 'set' THEN $12 END," \
	" custom_status_version = " t ".custom_status_version" \
	"                         + CASE WHEN $11 IS NULL THEN 0 ELSE 1 END"

/*
 * The turn's statement, in parts.  A turn runs only the parts it needs:
 * the instance is inserted (i, when the metadata names the orchestration)
 * or updated (u), and the cancelled activities (c) and orchestrator items
 * (o) parts are left out when their arrays are empty, so that the executor
 * does not set up and run writes that have nothing to write.  Each combination is its own kept statement
 * (turn_statement()); the parameters are the same for all of them.
 */
#define TURN_HEAD_LOCKED \
	"WITH l AS (SELECT $1::text AS instance_id)"
#define TURN_HEAD \
	"WITH l AS ("\
	"  SELECT k.instance_id FROM @schema@.instance_locks k"\
	"   WHERE k.lock_token = $1 AND k.locked_until > $2"\
	"     FOR UPDATE)"
#define TURN_PART_I \
	", i AS ("\
	"  INSERT INTO @schema@.instances AS t"\
	"         (instance_id, orchestration_name, orchestration_version, current_execution_id,"\
	"          created_at, updated_at, parent_instance_id, custom_status, custom_status_version)"\
	"  SELECT l.instance_id, $5, $6, $4, $3, $3, $7, CASE WHEN $11 = 'set' THEN $12 END,"\
	"         CASE WHEN $11 IS NULL THEN 0 ELSE 1 END"\
	"    FROM l WHERE $5::text IS NOT NULL AND $6::text IS NOT NULL"\
	"  ON CONFLICT (instance_id) DO UPDATE"\
	"     SET orchestration_name = EXCLUDED.orchestration_name,"\
	"         orchestration_version = EXCLUDED.orchestration_version,"\
	"         parent_instance_id = COALESCE(t.parent_instance_id, EXCLUDED.parent_instance_id),"\
	"         current_execution_id = GREATEST(t.current_execution_id, EXCLUDED.current_execution_id),"\
	"         updated_at = EXCLUDED.updated_at, " CUSTOM_STATUS_SET("t") ")"

#define TURN_PART_U \
	", u AS ("\
	"  UPDATE @schema@.instances t"\
	"     SET current_execution_id = GREATEST(t.current_execution_id, $4),"\
	"         updated_at = $3, " CUSTOM_STATUS_SET("t")\
	"    FROM l"\
	"   WHERE t.instance_id = l.instance_id AND ($5::text IS NULL OR $6::text IS NULL))"

#define TURN_PART_E \
	", e AS ("\
	"  INSERT INTO @schema@.executions AS x"\
	"         (instance_id, execution_id, status, output, started_at, completed_at,"\
	"          duroxide_version_major, duroxide_version_minor, duroxide_version_patch)"\
	"  SELECT l.instance_id, $4, COALESCE($8, 'Running'), CASE WHEN $8::text IS NOT NULL THEN $9 END,"\
	"         $3, CASE WHEN $8 IN ('Completed', 'Failed') THEN $3 END,"\
	"         $10[1], $10[2], $10[3]"\
	"    FROM l"\
	"  ON CONFLICT (instance_id, execution_id) DO UPDATE"\
	"     SET status = COALESCE($8, x.status),"\
	"         output = CASE WHEN $8::text IS NULL THEN x.output ELSE $9 END,"\
	"         completed_at = CASE WHEN $8::text IS NULL THEN x.completed_at"\
	"                             WHEN $8 IN ('Completed', 'Failed') THEN $3 END,"\
	"         duroxide_version_major = CASE WHEN $10::int[] IS NULL"\
	"                                       THEN x.duroxide_version_major ELSE $10[1] END,"\
	"         duroxide_version_minor = CASE WHEN $10::int[] IS NULL"\
	"                                       THEN x.duroxide_version_minor ELSE $10[2] END,"\
	"         duroxide_version_patch = CASE WHEN $10::int[] IS NULL"\
	"                                       THEN x.duroxide_version_patch ELSE $10[3] END"\
	"   WHERE $8::text IS NOT NULL OR $10::int[] IS NOT NULL)"

#define TURN_PART_C \
	", c AS ("\
	"  DELETE FROM @schema@.worker_queue q"\
	"   USING l, ROWS FROM (pg_catalog.unnest($13::text[]), pg_catalog.unnest($14::bigint[]),"\
	"                       pg_catalog.unnest($15::bigint[])) AS c(instance, execution, activity)"\
	"   WHERE q.instance_id = c.instance AND q.execution_id = c.execution"\
	"     AND q.activity_id = c.activity)"

#define TURN_PART_O \
	", o AS ("\
	"  INSERT INTO @schema@.orchestrator_queue (instance_id, work_item, visible_at, created_at)"\
	"  SELECT COALESCE(u.instance, l.instance_id), u.item, u.visible_at, $3"\
	"    FROM l, ROWS FROM (pg_catalog.unnest($16::text[]), pg_catalog.unnest($17::text[]),"\
	"                       pg_catalog.unnest($18::timestamptz[]))"\
	"         WITH ORDINALITY AS u(instance, item, visible_at, n)"\
	"   ORDER BY u.n)"

#define TURN_PART_B \
	", b AS ("\
	"  DELETE FROM @schema@.orchestrator_queue q USING l"\
	"   WHERE q.lock_token = $1 AND q.instance_id = l.instance_id)"

#define TURN_PART_D \
	", d AS ("\
	"  DELETE FROM @schema@.instance_locks k USING l"\
	"   WHERE k.instance_id = l.instance_id AND k.lock_token = $1)"

#define TURN_TAIL \
	" SELECT l.instance_id FROM l"

/* the optional parts, as bits of a turn's shape */
#define TURN_INSERT		0x01		/* i, else u */
#define TURN_CANCELLED	0x02
#define TURN_ORCH		0x04
#define TURN_LOCKED		0x08		/* l given, no release parts */
#define TURN_ROWS_DONE	0x10		/* no instance and execution parts */
#define TURN_SHAPES		0x20
#define TURN_NARGS		18

static StmtDef turn_statements[TURN_SHAPES];

static const StmtDef *
turn_statement(int shape)
{
	StmtDef    *def = &turn_statements[shape];
	bool		locked = (shape & TURN_LOCKED) != 0;
	bool		rows = (shape & TURN_ROWS_DONE) == 0;

	if (def->sql == NULL)
	{
		static const Oid types[TURN_NARGS] = {
			TEXTOID, INT8OID, TIMESTAMPTZOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
			TEXTOID, TEXTOID, INT4ARRAYOID, TEXTOID, TEXTOID,
			TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
			TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID
		};
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		def->name = psprintf("orchestration.ack.write_turn.%d", shape);
		def->nargs = TURN_NARGS;
		memcpy(def->argtypes, types, sizeof(types));
		def->sql = psprintf("%s%s%s%s%s%s%s%s",
							locked ? TURN_HEAD_LOCKED : TURN_HEAD,
							!rows ? "" : (shape & TURN_INSERT) ? TURN_PART_I : TURN_PART_U,
							rows ? TURN_PART_E : "",
							(shape & TURN_CANCELLED) ? TURN_PART_C : "",
							(shape & TURN_ORCH) ? TURN_PART_O : "",
							locked ? "" : TURN_PART_B,
							locked ? "" : TURN_PART_D,
							TURN_TAIL);
		MemoryContextSwitchTo(old);
	}
	return def;
}

/*
 * $1 instance, $2 now_ms, $3 clear_all seen, $4..$6 the last mutation of
 * each key after the last clear_all (value NULL = removed).  clear_all
 * removes every key of delta and store not set again after it.
 */
static const StmtDef kv_mutate = {
	"orchestration.ack.kv_mutate",
	"INSERT INTO @schema@.kv_delta AS d (instance_id, key, value, last_updated_at_ms)"
	" SELECT $1, k.key, NULL, $2"
	"   FROM (SELECT key FROM @schema@.kv_delta WHERE instance_id = $1"
	"         UNION SELECT key FROM @schema@.kv_store WHERE instance_id = $1) AS k"
	"  WHERE $3 AND k.key <> ALL ($4)"
	" UNION ALL"
	" SELECT $1, u.key, u.value, u.ts"
	"   FROM ROWS FROM (pg_catalog.unnest($4::text[]), pg_catalog.unnest($5::text[]),"
	"                    pg_catalog.unnest($6::bigint[])) AS u(key, value, ts)"
	" ON CONFLICT (instance_id, key) DO UPDATE"
	"    SET value = EXCLUDED.value, last_updated_at_ms = EXCLUDED.last_updated_at_ms",
	6, {TEXTOID, INT8OID, BOOLOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID}
};

/* Terminal status: kv_delta folds into kv_store.  $1 instance, $2 execution. */
static const StmtDef kv_merge = {
	"orchestration.ack.kv_merge",
	"WITH d AS ("
	"  DELETE FROM @schema@.kv_delta WHERE instance_id = $1"
	"  RETURNING key, value, last_updated_at_ms),"
	" s AS ("
	"  INSERT INTO @schema@.kv_store AS s"
	"         (instance_id, key, value, execution_id, last_updated_at_ms)"
	"  SELECT $1, d.key, d.value, $2, d.last_updated_at_ms FROM d WHERE d.value IS NOT NULL"
	"  ON CONFLICT (instance_id, key) DO UPDATE"
	"     SET value = EXCLUDED.value, execution_id = EXCLUDED.execution_id,"
	"         last_updated_at_ms = EXCLUDED.last_updated_at_ms),"
	" x AS ("
	"  DELETE FROM @schema@.kv_store s USING d"
	"   WHERE s.instance_id = $1 AND s.key = d.key AND d.value IS NULL)"
	" SELECT 1",
	2, {TEXTOID, INT8OID}
};

/*
 * The history delta and the worker items: appended directly (append.h),
 * or by these statements when a hub's table is not as shipped.
 */
static const AppendDef history_rows = {
	"history", 6,
	{"instance_id", "execution_id", "event_id", "event_type", "event_data", "created_at"},
	{TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID},
	NULL, NULL, NULL, NULL, InvalidOid	/* no foreign key, nothing returned */
};

/* $1 instance, $2 execution, $3 now, $4..$6 event ids, types, data */
static const StmtDef history_insert = {
	"orchestration.ack.history",
	"INSERT INTO @schema@.history"
	"       (instance_id, execution_id, event_id, event_type, event_data, created_at)"
	" SELECT $1, $2, u.id, u.type, u.data, $3"
	"   FROM ROWS FROM (pg_catalog.unnest($4::bigint[]), pg_catalog.unnest($5::text[]),"
	"                   pg_catalog.unnest($6::text[])) AS u(id, type, data)",
	6, {TEXTOID, INT8OID, TIMESTAMPTZOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID}
};

#define WORKER_COLS 6			/* item, instance, execution, activity, session, tag */

static const AppendDef worker_rows = {
	"worker_queue", 8,
	{"work_item", "instance_id", "execution_id", "activity_id", "session_id", "tag",
	 "visible_at", "created_at"},
	{TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID},
	NULL, NULL, NULL, NULL, InvalidOid
};

/* $1 now, $2..$7 the columns of worker_rows, in order (queued in that order) */
static const StmtDef worker_insert = {
	"orchestration.ack.worker_items",
	"INSERT INTO @schema@.worker_queue"
	"       (work_item, visible_at, created_at, instance_id, execution_id, activity_id,"
	"        session_id, tag)"
	" SELECT u.item, $1, $1, u.instance, u.execution, u.activity, u.session, u.tag"
	"   FROM ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[]),"
	"                   pg_catalog.unnest($4::bigint[]), pg_catalog.unnest($5::bigint[]),"
	"                   pg_catalog.unnest($6::text[]), pg_catalog.unnest($7::text[]))"
	"        WITH ORDINALITY AS u(item, instance, execution, activity, session, tag, n)"
	"  ORDER BY u.n",
	7, {TIMESTAMPTZOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID}
};

/* Growable arrays of datums with null flags, turned into SQL arrays. */
typedef struct Col
{
	Datum	   *values;
	bool	   *nulls;
} Col;

static void
col_init(Col *col, int n)
{
	col->values = palloc0(sizeof(Datum) * Max(n, 1));
	col->nulls = palloc0(sizeof(bool) * Max(n, 1));
}

static void
col_set(Col *col, int i, Datum value, bool isnull)
{
	col->values[i] = value;
	col->nulls[i] = isnull;
}

static Datum
col_array(Col *col, int n, Oid type)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(col->values, col->nulls, 1, dims, lbs,
											  type, typlen, typbyval, typalign));
}

/* The element's JSON text, as stored in the queue tables. */
static Datum
element_text(JsonbContainer *array, int i)
{
	JsonbValue *v = getIthJsonbValueFromContainer(array, i);
	Jsonb	   *jb = JsonbValueToJsonb(v);

	return CStringGetTextDatum(JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
}

typedef struct Cancelled
{
	int			n;
	char	  **instance;
	int64	   *execution;
	int64	   *activity;
	Col			c_instance;
	Col			c_execution;
	Col			c_activity;
} Cancelled;

static void
decode_cancelled(Jsonb *jb, Cancelled *out)
{
	JsonbContainer *array;
	int			n = jbr_array(jb, "p_cancelled_activities", &array);
	int			i;

	out->n = n;
	out->instance = palloc(sizeof(char *) * Max(n, 1));
	out->execution = palloc(sizeof(int64) * Max(n, 1));
	out->activity = palloc(sizeof(int64) * Max(n, 1));
	col_init(&out->c_instance, n);
	col_init(&out->c_execution, n);
	col_init(&out->c_activity, n);
	for (i = 0; i < n; i++)
	{
		JbObject	o = jbr_element_object(array, "p_cancelled_activities", i);

		(void) jbr_text(&o, "instance", true, &out->instance[i]);
		(void) jbr_int64(&o, "execution_id", true, &out->execution[i]);
		(void) jbr_int64(&o, "activity_id", true, &out->activity[i]);
		col_set(&out->c_instance, i, CStringGetTextDatum(out->instance[i]), false);
		col_set(&out->c_execution, i, Int64GetDatum(out->execution[i]), false);
		col_set(&out->c_activity, i, Int64GetDatum(out->activity[i]), false);
	}
}

static bool
is_cancelled(const Cancelled *c, const char *instance, int64 execution, int64 activity)
{
	int			i;

	for (i = 0; i < c->n; i++)
		if (c->execution[i] == execution && c->activity[i] == activity &&
			strcmp(c->instance[i], instance) == 0)
			return true;
	return false;
}

/* The worker items to queue: the columns of worker_rows but the times. */
typedef struct WorkerItems
{
	int			n;
	Col			cols[WORKER_COLS];
} WorkerItems;

/*
 * Worker items: the identity columns of an ActivityExecute (instance,
 * execution_id, id, session_id, tag); other variants have none.  Items
 * matching a cancelled activity are left out (see the file comment).
 */
static void
decode_worker_items(Jsonb *jb, const Cancelled *cancelled, WorkerItems *out)
{
	JsonbContainer *array;
	int			n = jbr_array(jb, "p_worker_items", &array);
	Col		   *cols = out->cols;
	int			kept = 0;
	int			i;
	int			k;

	for (k = 0; k < WORKER_COLS; k++)
		col_init(&cols[k], n);
	for (i = 0; i < n; i++)
	{
		JbObject	item = jbr_element_object(array, "p_worker_items", i);
		char	   *variant;
		JbObject	body;
		char	   *instance = NULL;
		char	   *session = NULL;
		char	   *tag = NULL;
		int64		execution = 0;
		int64		activity = 0;
		bool		has_execution = false;
		bool		has_activity = false;

		if (wi_variant(item.c, "p_worker_items", i, &variant, &body) &&
			strcmp(variant, "ActivityExecute") == 0 && body.c != NULL)
		{
			(void) jbr_text(&body, "instance", false, &instance);
			has_execution = jbr_int64(&body, "execution_id", false, &execution);
			has_activity = jbr_int64(&body, "id", false, &activity);
			(void) jbr_text(&body, "session_id", false, &session);
			(void) jbr_text(&body, "tag", false, &tag);
			if (instance != NULL && has_execution && has_activity &&
				is_cancelled(cancelled, instance, execution, activity))
				continue;
		}
		col_set(&cols[0], kept, element_text(array, i), false);
		col_set(&cols[1], kept, instance ? CStringGetTextDatum(instance) : (Datum) 0,
				instance == NULL);
		col_set(&cols[2], kept, Int64GetDatum(execution), !has_execution);
		col_set(&cols[3], kept, Int64GetDatum(activity), !has_activity);
		col_set(&cols[4], kept, session ? CStringGetTextDatum(session) : (Datum) 0,
				session == NULL);
		col_set(&cols[5], kept, tag ? CStringGetTextDatum(tag) : (Datum) 0, tag == NULL);
		kept++;
	}
	out->n = kept;
}

/* What the fill functions below need. */
typedef struct TurnRows
{
	Datum		instance;
	int64		execution;
	TimestampTz now;
	HistoryBatch *history;		/* its SQL arrays are built on the INSERT path */
	WorkerItems *worker;
} TurnRows;

static void
fill_history_row(void *arg, int row, Datum *values, bool *isnull)
{
	const TurnRows *t = arg;

	values[0] = t->instance;
	values[1] = Int64GetDatum(t->execution);
	values[2] = t->history->ids[row];
	values[3] = t->history->types[row];
	values[4] = t->history->datas[row];
	values[5] = TimestampTzGetDatum(t->now);
	memset(isnull, 0, sizeof(bool) * history_rows.ncols);
}

static void
fill_worker_row(void *arg, int row, Datum *values, bool *isnull)
{
	const TurnRows *t = arg;
	int			k;

	for (k = 0; k < WORKER_COLS; k++)
	{
		values[k] = t->worker->cols[k].values[row];
		isnull[k] = t->worker->cols[k].nulls[row];
	}
	values[6] = values[7] = TimestampTzGetDatum(t->now);
	isnull[6] = isnull[7] = false;
}

/* 3. history and worker items, appended or inserted (see the file comment) */
static void
append_turn_rows(const char *hub, TurnRows *t)
{
	HistoryBatch *h = t->history;
	WorkerItems *w = t->worker;
	Datum		args[7];

	if (h->n > 0 &&
		append_rows_in(&history_rows, hub, h->n, fill_history_row, t, NULL) != NULL)
	{
		history_arrays(h);
		args[0] = t->instance;
		args[1] = Int64GetDatum(t->execution);
		args[2] = TimestampTzGetDatum(t->now);
		args[3] = h->event_ids;
		args[4] = h->event_types;
		args[5] = h->event_datas;
		(void) orch_run(&history_insert, hub, args, NULL, false, 0, SPI_OK_INSERT);
	}
	if (w->n > 0 &&
		append_rows_in(&worker_rows, hub, w->n, fill_worker_row, t, NULL) != NULL)
	{
		static const Oid types[WORKER_COLS] = {
			TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID
		};
		int			k;

		args[0] = TimestampTzGetDatum(t->now);
		for (k = 0; k < WORKER_COLS; k++)
			args[1 + k] = col_array(&w->cols[k], w->n, types[k]);
		(void) orch_run(&worker_insert, hub, args, NULL, false, 0, SPI_OK_INSERT);
	}
}

/*
 * Orchestrator items: routed to the instance they name (the acked one when
 * they name none), visible now, or at fire_at_ms for a TimerFired.
 */
static int
decode_orchestrator_items(Jsonb *jb, TimestampTz now, Datum *args)
{
	JsonbContainer *array;
	int			n = jbr_array(jb, "p_orchestrator_items", &array);
	Col			cols[3];
	int			i;
	int			k;

	for (k = 0; k < 3; k++)
		col_init(&cols[k], n);
	for (i = 0; i < n; i++)
	{
		JbObject	item = jbr_element_object(array, "p_orchestrator_items", i);
		char	   *variant;
		JbObject	body;
		char	   *target = NULL;
		TimestampTz visible = now;

		if (wi_variant(item.c, "p_orchestrator_items", i, &variant, &body))
		{
			int64		fire_at;

			target = wi_target_instance(variant, &body);
			if (strcmp(variant, "TimerFired") == 0 && body.c != NULL &&
				jbr_int64(&body, "fire_at_ms", false, &fire_at) && fire_at > 0)
			{
				if (fire_at > ORCH_MAX_MS)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("fire_at_ms of %s is out of range", body.ctx)));
				visible = orch_ms_to_timestamptz(fire_at);
			}
		}
		col_set(&cols[0], i, target ? CStringGetTextDatum(target) : (Datum) 0,
				target == NULL);
		col_set(&cols[1], i, element_text(array, i), false);
		col_set(&cols[2], i, TimestampTzGetDatum(visible), false);
	}
	args[0] = col_array(&cols[0], n, TEXTOID);
	args[1] = col_array(&cols[1], n, TEXTOID);
	args[2] = col_array(&cols[2], n, TIMESTAMPTZOID);
	return n;
}

/* What the metadata asks for, read once. */
typedef struct Metadata
{
	char	   *name;
	char	   *version;
	char	   *parent;
	char	   *status;
	char	   *output;
	bool		has_pinned;
	int32		pinned[3];
	char	   *cs_action;
	char	   *cs_value;
	/* KV: the last mutation per key after the last clear_all */
	bool		clear_all;
	int			nkeys;
	char	  **keys;
	char	  **values;			/* NULL = removed */
	int64	   *stamps;
} Metadata;

static void
kv_put(Metadata *md, int cap, char *key, char *value, int64 stamp)
{
	int			i;

	for (i = 0; i < md->nkeys; i++)
		if (strcmp(md->keys[i], key) == 0)
			break;
	Assert(i < cap);
	(void) cap;
	if (i == md->nkeys)
		md->nkeys++;
	md->keys[i] = key;
	md->values[i] = value;
	md->stamps[i] = stamp;
}

static void
decode_metadata(Jsonb *jb, int64 now_ms, Metadata *md)
{
	JbObject	m = jbr_object(jb, "p_metadata");
	JbObject	pinned;
	Jsonb	   *mutations;

	memset(md, 0, sizeof(*md));
	(void) jbr_text(&m, "orchestration_name", false, &md->name);
	(void) jbr_text(&m, "orchestration_version", false, &md->version);
	(void) jbr_text(&m, "parent_instance_id", false, &md->parent);
	(void) jbr_text(&m, "status", false, &md->status);
	(void) jbr_text(&m, "output", false, &md->output);

	if (jbr_sub_object(&m, "pinned_duroxide_version", false, &pinned))
	{
		md->has_pinned = true;
		pinned.ctx = "p_metadata.pinned_duroxide_version";
		(void) jbr_int32(&pinned, "major", true, &md->pinned[0]);
		(void) jbr_int32(&pinned, "minor", true, &md->pinned[1]);
		(void) jbr_int32(&pinned, "patch", true, &md->pinned[2]);
		if (md->pinned[0] < 0 || md->pinned[1] < 0 || md->pinned[1] > 999 ||
			md->pinned[2] < 0 || md->pinned[2] > 999)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_metadata.pinned_duroxide_version is out of range"),
					 errdetail("major must not be negative; minor and patch lie in 0..999.")));
	}

	if (jbr_text(&m, "custom_status_action", false, &md->cs_action))
	{
		static const char *const actions[] = {"set", "clear", NULL};

		arg_one_of(md->cs_action, "p_metadata.custom_status_action", actions);
		if (strcmp(md->cs_action, "set") == 0)
			(void) jbr_text(&m, "custom_status_value", false, &md->cs_value);
	}

	if (jbr_jsonb(&m, "kv_mutations", false, &mutations))
	{
		JsonbContainer *array;
		int			n = jbr_array(mutations, "p_metadata.kv_mutations", &array);
		int			i;

		md->keys = palloc(sizeof(char *) * Max(n, 1));
		md->values = palloc(sizeof(char *) * Max(n, 1));
		md->stamps = palloc(sizeof(int64) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			static const char *const kinds[] = {"set", "clear_key", "clear_all", NULL};
			JbObject	mu = jbr_element_object(array, "p_metadata.kv_mutations", i);
			char	   *action;
			char	   *key;
			char	   *value;
			int64		stamp;

			(void) jbr_text(&mu, "action", true, &action);
			arg_one_of(action, "p_metadata.kv_mutations[].action", kinds);
			if (strcmp(action, "clear_all") == 0)
			{
				md->clear_all = true;
				md->nkeys = 0;
				continue;
			}
			(void) jbr_text(&mu, "key", true, &key);
			if (strcmp(action, "set") == 0)
			{
				(void) jbr_text(&mu, "value", true, &value);
				if (!jbr_int64(&mu, "last_updated_at_ms", false, &stamp))
					stamp = now_ms;
				kv_put(md, n, key, value, stamp);
			}
			else
				kv_put(md, n, key, NULL, now_ms);
		}
	}
}

static bool
is_terminal(const char *status)
{
	return status != NULL &&
		(strcmp(status, "Completed") == 0 || strcmp(status, "Failed") == 0 ||
		 strcmp(status, "ContinuedAsNew") == 0);
}

static Datum
text_or_null(const char *s, char *null)
{
	*null = s == NULL ? 'n' : ' ';
	return s == NULL ? (Datum) 0 : CStringGetTextDatum(s);
}

/* Step 2's instance and execution rows without SQL (ack_rows.c); false: by SQL. */
static bool
write_rows_direct(const char *hub, Datum instance, int64 execution, TimestampTz now,
				  const Metadata *md)
{
	OrchAckRows r;

	r.instance = instance;
	r.execution = execution;
	r.now = now;
	r.name = md->name;
	r.version = md->version;
	r.parent = md->parent;
	r.status = md->status;
	r.output = md->output;
	r.has_pinned = md->has_pinned;
	memcpy(r.pinned, md->pinned, sizeof(r.pinned));
	r.cs_action = md->cs_action;
	r.cs_value = md->cs_value;
	return orch_ack_rows_direct(hub, &r) == NULL;
}

PG_FUNCTION_INFO_V1(experiments_orch_ack_orchestration_item);

/*
 * ack_orchestration_item(p_lock_token, p_now_ms, p_execution_id,
 * p_history_delta, p_worker_items, p_orchestrator_items, p_metadata,
 * p_cancelled_activities) -> void
 */
Datum
experiments_orch_ack_orchestration_item(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	Datum		token;
	int64		now_ms;
	int64		execution;
	TimestampTz now;
	HistoryBatch history;
	Metadata	md;
	Cancelled	cancelled;
	WorkerItems worker;
	TurnRows	rows;
	Datum		orch_args[3];
	ApiGuard	guard;
	Datum		args[TURN_NARGS];
	char		nulls[TURN_NARGS];
	Datum		instance;
	bool		isnull;
	int			i;
	int			norch;
	int			shape;
	OrchAckLock lock;
	bool		direct;
	bool		rows_done;

	/* every argument decoded and checked before the first write */
	arg_not_null(fcinfo, 0, "p_lock_token");
	token = PG_GETARG_DATUM(0);
	now_ms = orch_arg_now_ms(fcinfo, 1, "p_now_ms");
	now = orch_ms_to_timestamptz(now_ms);
	execution = arg_int64_in(fcinfo, 2, "p_execution_id", 1, PG_INT64_MAX);
	arg_not_null(fcinfo, 3, "p_history_delta");
	arg_not_null(fcinfo, 4, "p_worker_items");
	arg_not_null(fcinfo, 5, "p_orchestrator_items");
	arg_not_null(fcinfo, 6, "p_metadata");
	history_decode(PG_GETARG_JSONB_P(3), "p_history_delta", "ack_orchestration_item",
				   &history);
	decode_metadata(PG_GETARG_JSONB_P(6), now_ms, &md);
	if (PG_ARGISNULL(7))
		decode_cancelled(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum("[]"))),
						 &cancelled);
	else
		decode_cancelled(PG_GETARG_JSONB_P(7), &cancelled);
	decode_worker_items(PG_GETARG_JSONB_P(4), &cancelled, &worker);
	norch = decode_orchestrator_items(PG_GETARG_JSONB_P(5), now, orch_args);

	api_spi_begin(fcinfo, &guard);

	/* 1. the lock */
	direct = orch_ack_lock_direct(hub, token, now_ms, &lock) == NULL;
	if (direct && !lock.found)
		orch_lock_error(ORCH_ERR_INVALID_LOCK_TOKEN);	/* nothing was written */

	/* 2. the instance and the execution, without SQL when the lock was */
	rows_done = direct && write_rows_direct(hub, lock.instance, execution, now, &md);

	/* ... the rest by the statement (with the SQL lock: steps 1 and 4 too) */
	instance = direct ? lock.instance : (Datum) 0;
	if (!rows_done || cancelled.n > 0 || norch > 0)
	{
		memset(nulls, ' ', sizeof(nulls));
		args[0] = direct ? lock.instance : token;
		args[1] = Int64GetDatum(now_ms);
		args[2] = TimestampTzGetDatum(now);
		args[3] = Int64GetDatum(execution);
		args[4] = text_or_null(md.name, &nulls[4]);
		args[5] = text_or_null(md.version, &nulls[5]);
		args[6] = text_or_null(md.parent, &nulls[6]);
		args[7] = text_or_null(md.status, &nulls[7]);
		args[8] = text_or_null(md.output, &nulls[8]);
		if (md.has_pinned)
		{
			Datum		parts[3];

			for (i = 0; i < 3; i++)
				parts[i] = Int32GetDatum(md.pinned[i]);
			args[9] = PointerGetDatum(construct_array(parts, 3, INT4OID, 4, true,
													  TYPALIGN_INT));
		}
		else
			nulls[9] = 'n';
		args[10] = text_or_null(md.cs_action, &nulls[10]);
		args[11] = text_or_null(md.cs_value, &nulls[11]);
		args[12] = col_array(&cancelled.c_instance, cancelled.n, TEXTOID);
		args[13] = col_array(&cancelled.c_execution, cancelled.n, INT8OID);
		args[14] = col_array(&cancelled.c_activity, cancelled.n, INT8OID);
		for (i = 0; i < 3; i++)
			args[15 + i] = orch_args[i];
		shape = 0;
		if (md.name != NULL && md.version != NULL)
			shape |= TURN_INSERT;
		if (cancelled.n > 0)
			shape |= TURN_CANCELLED;
		if (norch > 0)
			shape |= TURN_ORCH;
		if (direct)
			shape |= TURN_LOCKED;
		if (rows_done)
			shape |= TURN_ROWS_DONE;
		if (orch_run(turn_statement(shape), hub, args, nulls, false, 0, SPI_OK_SELECT) == 0)
			orch_lock_error(ORCH_ERR_INVALID_LOCK_TOKEN);	/* nothing was written */
		if (!direct)
			instance = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
									 &isnull);
	}

	/* 3. the history delta and the worker items */
	rows.instance = instance;
	rows.execution = execution;
	rows.now = now;
	rows.history = &history;
	rows.worker = &worker;
	append_turn_rows(hub, &rows);

	/* 4. the release */
	if (direct)
		orch_ack_release_direct(hub, token, &lock);

	/* 5. KV: mutations, then the merge on a terminal status */
	if (md.clear_all || md.nkeys > 0)
	{
		Col			keys;
		Col			values;
		Col			stamps;

		col_init(&keys, md.nkeys);
		col_init(&values, md.nkeys);
		col_init(&stamps, md.nkeys);
		for (i = 0; i < md.nkeys; i++)
		{
			col_set(&keys, i, CStringGetTextDatum(md.keys[i]), false);
			col_set(&values, i, md.values[i] ? CStringGetTextDatum(md.values[i]) : (Datum) 0,
					md.values[i] == NULL);
			col_set(&stamps, i, Int64GetDatum(md.stamps[i]), false);
		}
		args[0] = instance;
		args[1] = Int64GetDatum(now_ms);
		args[2] = BoolGetDatum(md.clear_all);
		args[3] = col_array(&keys, md.nkeys, TEXTOID);
		args[4] = col_array(&values, md.nkeys, TEXTOID);
		args[5] = col_array(&stamps, md.nkeys, INT8OID);
		(void) orch_run(&kv_mutate, hub, args, NULL, false, 0, SPI_OK_INSERT);
	}
	if (is_terminal(md.status))
	{
		args[0] = instance;
		args[1] = Int64GetDatum(execution);
		(void) orch_run(&kv_merge, hub, args, NULL, false, 0, SPI_OK_SELECT);
	}

	api_spi_end(&guard);
	PG_RETURN_VOID();
}
