/*-------------------------------------------------------------------------
 *
 * claim.c
 *	  fetch_orchestration_item()'s pick and claim without SQL (claim.h).
 *
 * The statement it replaces (pick_and_claim in fetch_orch.c) costs more to
 * set up and tear down -- three scans, two modify nodes, an aggregate --
 * than to run, and the fetch is half of every orchestration turn.  Here
 * the same three steps are done by the access methods, under one snapshot
 * taken as SPI would take it for the statement:
 *
 *	1. pick: walk the (visible_at, id) index of orchestrator_queue from the
 *	   oldest message visible now; the first one that is unlocked (or whose
 *	   lock expired), not of a skipped instance, of an instance without a
 *	   live instance_locks row and, with a version range, whose instance's
 *	   pinned version is unset or in range, is locked FOR UPDATE SKIP
 *	   LOCKED.  A row another transaction holds is passed over; in READ
 *	   COMMITTED a row updated since the snapshot is followed to its newest
 *	   version, which must pass the same tests (as the executor rechecks a
 *	   locked row); in REPEATABLE READ and SERIALIZABLE that is 40001.
 *	2. claim: INSERT ... ON CONFLICT (instance_id) DO UPDATE ... WHERE the
 *	   existing lock expired, as the executor runs it: a pre-check of the
 *	   unique index; if free, a speculative insertion (retried when a
 *	   concurrent one wins); if taken, the existing row locked and, if its
 *	   lock expired, taken over.
 *	3. tag: every visible message of the instance that is visible now and
 *	   unlocked (or expired) is locked, rechecked and updated with the token,
 *	   the new expiry and attempt_count + 1.
 *
 * Predicate locks (SERIALIZABLE) are taken by the index and heap access
 * methods as for any scan; the writes check for conflicts as any write
 * does; index entries, NOT NULL and CHECK constraints are written and
 * checked as DML does.  What a direct write cannot honour -- triggers,
 * row-level security, missing rights, a changed table -- sends the call
 * back to the SQL statement (the reason is kept for the self-test).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "common/direct.h"
#include "common/jsonb_build.h"
#include "common/probe.h"
#include "orchestration/claim.h"

char		orch_claim_last_fallback[128] = "";

/* What the direct claim knows about one hub's tables, rebuilt when stale. */
typedef struct ClaimEntry
{
	DirectSchemaEntry hdr;		/* over orchestrator_queue, instance_locks */
	/* orchestrator_queue */
	AttrNumber	q_id;
	AttrNumber	q_instance;
	AttrNumber	q_item;
	AttrNumber	q_visible;
	AttrNumber	q_token;
	AttrNumber	q_until;
	AttrNumber	q_attempt;
	Oid			visible_index;	/* btree on (visible_at, id, ...) */
	Oid			instance_index; /* btree on (instance_id, ...) */
	DirectKeyProc		visible_le;
	DirectKeyProc		instance_eq;
	Expr	  **q_checks;
	int			q_ncheck;
	/* instance_locks */
	AttrNumber	l_instance;
	AttrNumber	l_token;
	AttrNumber	l_until;
	AttrNumber	l_at;
	Oid			lock_index;		/* unique btree on (instance_id) */
	DirectKeyProc		lock_eq;
	Expr	  **l_checks;
	int			l_ncheck;
} ClaimEntry;

static DirectSchemaEntry *entries = NULL;

/* the version filter's lookups */
static const ProbeDef instance_execution = {
	"instances", "instances_pkey", 1, 1, {"current_execution_id"}
};
static const ProbeDef execution_version = {
	"executions", "executions_pkey", 2, 3,
	{"duroxide_version_major", "duroxide_version_minor", "duroxide_version_patch"}
};

