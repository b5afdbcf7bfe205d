/*-------------------------------------------------------------------------
 *
 * fetch_orch.c
 *	  fetch_orchestration_item(): lock the next ready instance and hand out
 *	  its history, its messages and its KV snapshot.
 *
 Two statements per successful fetch:
 *
 *	1. pick and claim: the oldest visible, unlocked message whose instance
 *	   holds no valid instance lock (and whose pinned version, if any, lies
 *	   in the capability range), skipping message rows another transaction
 *	   has locked - so concurrent fetchers pass each other's uncommitted
 *	   claims instead of queueing behind them; then the upsert of its
 *	   instance_locks row (taking over only an expired one) and the tagging
 *	   of the instance's visible, unlocked messages with the token, attempt
 *	   counts up, aggregated;
 *	2. read the instance row, the current execution's history and kv_store
 *	   (a statement of its own: its fresh snapshot sees every ack that
 *	   released the lock before our claim).
 *
 * Losing a race never loses work.  When another fetcher claims the same
 * candidate first (possible only through a message it did not tag), our
 * upsert waits for its transaction and then claims nothing; the candidate
 * goes on a skip list and step 1 runs again with a fresh snapshot, until a claim succeeds or no candidate is left (the skip
 * list makes the loop finite).  Nothing is returned only when no eligible
 * instance exists.
 *
 * The claim is a lease: when it is all the transaction writes, its commit
 * does not wait for the WAL flush (lease.c).
 *
 * No advisory lock is needed (duroxide-pg takes one per instance to cure a
 * deadlock): apart from the one untagged message the pick may hold, the
 * instance_locks row is taken before the instance's queue rows, by fetch,
 * ack, abandon and renew alike (orchestration.h).  A message the pick locks is
 * one no claimant has tagged, and nobody holding an instance lock waits for
 * untagged messages (ack and abandon touch only tagged rows), so no two
 * of them can wait for each other in a cycle.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_read.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "orchestration/claim.h"
#include "orchestration/fetch_read.h"
#include "orchestration/orchestration.h"
#include "orchestration/workitem.h"

/*
 * Pick and claim.  $1 now, $2 now_ms, $3 instances to skip, $4/$5 the packed
 * version range (NULL = open), $6 token, $7 lock timeout ms.  Two kept
 * statements: without a range the capability filter is left out, so that
 * its subplan (and the instances and executions tables) is neither set up
 * nor locked on every call.
 *
 * c: the candidate (an instance without row, or with a NULL pinned version,
 * is compatible with every range); l: the instance_locks upsert; m: the
 * batch.  The candidate walks idx_orch_visible (visible_at, id) in order and
 * probes the other tables per message; OFFSET 0 keeps the two NOT EXISTS
 * correlated subplans: as anti joins a generic plan may hash a seq scan of
 * instance_locks (a small, churning table: its pages of dead rows are read
 * on every call) or of instances and executions.  Columns: 1 candidate
 * (NULL: none), 2 claimed (0/1), 3 messages tagged, 4 messages jsonb,
 * 5 highest attempt count.
 */
#define PICK_HEAD \
	"WITH c AS (" \
	"  SELECT q.instance_id FROM @schema@.orchestrator_queue q" \
	"   WHERE q.visible_at <= $1" \
	"     AND (q.lock_token IS NULL OR q.locked_until <= $2)" \
	"     AND NOT EXISTS (SELECT 1 FROM @schema@.instance_locks l" \
	"                      WHERE l.instance_id = q.instance_id AND l.locked_until > $2" \
	"                     OFFSET 0)" \
	"     AND q.instance_id <> ALL ($3)"

/* the capability filter, only in the statement for a version range */
#define PICK_VERSION_FILTER \
	"     AND NOT EXISTS (" \
	"          SELECT 1 FROM @schema@.instances i" \
	"            JOIN @schema@.executions e ON e.instance_id = i.instance_id" \
	"                                      AND e.execution_id = i.current_execution_id" \
	"           WHERE i.instance_id = q.instance_id" \
	"             AND e.duroxide_version_major IS NOT NULL" \
	"             AND (e.duroxide_version_major::bigint * 1000000" \
	"                  + COALESCE(e.duroxide_version_minor, 0)::bigint * 1000" \
	"                  + COALESCE(e.duroxide_version_patch, 0)::bigint)" \
	"                 NOT BETWEEN COALESCE($4, 0) AND COALESCE($5, 9223372036854775807)" \
	"          OFFSET 0)"

