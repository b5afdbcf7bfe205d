/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The worker queue: enqueue_worker_work(), fetch_work_item(),
 *	  ack_worker(), renew_work_item_lock(), abandon_work_item().
 *
 * A fetch locks the oldest eligible item (FIFO by id) with SKIP LOCKED, so
 * concurrent workers never wait for each other or get the same item.
 * Eligible: visible, unlocked (or lock expired), passing the tag filter,
 * and either without session or in a session that is unowned, expired, or
 * owned by the fetching worker.  An item in a session is then claimed for
 * the worker: when another worker won that session meanwhile, the item is
 * given back and the next eligible one is tried (duroxide-pg returns
 * nothing there, although other work may be ready).  The claim is a lease:
 * alone in its transaction, it commits without waiting for the disk
 * (lease.c); the ack commits durably.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "common/append.h"
#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "orchestration/orchestration.h"
#include "orchestration/work_direct.h"

static const StmtDef enqueue_worker = {
	"orchestration.enqueue_worker_work",
	"INSERT INTO @schema@.worker_queue"
	"   (work_item, visible_at, created_at, instance_id, execution_id, activity_id,"
	"    session_id, tag)"
	" VALUES ($1, $2, $2, $3, $4, $5, $6, $7)",
	7, {TEXTOID, TIMESTAMPTZOID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID}
};

/*
 * $1 now, $2 now_ms, $3 token, $4 lock timeout ms, $5 tag mode, $6 tags,
 * $7 owner, $8 ids to skip; the item's token is $3, '.' and its id.  An
 * item in a session qualifies unless another worker holds that session
 * unexpired (a correlated probe of sessions_pkey; OFFSET 0 keeps it from
 * becoming a hashed seq scan of sessions).
 * Columns: 1 id, 2 work item, 3 attempt count, 4 session id, 5 token.
 */
static const StmtDef lock_item = {
	"orchestration.fetch_work_item.lock",
	"WITH c AS ("
	"  SELECT q.id FROM @schema@.worker_queue q"
	"   WHERE q.visible_at <= $1"
	"     AND (q.lock_token IS NULL OR q.locked_until <= $2)"
	"     AND ($5 = 'any'"
	"          OR (q.tag IS NULL AND $5 IN ('default_only', 'default_and'))"
	"          OR (q.tag = ANY ($6) AND $5 IN ('tags', 'default_and')))"
	"     AND (q.session_id IS NULL"
	"          OR ($7::text IS NOT NULL"
	"              AND NOT EXISTS (SELECT 1 FROM @schema@.sessions s"
	"                               WHERE s.session_id = q.session_id"
	"                                 AND s.locked_until > $2 AND s.worker_id <> $7"
	"                              OFFSET 0)))"
	"     AND q.id <> ALL ($8)"
	"   ORDER BY q.id"
	"   LIMIT 1"
	"     FOR UPDATE OF q SKIP LOCKED)"
	" UPDATE @schema@.worker_queue q"
	"    SET lock_token = $3 || '.' || q.id::text, locked_until = $2 + $4,"
	"        attempt_count = q.attempt_count + 1"
	"   FROM c WHERE q.id = c.id"
	" RETURNING q.id, q.work_item, q.attempt_count, q.session_id, q.lock_token",
	8, {TIMESTAMPTZOID, INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTARRAYOID, TEXTOID,
		INT8ARRAYOID}
};

/*
 * The same without owner: only items without session qualify, so no
 * sessions join and no skip list (nothing is ever given back).  Shaped like
 * the pop-one-row floor: the pick is an InitPlan, the update one index probe.
 * $1 now, $2 now_ms, $3 token, $4 lock timeout ms, $5 tag mode, $6 tags.
 */
static const StmtDef lock_item_no_owner = {
	"orchestration.fetch_work_item.lock_no_owner",
	"UPDATE @schema@.worker_queue q"
	"   SET lock_token = $3 || '.' || q.id::text, locked_until = $2 + $4,"
	"       attempt_count = q.attempt_count + 1"
	" WHERE q.id = (SELECT c.id FROM @schema@.worker_queue c"
	"                WHERE c.visible_at <= $1"
	"                  AND (c.lock_token IS NULL OR c.locked_until <= $2)"
	"                  AND ($5 = 'any'"
	"                       OR (c.tag IS NULL AND $5 IN ('default_only', 'default_and'))"
	"                       OR (c.tag = ANY ($6) AND $5 IN ('tags', 'default_and')))"
	"                  AND c.session_id IS NULL"
	"                ORDER BY c.id"
	"                LIMIT 1"
	"                  FOR UPDATE SKIP LOCKED)"
	" RETURNING q.id, q.work_item, q.attempt_count, q.session_id, q.lock_token",
	6, {TIMESTAMPTZOID, INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTARRAYOID}
};