/* Fill e from the catalogue; NULL, or why the tables must be written by SQL. */
static const char *
describe(DirectSchemaEntry *entry, Relation *rels)
{
	ClaimEntry *e = (ClaimEntry *) entry;
	Relation	queue = rels[0];
	Relation	locks = rels[1];
	AttrNumber	atts[2];
	const char *why;
	int			i;
	int			known = 0;

	DIRECT_REQUIRE_COLUMN(e->q_id, queue, "id", INT8OID);
	DIRECT_REQUIRE_COLUMN(e->q_instance, queue, "instance_id", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->q_item, queue, "work_item", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->q_visible, queue, "visible_at", TIMESTAMPTZOID);
	DIRECT_REQUIRE_COLUMN(e->q_token, queue, "lock_token", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->q_until, queue, "locked_until", INT8OID);
	DIRECT_REQUIRE_COLUMN(e->q_attempt, queue, "attempt_count", INT4OID);
	DIRECT_REQUIRE_COLUMN(e->l_instance, locks, "instance_id", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->l_token, locks, "lock_token", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->l_until, locks, "locked_until", INT8OID);
	DIRECT_REQUIRE_COLUMN(e->l_at, locks, "locked_at", INT8OID);

	/* the claim writes every column of instance_locks: no others may exist */
	for (i = 0; i < RelationGetDescr(locks)->natts; i++)
		known += !TupleDescAttr(RelationGetDescr(locks), i)->attisdropped;
	if (known != 4)
		return "instance_locks has columns the direct claim does not know";

	if ((why = direct_shape_verdict(queue)) != NULL ||
		(why = direct_shape_verdict(locks)) != NULL ||
		(why = direct_trigger_verdict(queue, "the direct claim")) != NULL ||
		(why = direct_trigger_verdict(locks, "the direct claim")) != NULL)
		return why;

	atts[0] = e->q_visible;
	atts[1] = e->q_id;
	e->visible_index = direct_prefix_index(queue, atts, 2);
	e->instance_index = direct_prefix_index(queue, &e->q_instance, 1);
	e->lock_index = direct_key_index(locks, e->l_instance);
	if (!OidIsValid(e->visible_index) || !OidIsValid(e->instance_index) ||
		!OidIsValid(e->lock_index))
		return "an index the direct claim walks is missing";
	if (!direct_key_proc(e->visible_index, 0, BTLessEqualStrategyNumber, &e->visible_le) ||
		!direct_key_proc(e->instance_index, 0, BTEqualStrategyNumber, &e->instance_eq) ||
		!direct_key_proc(e->lock_index, 0, BTEqualStrategyNumber, &e->lock_eq))
		return "an index the direct claim walks has no suitable operator";

	e->q_checks = direct_plan_checks(queue, &e->q_ncheck);
	e->l_checks = direct_plan_checks(locks, &e->l_ncheck);
	return NULL;
}

/* The state of one call. */
typedef struct Claim
{
	const ClaimEntry *e;
	const OrchClaimArgs *a;
	const char *schema;
	ProbeSnapshot ps;
	Snapshot	snapshot;
	CommandId	cid;
	bool		xact_snapshot;	/* REPEATABLE READ or SERIALIZABLE */
	EState	   *estate;
	Relation	queue;
	Relation	locks;
	ResultRelInfo *rris[2];		/* queue, locks */
	Relation	lock_index;
	TupleTableSlot *lock_slot;	/* for the instance_locks lookups */
} Claim;

/* Is the message unlocked, or its lock expired, and visible now? */
static bool
message_free(const Claim *c, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		visible = slot_getattr(slot, c->e->q_visible, &isnull);
	Datum		until;

	if (isnull || DatumGetTimestampTz(visible) > c->a->now)
		return false;
	(void) slot_getattr(slot, c->e->q_token, &isnull);
	if (isnull)
		return true;
	until = slot_getattr(slot, c->e->q_until, &isnull);
	return !isnull && DatumGetInt64(until) <= c->a->now_ms;
}