#define PICK_TAIL \
	"   ORDER BY q.visible_at, q.id" \
	"   LIMIT 1" \
	"     FOR UPDATE OF q SKIP LOCKED)," \
	" l AS (" \
	"  INSERT INTO @schema@.instance_locks AS l" \
	"         (instance_id, lock_token, locked_until, locked_at)" \
	"  SELECT c.instance_id, $6, $2 + $7, $2 FROM c" \
	"  ON CONFLICT (instance_id) DO UPDATE" \
	"     SET lock_token = EXCLUDED.lock_token, locked_until = EXCLUDED.locked_until," \
	"         locked_at = EXCLUDED.locked_at" \
	"   WHERE l.locked_until <= $2" \
	"  RETURNING l.instance_id)," \
	" m AS (" \
	"  UPDATE @schema@.orchestrator_queue q" \
	"     SET lock_token = $6, locked_until = $2 + $7, attempt_count = q.attempt_count + 1" \
	"    FROM l" \
	"   WHERE q.instance_id = l.instance_id AND q.visible_at <= $1" \
	"     AND (q.lock_token IS NULL OR q.locked_until <= $2)" \
	"  RETURNING q.id, q.work_item, q.attempt_count)" \
	" SELECT (SELECT c.instance_id FROM c), (SELECT count(*) FROM l), count(*)," \
	"        pg_catalog.jsonb_agg(m.work_item::jsonb ORDER BY m.id)," \
	"        max(m.attempt_count)" \
	"   FROM m"

static const StmtDef pick_and_claim = {
	"orchestration.fetch.pick_and_claim",
	PICK_HEAD PICK_TAIL,
	7, {TIMESTAMPTZOID, INT8OID, TEXTARRAYOID, INT8OID, INT8OID, TEXTOID, INT8OID}
};

static const StmtDef pick_and_claim_in_range = {
	"orchestration.fetch.pick_and_claim_in_range",
	PICK_HEAD PICK_VERSION_FILTER PICK_TAIL,
	7, {TIMESTAMPTZOID, INT8OID, TEXTARRAYOID, INT8OID, INT8OID, TEXTOID, INT8OID}
};

/* Undo a claim that found no message (they went away meanwhile). */
static const StmtDef release_claim = {
	"orchestration.fetch.release",
	"DELETE FROM @schema@.instance_locks WHERE instance_id = $1 AND lock_token = $2",
	2, {TEXTOID, TEXTOID}
};

#define KV_SNAPSHOT \
	"COALESCE((SELECT pg_catalog.jsonb_object_agg(k.key, pg_catalog.jsonb_build_object(" \
	"  'value', k.value, 'last_updated_at_ms', k.last_updated_at_ms))" \
	"  FROM @schema@.kv_store k WHERE k.instance_id = $1), '{}'::jsonb)"

/*
 * The instance, its current history and its KV snapshot.  With no instance
 * row (no ack has named the instance yet) the second branch runs instead:
 * the latest execution found in history, its OrchestrationStarted event's
 * name and version, its events.  Columns: 1 instance row found, 2 name,
 * 3 version, 4 execution (NULL: neither instance row nor history),
 * 5 history, 6 kv snapshot.
 */
static const StmtDef read_instance = {
	"orchestration.fetch.read_instance",
	"WITH i AS (SELECT * FROM @schema@.instances WHERE instance_id = $1)"
	" SELECT true, i.orchestration_name, COALESCE(i.orchestration_version, 'unknown'),"
	"        i.current_execution_id,"
	"        COALESCE((SELECT pg_catalog.jsonb_agg(h.event_data::jsonb ORDER BY h.event_id)"
	"                    FROM @schema@.history h"
	"                   WHERE h.instance_id = $1"
	"                     AND h.execution_id = i.current_execution_id), '[]'::jsonb),"
	"        " KV_SNAPSHOT
	"   FROM i"
	" UNION ALL"
	" SELECT false, s.event ->> 'name', s.event ->> 'version', x.execution_id,"
	"        COALESCE((SELECT pg_catalog.jsonb_agg(h.event_data::jsonb ORDER BY h.event_id)"
	"                    FROM @schema@.history h"
	"                   WHERE h.instance_id = $1 AND h.execution_id = x.execution_id),"
	"                 '[]'::jsonb),"
	"        " KV_SNAPSHOT
	"   FROM (SELECT max(h.execution_id) AS execution_id"
	"           FROM @schema@.history h WHERE h.instance_id = $1) AS x"
	"   LEFT JOIN LATERAL (SELECT h.event_data::jsonb AS event"
	"                        FROM @schema@.history h"
	"                       WHERE h.instance_id = $1 AND h.execution_id = x.execution_id"
	"                         AND h.event_type = 'OrchestrationStarted'"
	"                       ORDER BY h.event_id LIMIT 1) AS s ON true"
	"  WHERE NOT EXISTS (SELECT 1 FROM i)",
	1, {TEXTOID}
};