/* $1 session, $2 owner, $3 now_ms, $4 session lock timeout ms. */
static const StmtDef claim_session = {
	"orchestration.fetch_work_item.claim_session",
	"INSERT INTO @schema@.sessions AS s"
	"       (session_id, worker_id, locked_until, last_activity_at)"
	" VALUES ($1, $2, $3 + $4, $3)"
	" ON CONFLICT (session_id) DO UPDATE"
	"    SET worker_id = EXCLUDED.worker_id, locked_until = EXCLUDED.locked_until,"
	"        last_activity_at = EXCLUDED.last_activity_at"
	"  WHERE s.locked_until <= $3 OR s.worker_id = $2",
	4, {TEXTOID, TEXTOID, INT8OID, INT8OID}
};

static const StmtDef unlock_item = {
	"orchestration.fetch_work_item.unlock",
	"UPDATE @schema@.worker_queue"
	"   SET lock_token = NULL, locked_until = NULL, attempt_count = attempt_count - 1"
	" WHERE id = $1",
	1, {INT8OID}
};

/*
 * $1 token, $2 now_ms (NULL: expiry not checked), $3 instance, $4
 * completion, $5 now, $6 the item's id (from the token).  Column 1: items
 * deleted (0 or 1), 2: their session.
 * The session's activity stamp is a statement of its own, run only for an
 * item in a session (most have none).
 */
static const StmtDef ack_item = {
	"orchestration.ack_worker",
	"WITH d AS ("
	"  DELETE FROM @schema@.worker_queue"
	"   WHERE id = $6 AND lock_token = $1 AND ($2::bigint IS NULL OR locked_until > $2)"
	"  RETURNING session_id),"
	" o AS ("
	"  INSERT INTO @schema@.orchestrator_queue (instance_id, work_item, visible_at, created_at)"
	"  SELECT $3, $4, $5, $5 FROM d WHERE $4::text IS NOT NULL)"
	" SELECT count(*), max(d.session_id) FROM d",
	6, {TEXTOID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID}
};

/*
 * After a direct delete (work_direct.c): the completion, when
 * orchestrator_queue cannot be appended to directly.  $1 instance, $2
 * completion, $3 now.
 */
static const StmtDef ack_enqueue = {
	"orchestration.ack_worker.enqueue",
	"INSERT INTO @schema@.orchestrator_queue (instance_id, work_item, visible_at, created_at)"
	" VALUES ($1, $2, $3, $3)",
	3, {TEXTOID, TEXTOID, TIMESTAMPTZOID}
};

static const AppendDef completion_row = {
	"orchestrator_queue", 4, {"instance_id", "work_item", "visible_at", "created_at"},
	{TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID},
	NULL, NULL, NULL, NULL, InvalidOid
};

/* $1 session, $2 now_ms. */
static const StmtDef ack_touch_session = {
	"orchestration.ack_worker.touch_session",
	"UPDATE @schema@.sessions SET last_activity_at = $2"
	" WHERE session_id = $1 AND locked_until > $2",
	2, {TEXTOID, INT8OID}
};

/* $1 token, $2 now_ms, $3 new locked_until, $4 id.  Column 1: items renewed. */
static const StmtDef renew_item = {
	"orchestration.renew_work_item_lock",
	"WITH w AS ("
	"  UPDATE @schema@.worker_queue SET locked_until = $3"
	"   WHERE id = $4 AND lock_token = $1 AND locked_until > $2"
	"  RETURNING session_id),"
	" s AS ("
	"  UPDATE @schema@.sessions x SET last_activity_at = $2"
	"    FROM w WHERE x.session_id = w.session_id AND x.locked_until > $2)"
	" SELECT count(*) FROM w",
	4, {TEXTOID, INT8OID, INT8OID, INT8OID}
};

/* $1 token, $2 visible again at, $3 ignore attempt, $4 id. */
static const StmtDef abandon_item = {
	"orchestration.abandon_work_item",
	"UPDATE @schema@.worker_queue"
	"   SET lock_token = NULL, locked_until = NULL, visible_at = $2,"
	"       attempt_count = CASE WHEN $3 THEN GREATEST(0, attempt_count - 1)"
	"                            ELSE attempt_count END"
	" WHERE id = $4 AND lock_token = $1",
	4, {TEXTOID, TIMESTAMPTZOID, BOOLOID, INT8OID}
};