/* Does the instance hold an instance_locks row that has not expired? */
static bool
instance_locked(const Claim *c, Datum instance)
{
	ScanKeyData sk;
	IndexScanDesc scan;
	TupleTableSlot *slot = c->lock_slot;
	bool		locked = false;

	ScanKeyEntryInitialize(&sk, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   c->e->lock_eq.collation, c->e->lock_eq.proc, instance);
	scan = index_beginscan(c->locks, c->lock_index, c->snapshot, 1, 0);
	index_rescan(scan, &sk, 1, NULL, 0);
	while (!locked && index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		until = slot_getattr(slot, c->e->l_until, &isnull);

		locked = !isnull && DatumGetInt64(until) > c->a->now_ms;
	}
	index_endscan(scan);
	ExecClearTuple(slot);
	return locked;
}

/* Is the instance's pinned version unset, or in the range? */
static bool
version_fits(const Claim *c, Datum instance)
{
	Datum		keys[2];
	Datum		v[3];
	bool		n[3];
	int64		packed;

	keys[0] = instance;
	if (!probe_fetch(&instance_execution, c->schema, &c->ps, keys, v, n) || n[0])
		return true;
	keys[1] = v[0];
	if (!probe_fetch(&execution_version, c->schema, &c->ps, keys, v, n) || n[0])
		return true;
	packed = (int64) DatumGetInt32(v[0]) * 1000000 +
		(n[1] ? 0 : (int64) DatumGetInt32(v[1]) * 1000) +
		(n[2] ? 0 : (int64) DatumGetInt32(v[2]));
	return packed >= c->a->min_packed && packed <= c->a->max_packed;
}

/* The whole test of the pick, on one version of a message. */
static bool
candidate(const Claim *c, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		instance = slot_getattr(slot, c->e->q_instance, &isnull);
	int			i;

	if (isnull || !message_free(c, slot))
		return false;
	for (i = 0; i < c->a->nskipped; i++)
		if (direct_key_test(&c->e->instance_eq, instance, c->a->skipped[i]))
			return false;
	if (instance_locked(c, instance))
		return false;
	return !c->a->in_range || version_fits(c, instance);
}

/*
 * Lock the message at tid (found under the snapshot) in mode; wait or skip.
 * true: locked is the locked version, to be rechecked if *followed.
 */
static bool
lock_message(const Claim *c, ItemPointer tid, LockTupleMode mode, LockWaitPolicy wait,
			 TupleTableSlot *locked, bool *followed)
{
	/* not locked: held by another fetcher, already ours, or gone */
	return direct_lock_version(c->queue, tid, c->snapshot, c->cid, mode, wait, true, locked,
							   followed) == TM_Ok;
}

/* Step 1: the oldest eligible message, locked; its instance or (Datum) 0. */
static Datum
pick(const Claim *c)
{
	ScanKeyData sk;
	IndexScanDesc scan;
	Relation	index = direct_index(c->rris[0], c->e->visible_index);
	TupleTableSlot *slot = table_slot_create(c->queue, &c->estate->es_tupleTable);
	TupleTableSlot *locked = table_slot_create(c->queue, &c->estate->es_tupleTable);
	Datum		instance = (Datum) 0;

	ScanKeyEntryInitialize(&sk, 0, 1, BTLessEqualStrategyNumber, InvalidOid,
						   c->e->visible_le.collation, c->e->visible_le.proc,
						   TimestampTzGetDatum(c->a->now));
	scan = index_beginscan(c->queue, index, c->snapshot, 1, 0);
	index_rescan(scan, &sk, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		followed;
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		if (!candidate(c, slot) ||
			!lock_message(c, &slot->tts_tid, LockTupleExclusive, LockWaitSkip, locked,
						  &followed) ||
			(followed && !candidate(c, locked)))
			continue;
		instance = datumCopy(slot_getattr(locked, c->e->q_instance, &isnull), false, -1);
		break;
	}
	index_endscan(scan);
	return instance;
}

static void
set_column(TupleTableSlot *slot, AttrNumber att, Datum value)
{
	slot->tts_values[att - 1] = value;
	slot->tts_isnull[att - 1] = false;
}

