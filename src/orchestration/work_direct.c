/*-------------------------------------------------------------------------
 *
 * work_direct.c
 *	  The worker turn without SQL (work_direct.h): fetch_work_item()'s
 *	  claim for a caller without owner, and ack_worker()'s delete.
 *
 * Each replaces one statement of worker.c that costs more to start and
 * stop than to run, under a snapshot taken as SPI would take it:
 *
 *	- claim: walk worker_queue's primary key in id order; the first item
 *	  that is visible now, unlocked (or expired), without session and
 *	  passing the tag filter is locked FOR UPDATE SKIP LOCKED -- a row
 *	  another transaction holds is passed over; in READ COMMITTED a row
 *	  updated since the snapshot is followed to its newest version, which
 *	  must pass the same tests; under REPEATABLE READ and SERIALIZABLE
 *	  that is 40001 -- then updated with its token (the new lock token,
 *	  '.', its id), the expiry and attempt_count + 1.  No index holds those
 *	  columns, so the update is heap-only when its page has room.
 *	- ack: the item is found by its id, tested for the token (and an
 *	  unexpired lock), and deleted as DELETE deletes (direct_delete): a
 *	  concurrent writer is waited for, and the row it left is tested again.
 *
 * Predicate locks, conflict checks, constraints and index entries are the
 * access methods' and the executor helpers', as for any statement.  A
 * trigger, row-level security, a missing right or a changed table sends
 * the call back to the statement (the reason is kept for the self-test).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "common/direct.h"
#include "common/probe.h"
#include "orchestration/work_direct.h"

char		orch_work_last_fallback[128] = "";

/* What the direct paths know about one hub's worker_queue. */
typedef struct WorkEntry
{
	DirectSchemaEntry hdr;
	AttrNumber	id;
	AttrNumber	item;
	AttrNumber	visible;
	AttrNumber	token;
	AttrNumber	until;
	AttrNumber	attempt;
	AttrNumber	session;
	AttrNumber	tag;
	Oid			id_index;		/* unique btree on (id) */
	DirectKeyProc id_eq;
	DirectKeyProc token_eq;		/* = under lock_token's collation */
	DirectKeyProc tag_eq;		/* = under tag's collation */
	Expr	  **checks;
	int			ncheck;
} WorkEntry;

static DirectSchemaEntry *entries = NULL;

static const char *
describe(DirectSchemaEntry *entry, Relation *rels)
{
	WorkEntry  *e = (WorkEntry *) entry;
	Relation	queue = rels[0];
	TupleDesc	desc = RelationGetDescr(queue);
	const char *why;

	DIRECT_REQUIRE_COLUMN(e->id, queue, "id", INT8OID);
	DIRECT_REQUIRE_COLUMN(e->item, queue, "work_item", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->visible, queue, "visible_at", TIMESTAMPTZOID);
	DIRECT_REQUIRE_COLUMN(e->token, queue, "lock_token", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->until, queue, "locked_until", INT8OID);
	DIRECT_REQUIRE_COLUMN(e->attempt, queue, "attempt_count", INT4OID);
	DIRECT_REQUIRE_COLUMN(e->session, queue, "session_id", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->tag, queue, "tag", TEXTOID);
	if ((why = direct_shape_verdict(queue)) != NULL ||
		(why = direct_trigger_verdict(queue, "the direct worker turn")) != NULL)
		return why;

	e->id_index = direct_key_index(queue, e->id);
	if (!OidIsValid(e->id_index))
		return "worker_queue has no unique index on id";
	if (!direct_key_proc(e->id_index, 0, BTEqualStrategyNumber, &e->id_eq))
		return "the index on id has no equality operator";
	e->token_eq.proc = F_TEXTEQ;
	e->token_eq.collation = TupleDescAttr(desc, e->token - 1)->attcollation;
	e->tag_eq.proc = F_TEXTEQ;
	e->tag_eq.collation = TupleDescAttr(desc, e->tag - 1)->attcollation;
	e->checks = direct_plan_checks(queue, &e->ncheck);
	return NULL;
}

/* The hub's worker_queue, opened as DML opens it, and why it needs SQL (or NULL). */
static const char *
open_queue(const char *schema, AclMode rights, Relation *queue, WorkEntry **e)
{
	Relation	rel = direct_open_in(schema, "worker_queue", RowExclusiveLock);
	const char *why;

	*e = (WorkEntry *) direct_schema_entry(&entries, sizeof(WorkEntry), schema,
										   "experiments orchestration worker", &rel, 1,
										   describe);
	why = (*e)->hdr.ineligible;
	if (why == NULL)
		why = direct_rights_verdict(rel, rights);
	strlcpy(orch_work_last_fallback, why ? why : "", sizeof(orch_work_last_fallback));
	if (why != NULL)
		table_close(rel, NoLock);
	*queue = rel;
	return why;
}

/* The claim's test of one version of an item (the statement's WHERE). */
static bool
claimable(const WorkEntry *e, const OrchWorkClaimArgs *a, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		v;
	int			i;

	v = slot_getattr(slot, e->visible, &isnull);
	if (isnull || DatumGetTimestampTz(v) > a->now)
		return false;
	(void) slot_getattr(slot, e->token, &isnull);
	if (!isnull)
	{
		v = slot_getattr(slot, e->until, &isnull);
		if (isnull || DatumGetInt64(v) > a->now_ms)
			return false;
	}
	(void) slot_getattr(slot, e->session, &isnull);
	if (!isnull)
		return false;			/* sessions are for callers with an owner */
	if (a->mode == WORK_TAGS_ANY)
		return true;
	v = slot_getattr(slot, e->tag, &isnull);
	if (isnull)
		return a->mode != WORK_TAGS_LISTED;
	if (a->mode == WORK_TAGS_DEFAULT_ONLY)
		return false;
	for (i = 0; i < a->ntags; i++)
		if (direct_key_test(&e->tag_eq, v, a->tags[i]))
			return true;
	return false;
}