#define FETCH_COLUMNS 9

/*
 * Name, version and execution of an instance without instance row or
 * OrchestrationStarted in history, from its first message.
 */
static void
names_from_messages(Jsonb *messages, char **name, char **version, int64 *execution)
{
	JsonbValue *first = getIthJsonbValueFromContainer(&messages->root, 0);
	char	   *variant;
	JbObject	body;

	*name = "Unknown";
	*version = "unknown";
	*execution = 1;
	if (first == NULL || first->type != jbvBinary)
		return;
	if (!wi_variant(first->val.binary.data, "out_messages", 0, &variant, &body) ||
		body.c == NULL)
		return;
	if (strcmp(variant, "StartOrchestration") == 0 ||
		strcmp(variant, "ContinueAsNew") == 0)
	{
		char	   *s;
		int64		e;

		if (jbr_text(&body, "orchestration", false, &s))
			*name = s;
		if (jbr_text(&body, "version", false, &s))
			*version = s;
		if (strcmp(variant, "StartOrchestration") == 0 &&
			jbr_int64(&body, "execution_id", false, &e))
			*execution = e;
	}
}

static bool
column_datum(int col, Datum *value)
{
	bool		isnull;

	*value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
	return !isnull;
}

/*
 * Step 1 by the pick-and-claim statement, for a hub whose tables the
 * direct claim (claim.c) must not write.
 */
static void
claim_by_sql(FunctionCallInfo fcinfo, const char *hub, const OrchClaimArgs *ca,
			 OrchClaim *out)
{
	Datum		args[7];
	char		nulls[7];
	Datum		d;

	memset(out, 0, sizeof(*out));
	args[0] = TimestampTzGetDatum(ca->now);
	args[1] = Int64GetDatum(ca->now_ms);
	args[2] = PointerGetDatum(construct_array((Datum *) ca->skipped, ca->nskipped, TEXTOID,
											  -1, false, TYPALIGN_INT));
	memset(nulls, ' ', sizeof(nulls));
	arg_datum_or_null(fcinfo, 2, &args[3], &nulls[3]);
	arg_datum_or_null(fcinfo, 3, &args[4], &nulls[4]);
	args[5] = ca->token;
	args[6] = Int64GetDatum(ca->lock_ms);
	(void) orch_run(ca->in_range ? &pick_and_claim_in_range : &pick_and_claim, hub, args,
					nulls, false, 0, SPI_OK_SELECT);
	if (!column_datum(1, &d))
		return;
	out->found = true;
	out->instance = SPI_datumTransfer(d, false, -1);
	(void) column_datum(2, &d);
	out->claimed = DatumGetInt64(d) > 0;
	(void) column_datum(3, &d);
	out->tagged = DatumGetInt64(d);
	if (out->tagged == 0)
		return;
	(void) column_datum(4, &d);
	out->messages = DatumGetJsonbPCopy(d);
	(void) column_datum(5, &d);
	out->attempt = DatumGetInt32(d);
}

/* Step 2 by the read_instance statement, for a hub the direct read must not read. */
static void
read_by_sql(const char *hub, Datum instance, OrchRead *out)
{
	Datum		d;

	memset(out, 0, sizeof(*out));
	(void) orch_run(&read_instance, hub, &instance, NULL, false, 0, SPI_OK_SELECT);
	(void) column_datum(1, &d);
	out->row = DatumGetBool(d);
	out->has_name = column_datum(2, &out->name);
	out->has_version = column_datum(3, &out->version);
	out->has_execution = column_datum(4, &d);
	if (out->has_execution)
		out->execution = DatumGetInt64(d);
	(void) column_datum(5, &d);
	out->history = DatumGetJsonbPCopy(d);
	(void) column_datum(6, &d);
	out->kv = DatumGetJsonbPCopy(d);
	if (out->has_name)
		out->name = SPI_datumTransfer(out->name, false, -1);
	if (out->has_version)
		out->version = SPI_datumTransfer(out->version, false, -1);
}