static const char *const tag_modes[] = {
	"default_only", "tags", "default_and", "any", "none", NULL
};

static int64
count_column(void)
{
	bool		isnull;

	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									   1, &isnull));
}

PG_FUNCTION_INFO_V1(experiments_orch_enqueue_worker_work);

/*
 * enqueue_worker_work(p_work_item, p_now_ms, p_instance_id, p_execution_id,
 * p_activity_id, p_session_id, p_tag) -> void
 */
Datum
experiments_orch_enqueue_worker_work(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	int64		now_ms;
	ApiGuard	guard;
	Datum		args[7];
	char		nulls[7];
	int			i;

	arg_not_null(fcinfo, 0, "p_work_item");
	orch_check_json_object(PG_GETARG_TEXT_PP(0), "p_work_item");
	now_ms = orch_arg_now_ms(fcinfo, 1, "p_now_ms");

	memset(nulls, ' ', sizeof(nulls));
	args[0] = PG_GETARG_DATUM(0);
	args[1] = TimestampTzGetDatum(orch_ms_to_timestamptz(now_ms));
	for (i = 2; i < 7; i++)
		arg_datum_or_null(fcinfo, i, &args[i], &nulls[i]);

	api_spi_begin(fcinfo, &guard);
	(void) orch_run(&enqueue_worker, hub, args, nulls, false, 0, SPI_OK_INSERT);
	api_spi_end(&guard);
	PG_RETURN_VOID();
}

/*
 * fetch_work_item without owner, without SQL (work_direct.c): false when
 * the hub's worker_queue needs the statement (nothing done then).
 */
static bool
claim_direct(FunctionCallInfo fcinfo, const char *hub, Datum token, int64 now_ms,
			 int64 lock_ms, const char *mode, Datum tags)
{
	OrchWorkClaimArgs a;
	OrchWorkClaim c;
	Datum	   *elems;
	bool	   *enulls;
	int			n;
	int			i;

	a.now = orch_ms_to_timestamptz(now_ms);
	a.now_ms = now_ms;
	a.lock_ms = lock_ms;
	a.token_base = token;
	a.mode = strcmp(mode, "any") == 0 ? WORK_TAGS_ANY :
		strcmp(mode, "tags") == 0 ? WORK_TAGS_LISTED :
		strcmp(mode, "default_and") == 0 ? WORK_TAGS_DEFAULT_AND : WORK_TAGS_DEFAULT_ONLY;
	deconstruct_array(DatumGetArrayTypeP(tags), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &enulls, &n);
	a.ntags = 0;
	for (i = 0; i < n; i++)
		if (!enulls[i])
			elems[a.ntags++] = elems[i];	/* tag = ANY: a NULL never matches */
	a.tags = elems;
	if (orch_work_claim_direct(hub, &a, &c) != NULL)
		return false;
	if (c.found)
	{
		Datum		values[3];
		bool		vnulls[3] = {false, false, false};

		values[0] = c.item;
		values[1] = c.token;
		values[2] = Int32GetDatum(c.attempt);
		srf_put(fcinfo, values, vnulls);
	}
	return true;
}

PG_FUNCTION_INFO_V1(experiments_orch_fetch_work_item);

/*
 * fetch_work_item(p_now_ms, p_lock_timeout_ms, p_owner_id,
 * p_session_lock_timeout_ms, p_tag_filter, p_tag_mode)
 * -> TABLE(out_work_item, out_lock_token, out_attempt_count), at most one row
 */