static void
set_column(TupleTableSlot *slot, AttrNumber att, Datum value)
{
	slot->tts_values[att - 1] = value;
	slot->tts_isnull[att - 1] = false;
}

const char *
orch_work_claim_direct(const char *schema, const OrchWorkClaimArgs *args, OrchWorkClaim *out)
{
	Relation	queue;
	WorkEntry  *e;
	const char *why = open_queue(schema, ACL_SELECT | ACL_UPDATE, &queue, &e);
	ProbeSnapshot ps;
	EState	   *estate;
	ResultRelInfo *rri;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	TupleTableSlot *locked;
	TupleTableSlot *newer;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		return why;
	direct_require_writable("UPDATE");

	/* the snapshot first: the update gets its command id, as a statement's does */
	probe_snapshot_begin(&ps);
	estate = direct_estate(&queue, 1);
	estate->es_snapshot = ps.snapshot;
	rri = direct_result_rel(estate, queue, 1, e->checks, e->ncheck);
	slot = table_slot_create(queue, &estate->es_tupleTable);
	locked = table_slot_create(queue, &estate->es_tupleTable);
	newer = table_slot_create(queue, &estate->es_tupleTable);

	scan = index_beginscan(queue, direct_index(rri, e->id_index), ps.snapshot, 0, 0);
	index_rescan(scan, NULL, 0, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		followed;
		int64		id;

		CHECK_FOR_INTERRUPTS();
		if (!claimable(e, args, slot) ||
			direct_lock_version(queue, &slot->tts_tid, ps.snapshot, estate->es_output_cid,
								LockTupleExclusive, LockWaitSkip, true, locked,
								&followed) != TM_Ok ||
			(followed && !claimable(e, args, locked)))
			continue;

		slot_getallattrs(locked);
		id = DatumGetInt64(locked->tts_values[e->id - 1]);
		out->found = true;
		out->token = CStringGetTextDatum(psprintf("%s." INT64_FORMAT,
												  TextDatumGetCString(args->token_base), id));
		out->attempt = DatumGetInt32(locked->tts_values[e->attempt - 1]) + 1;
		direct_copy_row(newer, locked);
		set_column(newer, e->token, out->token);
		set_column(newer, e->until, Int64GetDatum(args->now_ms + args->lock_ms));
		set_column(newer, e->attempt, Int32GetDatum(out->attempt));
		ExecStoreVirtualTuple(newer);
		out->item = PointerGetDatum(PG_DETOAST_DATUM_COPY(locked->tts_values[e->item - 1]));
		direct_update(estate, rri, locked, newer, ps.snapshot);
		break;
	}
	index_endscan(scan);

	probe_snapshot_end(&ps);
	/* as SPI does after a statement that wrote */
	CommandCounterIncrement();
	direct_estate_end(estate, &rri, 1);
	table_close(queue, NoLock);
	return NULL;
}

/* The ack's test: this item's version carries the token (unexpired if asked). */
typedef struct AckTest
{
	const WorkEntry *e;
	Datum		token;
	bool		check_expiry;
	int64		now_ms;
} AckTest;

static bool
ack_matches(TupleTableSlot *slot, void *arg)
{
	const AckTest *t = arg;
	bool		isnull;
	Datum		v = slot_getattr(slot, t->e->token, &isnull);

	if (isnull || !direct_key_test(&t->e->token_eq, v, t->token))
		return false;
	if (!t->check_expiry)
		return true;
	v = slot_getattr(slot, t->e->until, &isnull);
	return !isnull && DatumGetInt64(v) > t->now_ms;
}

const char *
orch_work_ack_direct(const char *schema, Datum token, int64 id, bool check_expiry,
					 int64 now_ms, OrchWorkAck *out)
{
	Relation	queue;
	WorkEntry  *e;
	const char *why = open_queue(schema, ACL_SELECT | ACL_DELETE, &queue, &e);
	ProbeSnapshot ps;
	Relation	index;
	ScanKeyData sk;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	TupleTableSlot *scratch;
	AckTest		t;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		return why;
	direct_require_writable("DELETE");

	t.e = e;
	t.token = token;
	t.check_expiry = check_expiry;
	t.now_ms = now_ms;
	probe_snapshot_begin(&ps);
	index = index_open(e->id_index, AccessShareLock);
	slot = table_slot_create(queue, NULL);
	scratch = table_slot_create(queue, NULL);
	ScanKeyEntryInitialize(&sk, 0, 1, BTEqualStrategyNumber, InvalidOid, e->id_eq.collation,
						   e->id_eq.proc, Int64GetDatum(id));
	scan = index_beginscan(queue, index, ps.snapshot, 1, 0);
	index_rescan(scan, &sk, 1, NULL, 0);
	while (!out->deleted && index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		session;

		CHECK_FOR_INTERRUPTS();
		if (!ack_matches(slot, &t))
			continue;
		/* no function changes an item's session: this version's is the one */
		session = slot_getattr(slot, e->session, &isnull);
		out->has_session = !isnull;
		if (!isnull)
			out->session = PointerGetDatum(PG_DETOAST_DATUM_COPY(session));
		out->deleted = direct_delete(queue, &slot->tts_tid, ps.snapshot,
									 GetCurrentCommandId(true), scratch, ack_matches, &t);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(scratch);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	probe_snapshot_end(&ps);
	/* as SPI does after a statement that wrote */
	CommandCounterIncrement();
	table_close(queue, NoLock);
	return NULL;
}