/* The columns of an instance lock the claim sets: token, expiry, time taken. */
static void
set_lock(const Claim *c, TupleTableSlot *slot)
{
	set_column(slot, c->e->l_token, c->a->token);
	set_column(slot, c->e->l_until, Int64GetDatum(c->a->now_ms + c->a->lock_ms));
	set_column(slot, c->e->l_at, Int64GetDatum(c->a->now_ms));
}

/* Step 2's DO UPDATE ... WHERE: take the existing lock row over if it expired. */
static bool
take_over(TupleTableSlot *existing, TupleTableSlot *newer, void *arg)
{
	const Claim *c = arg;
	bool		isnull;
	Datum		until = slot_getattr(existing, c->e->l_until, &isnull);

	if (isnull || DatumGetInt64(until) > c->a->now_ms)
		return false;			/* live: the row stays locked, nothing changes */
	set_lock(c, newer);
	return true;
}

/* Step 2: the upsert of the instance's lock row; was the lock taken? */
static bool
claim_lock(const Claim *c, Datum instance)
{
	TupleTableSlot *slot = table_slot_create(c->locks, &c->estate->es_tupleTable);

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * RelationGetDescr(c->locks)->natts);
	set_column(slot, c->e->l_instance, instance);
	set_lock(c, slot);
	ExecStoreVirtualTuple(slot);
	return direct_upsert(c->estate, c->rris[1], c->e->lock_index, slot, c->snapshot,
						 take_over, (void *) c) != DIRECT_KEPT;
}

typedef struct Tagged
{
	int64		id;
	Datum		item;
} Tagged;

static int
tagged_cmp(const void *a, const void *b)
{
	int64		x = ((const Tagged *) a)->id;
	int64		y = ((const Tagged *) b)->id;

	return x < y ? -1 : x > y;
}

/* Step 3: tag the instance's free messages; out gets them. */
static void
tag(const Claim *c, Datum instance, OrchClaim *out)
{
	const ClaimEntry *e = c->e;
	ScanKeyData sk;
	IndexScanDesc scan;
	Relation	index = direct_index(c->rris[0], e->instance_index);
	TupleTableSlot *slot = table_slot_create(c->queue, &c->estate->es_tupleTable);
	TupleTableSlot *locked = table_slot_create(c->queue, &c->estate->es_tupleTable);
	TupleTableSlot *newer = table_slot_create(c->queue, &c->estate->es_tupleTable);
	int			size = 8;
	Tagged	   *rows = palloc(sizeof(Tagged) * size);
	JbBuilder	b = {0};
	int			n = 0;
	int			i;

	ScanKeyEntryInitialize(&sk, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   e->instance_eq.collation, e->instance_eq.proc, instance);
	scan = index_beginscan(c->queue, index, c->snapshot, 1, 0);
	index_rescan(scan, &sk, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		followed;
		bool		isnull;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		if (!message_free(c, slot) ||
			!lock_message(c, &slot->tts_tid, LockTupleNoKeyExclusive, LockWaitBlock, locked,
						  &followed))
			continue;
		if (followed)
		{
			d = slot_getattr(locked, e->q_instance, &isnull);
			if (isnull || !direct_key_test(&e->instance_eq, d, instance) ||
				!message_free(c, locked))
				continue;
		}
		direct_copy_row(newer, locked);
		set_column(newer, e->q_token, c->a->token);
		set_column(newer, e->q_until, Int64GetDatum(c->a->now_ms + c->a->lock_ms));
		set_column(newer, e->q_attempt,
				   Int32GetDatum(DatumGetInt32(locked->tts_values[e->q_attempt - 1]) + 1));
		ExecStoreVirtualTuple(newer);
		direct_update(c->estate, c->rris[0], locked, newer, c->snapshot);
		ResetPerTupleExprContext(c->estate);

		if (n == size)
		{
			size *= 2;
			rows = repalloc(rows, sizeof(Tagged) * size);
		}
		rows[n].id = DatumGetInt64(locked->tts_values[e->q_id - 1]);
		rows[n].item = PointerGetDatum(PG_DETOAST_DATUM_COPY(locked->tts_values[e->q_item - 1]));
		out->attempt = Max(out->attempt, DatumGetInt32(newer->tts_values[e->q_attempt - 1]));
		n++;
	}
	index_endscan(scan);

	out->tagged = n;
	if (n == 0)
		return;
	qsort(rows, n, sizeof(Tagged), tagged_cmp);
	jbb_begin_array(&b);
	for (i = 0; i < n; i++)
		jbb_jsonb(&b, DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
														 CStringGetDatum(TextDatumGetCString(rows[i].item)))));
	jbb_end_array(&b);
	out->messages = jbb_finish(&b);
}