PG_FUNCTION_INFO_V1(experiments_orch_fetch_orchestration_item);

/*
 * fetch_orchestration_item(p_now_ms, p_lock_timeout_ms, p_min_version_packed,
 * p_max_version_packed) -> at most one row.
 */
Datum
experiments_orch_fetch_orchestration_item(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	int64		now_ms = orch_arg_now_ms(fcinfo, 0, "p_now_ms");
	int64		lock_ms = arg_int64_in(fcinfo, 1, "p_lock_timeout_ms", 0, ORCH_MAX_SPAN_MS);
	Datum		now_ts = TimestampTzGetDatum(orch_ms_to_timestamptz(now_ms));
	Datum		token = orch_new_lock_token();
	ApiGuard	guard;
	Datum	   *skipped;
	int			nskipped = 0;
	int			maxskipped = 8;
	Jsonb	   *messages;
	Datum		values[FETCH_COLUMNS];
	bool		isnull[FETCH_COLUMNS] = {0};
	bool		alone;

	if (!PG_ARGISNULL(2) && !PG_ARGISNULL(3) && PG_GETARG_INT64(2) > PG_GETARG_INT64(3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_min_version_packed must not exceed p_max_version_packed")));

	srf_begin(fcinfo);
	alone = orch_lease_begin();
	api_spi_begin(fcinfo, &guard);
	skipped = palloc(sizeof(Datum) * maxskipped);

	for (;;)
	{
		Datum		instance;
		OrchClaim	claim;
		OrchRead	r;
		OrchClaimArgs ca;

		/* 1. a candidate, none of those lost already, claimed */
		ca.now = DatumGetTimestampTz(now_ts);
		ca.now_ms = now_ms;
		ca.in_range = !PG_ARGISNULL(2) || !PG_ARGISNULL(3);
		ca.min_packed = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
		ca.max_packed = PG_ARGISNULL(3) ? PG_INT64_MAX : PG_GETARG_INT64(3);
		ca.token = token;
		ca.lock_ms = lock_ms;
		ca.skipped = skipped;
		ca.nskipped = nskipped;
		if (orch_claim_direct(hub, &ca, &claim) != NULL)
			claim_by_sql(fcinfo, hub, &ca, &claim);
		if (!claim.found)
			break;				/* no eligible instance */
		instance = claim.instance;
		if (claim.tagged == 0)
		{
			/* lost the race, or claimed an instance whose messages went away */
			if (claim.claimed)
			{
				Datum		rargs[2];

				rargs[0] = instance;
				rargs[1] = token;
				(void) orch_run(&release_claim, hub, rargs, NULL, false, 0,
								SPI_OK_DELETE);
			}
			if (nskipped == maxskipped)
			{
				maxskipped *= 2;
				skipped = repalloc(skipped, sizeof(Datum) * maxskipped);
			}
			skipped[nskipped++] = instance;
			continue;
		}
		messages = claim.messages;
		values[0] = instance;
		values[5] = JsonbPGetDatum(messages);
		values[6] = token;
		values[7] = Int32GetDatum(claim.attempt);

		/* 2. the instance, its current history and its KV snapshot */
		if (orch_read_direct(hub, instance, &r) != NULL)
			read_by_sql(hub, instance, &r);
		if (r.row)
		{
			values[1] = r.name;
			values[2] = r.version;
			values[3] = Int64GetDatum(r.execution);
		}
		else
		{
			char	   *name;
			char	   *version;
			int64		execution;

			names_from_messages(messages, &name, &version, &execution);
			if (r.has_execution)
			{
				execution = r.execution;
				if (r.has_name)
				{
					name = TextDatumGetCString(r.name);
					version = r.has_version ? TextDatumGetCString(r.version) : "unknown";
				}
			}
			values[1] = CStringGetTextDatum(name);
			values[2] = CStringGetTextDatum(version);
			values[3] = Int64GetDatum(execution);
		}
		values[4] = JsonbPGetDatum(r.history);
		values[8] = JsonbPGetDatum(r.kv);
		srf_put(fcinfo, values, isnull);
		break;
	}

	api_spi_end(&guard);
	orch_lease_end(alone);
	return (Datum) 0;
}