Datum
experiments_orch_fetch_work_item(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	int64		now_ms;
	int64		lock_ms;
	int64		session_ms;
	char	   *mode;
	Datum		token;
	Datum		tags;
	ApiGuard	guard;
	Datum		args[8];
	char		nulls[8];
	Datum	   *skipped;
	int			nskipped = 0;
	int			maxskipped = 4;
	bool		alone;

	now_ms = orch_arg_now_ms(fcinfo, 0, "p_now_ms");
	lock_ms = arg_int64_in(fcinfo, 1, "p_lock_timeout_ms", 0, ORCH_MAX_SPAN_MS);
	session_ms = orch_arg_span_ms(fcinfo, 3, "p_session_lock_timeout_ms", lock_ms);
	mode = arg_cstring(fcinfo, 5, "p_tag_mode");
	arg_one_of(mode, "p_tag_mode", tag_modes);
	if (PG_ARGISNULL(4))
		tags = PointerGetDatum(construct_empty_array(TEXTOID));
	else
		tags = PG_GETARG_DATUM(4);
	if (!PG_ARGISNULL(2) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(2)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_owner_id must not be empty")));

	srf_begin(fcinfo);
	if (strcmp(mode, "none") == 0)
		return (Datum) 0;		/* TagFilter::None: this worker takes nothing */

	token = orch_new_lock_token();
	alone = orch_lease_begin();
	api_spi_begin(fcinfo, &guard);
	if (PG_ARGISNULL(2) && claim_direct(fcinfo, hub, token, now_ms, lock_ms, mode, tags))
	{
		api_spi_end(&guard);
		orch_lease_end(alone);
		return (Datum) 0;
	}
	skipped = palloc(sizeof(Datum) * maxskipped);
	memset(nulls, ' ', sizeof(nulls));
	for (;;)
	{
		bool		isnull;
		bool		no_session;
		Datum		id;
		Datum		values[3];
		bool		vnulls[3] = {false, false, false};
		Datum		session;

		args[0] = TimestampTzGetDatum(orch_ms_to_timestamptz(now_ms));
		args[1] = Int64GetDatum(now_ms);
		args[2] = token;
		args[3] = Int64GetDatum(lock_ms);
		args[4] = CStringGetTextDatum(mode);
		args[5] = tags;
		arg_datum_or_null(fcinfo, 2, &args[6], &nulls[6]);
		if (!PG_ARGISNULL(2))
			args[7] = PointerGetDatum(construct_array(skipped, nskipped, INT8OID, 8,
													  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		if (PG_ARGISNULL(2))
		{
			if (orch_run(&lock_item_no_owner, hub, args, nulls, false, 0,
						 SPI_OK_UPDATE_RETURNING) == 0)
				break;
		}
		else if (orch_run(&lock_item, hub, args, nulls, false, 0,
						  SPI_OK_UPDATE_RETURNING) == 0)
			break;

		id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		values[1] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull);
		values[2] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
		session = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4,
								&no_session);

		if (!no_session && !PG_ARGISNULL(2))
		{
			Datum		sargs[4];

			sargs[0] = session;
			sargs[1] = PG_GETARG_DATUM(2);
			sargs[2] = Int64GetDatum(now_ms);
			sargs[3] = Int64GetDatum(session_ms);
			if (orch_run(&claim_session, hub, sargs, NULL, false, 0, SPI_OK_INSERT) == 0)
			{
				/* another worker owns the session now: give back, try the next */
				(void) orch_run(&unlock_item, hub, &id, NULL, false, 0, SPI_OK_UPDATE);
				if (nskipped == maxskipped)
				{
					maxskipped *= 2;
					skipped = repalloc(skipped, sizeof(Datum) * maxskipped);
				}
				skipped[nskipped++] = id;
				continue;
			}
		}
		srf_put(fcinfo, values, vnulls);
		break;
	}
	api_spi_end(&guard);
	orch_lease_end(alone);
	return (Datum) 0;
}

/* completion_row from ack_worker's arguments: $3 instance, $4 completion, $5 now */
static void
fill_completion(void *arg, int row, Datum *values, bool *isnull)
{
	const Datum *args = arg;

	values[0] = args[2];
	values[1] = args[3];
	values[2] = args[4];
	values[3] = args[4];
	memset(isnull, false, sizeof(bool) * 4);
}

PG_FUNCTION_INFO_V1(experiments_orch_ack_worker);

/*
 * ack_worker(p_lock_token, p_instance_id, p_completion_json, p_now_ms):
 * delete the locked item (unexpired, when p_now_ms is given) and enqueue
 * the completion for its instance.
 */
Datum
experiments_orch_ack_worker(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[6];
	char		nulls[6];
	int64		now_ms = 0;
	int64		id;
	OrchWorkAck ack;
	Datum		sargs[2];
	bool		no_session;

	arg_not_null(fcinfo, 0, "p_lock_token");
	if (!PG_ARGISNULL(3))
		now_ms = orch_arg_now_ms(fcinfo, 3, "p_now_ms");
	if (!PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("p_instance_id is required when p_completion_json is provided")));
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("p_now_ms is required when p_completion_json is provided")));
		(void) arg_text_bounded(fcinfo, 1, "p_instance_id", ORCH_MAX_ID);
		orch_check_json_object(PG_GETARG_TEXT_PP(2), "p_completion_json");
	}

	memset(nulls, ' ', sizeof(nulls));
	args[0] = PG_GETARG_DATUM(0);
	arg_datum_or_null(fcinfo, 3, &args[1], &nulls[1]);
	arg_datum_or_null(fcinfo, 1, &args[2], &nulls[2]);
	arg_datum_or_null(fcinfo, 2, &args[3], &nulls[3]);
	args[4] = TimestampTzGetDatum(orch_ms_to_timestamptz(now_ms));
	if (!orch_token_item_id(PG_GETARG_TEXT_PP(0), &id))
		orch_lock_error(ORCH_ERR_ACK_WORKER);
	args[5] = Int64GetDatum(id);

	api_spi_begin(fcinfo, &guard);
	if (orch_work_ack_direct(hub, args[0], id, !PG_ARGISNULL(3), now_ms, &ack) == NULL)
	{
		if (!ack.deleted)
			orch_lock_error(ORCH_ERR_ACK_WORKER);
		if (!PG_ARGISNULL(2) &&
			append_rows_in(&completion_row, hub, 1, fill_completion, args, NULL) != NULL)
			(void) orch_run(&ack_enqueue, hub, &args[2], NULL, false, 0, SPI_OK_INSERT);
		no_session = !ack.has_session;
		sargs[0] = ack.session;
	}
	else
	{
		(void) orch_run(&ack_item, hub, args, nulls, false, 0, SPI_OK_SELECT);
		if (count_column() == 0)
			orch_lock_error(ORCH_ERR_ACK_WORKER);
		sargs[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
								 &no_session);
	}
	if (!PG_ARGISNULL(3) && !no_session)
	{
		sargs[1] = Int64GetDatum(now_ms);
		(void) orch_run(&ack_touch_session, hub, sargs, NULL, false, 0, SPI_OK_UPDATE);
	}
	api_spi_end(&guard);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(experiments_orch_renew_work_item_lock);