/*
 * The version filter reads instances and executions by probes, which must
 * not meet row-level security: why those tables need SQL, or NULL.
 */
static const char *
filter_rights(const char *schema)
{
	const char *names[2] = {"instances", "executions"};
	const char *why = NULL;
	int			i;

	for (i = 0; i < 2 && why == NULL; i++)
	{
		Relation	rel = direct_open_in(schema, names[i], AccessShareLock);

		why = direct_rights_verdict(rel, ACL_SELECT);
		table_close(rel, NoLock);
	}
	return why;
}

const char *
orch_claim_direct(const char *schema, const OrchClaimArgs *args, OrchClaim *out)
{
	Claim		c;
	ClaimEntry *e;
	const char *why;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.a = args;
	c.schema = schema;
	c.queue = direct_open_in(schema, "orchestrator_queue", RowExclusiveLock);
	c.locks = direct_open_in(schema, "instance_locks", RowExclusiveLock);
	{
		Relation	rels[2];

		rels[0] = c.queue;
		rels[1] = c.locks;
		e = (ClaimEntry *) direct_schema_entry(&entries, sizeof(ClaimEntry), schema,
											   "experiments orchestration claim", rels, 2,
											   describe);
	}
	why = e->hdr.ineligible;
	if (why == NULL)
		why = direct_rights_verdict(c.queue, ACL_SELECT | ACL_UPDATE);
	if (why == NULL)
		why = direct_rights_verdict(c.locks, ACL_SELECT | ACL_INSERT | ACL_UPDATE);
	if (why == NULL && args->in_range)
		why = filter_rights(schema);
	strlcpy(orch_claim_last_fallback, why ? why : "", sizeof(orch_claim_last_fallback));
	if (why != NULL)
	{
		table_close(c.locks, NoLock);
		table_close(c.queue, NoLock);
		return why;
	}
	direct_require_writable("UPDATE");

	c.e = e;
	c.xact_snapshot = IsolationUsesXactSnapshot();
	/* the snapshot first: the writes get its command id, as a statement's do */
	probe_snapshot_begin(&c.ps);
	c.snapshot = c.ps.snapshot;
	{
		Relation	rels[2];

		rels[0] = c.queue;
		rels[1] = c.locks;
		c.estate = direct_estate(rels, 2);
	}
	c.estate->es_snapshot = c.snapshot;
	c.cid = c.estate->es_output_cid;
	c.rris[0] = direct_result_rel(c.estate, c.queue, 1, e->q_checks, e->q_ncheck);
	c.rris[1] = direct_result_rel(c.estate, c.locks, 2, e->l_checks, e->l_ncheck);
	c.lock_index = direct_index(c.rris[1], e->lock_index);
	c.lock_slot = table_slot_create(c.locks, &c.estate->es_tupleTable);

	out->instance = pick(&c);
	out->found = out->instance != (Datum) 0;
	if (out->found)
	{
		out->claimed = claim_lock(&c, out->instance);
		if (out->claimed)
			tag(&c, out->instance, out);
	}

	probe_snapshot_end(&c.ps);
	/* as SPI does after a statement that wrote */
	CommandCounterIncrement();
	direct_estate_end(c.estate, c.rris, 2);
	table_close(c.locks, NoLock);
	table_close(c.queue, NoLock);
	return NULL;
}