/* renew_work_item_lock(p_lock_token, p_now_ms, p_extend_secs) */
Datum
experiments_orch_renew_work_item_lock(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	int64		now_ms;
	int64		extend_secs;
	ApiGuard	guard;
	Datum		args[4];
	int64		id;

	arg_not_null(fcinfo, 0, "p_lock_token");
	now_ms = orch_arg_now_ms(fcinfo, 1, "p_now_ms");
	extend_secs = arg_int64_in(fcinfo, 2, "p_extend_secs", 0, ORCH_MAX_SPAN_MS / 1000);
	if (!orch_token_item_id(PG_GETARG_TEXT_PP(0), &id))
		orch_lock_error(ORCH_ERR_RENEW_WORKER);

	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = Int64GetDatum(now_ms);
	args[2] = Int64GetDatum(now_ms + extend_secs * 1000);
	args[3] = Int64GetDatum(id);
	(void) orch_run(&renew_item, hub, args, NULL, false, 0, SPI_OK_SELECT);
	if (count_column() == 0)
		orch_lock_error(ORCH_ERR_RENEW_WORKER);
	api_spi_end(&guard);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(experiments_orch_abandon_work_item);

/*
 * abandon_work_item(p_lock_token, p_now_ms, p_delay_ms, p_ignore_attempt):
 * the item is visible again at now + delay (expiry is not checked).
 */
Datum
experiments_orch_abandon_work_item(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	int64		now_ms;
	int64		delay_ms;
	ApiGuard	guard;
	Datum		args[4];
	int64		id;

	arg_not_null(fcinfo, 0, "p_lock_token");
	now_ms = orch_arg_now_ms(fcinfo, 1, "p_now_ms");
	delay_ms = orch_arg_span_ms(fcinfo, 2, "p_delay_ms", 0);
	arg_not_null(fcinfo, 3, "p_ignore_attempt");
	if (!orch_token_item_id(PG_GETARG_TEXT_PP(0), &id))
		orch_lock_error(ORCH_ERR_ABANDON_WORKER);

	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = TimestampTzGetDatum(orch_ms_to_timestamptz(now_ms + delay_ms));
	args[2] = PG_GETARG_DATUM(3);
	args[3] = Int64GetDatum(id);
	if (orch_run(&abandon_item, hub, args, NULL, false, 0, SPI_OK_UPDATE) == 0)
		orch_lock_error(ORCH_ERR_ABANDON_WORKER);
	api_spi_end(&guard);
	PG_RETURN_VOID();
}
