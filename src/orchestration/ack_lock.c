/*-------------------------------------------------------------------------
 *
 * ack_lock.c
 *	  ack_orchestration_item()'s lock validation and release without SQL
 *	  (ack_lock.h).
 *
 * In the turn's statement (ack_orch.c) the lock is a CTE read first -- the
 * instance_locks row of the token, unexpired, FOR UPDATE -- and the release
 * is two deleting CTEs joined to it.  A plan cached while instance_locks
 * was empty scans the whole table for the token, twice, and the three
 * nodes cost more to start and stop than to run.  Here:
 *
 *	1. lock: the token's rows are found by the (lock_token) index under a
 *	   snapshot taken as SPI takes one; the first with locked_until > now
 *	   is locked FOR UPDATE, waiting for a concurrent writer.  In READ
 *	   COMMITTED a row changed meanwhile is followed to its newest version,
 *	   which must still carry the token unexpired (as the executor rechecks
 *	   a locked row); in REPEATABLE READ and SERIALIZABLE that is 40001.
 *	   Of two acks of one token the second waits, then finds the row gone:
 *	   "Invalid lock token" (40001 under a transaction snapshot).
 *	2. release, after the turn's writes: the instance's messages tagged
 *	   with the token are deleted (by the (instance_id) index; messages that
 *	   arrived meanwhile are untagged and stay), then its lock row, as
 *	   DELETE deletes (direct_delete).
 *
 * Only the release's deletes write; they touch no index and no constraint
 * applies to them.  A trigger or row-level security on either table, or a
 * right the SQL statement would need and the caller lacks, sends the whole
 * ack to the SQL statement (the reason is kept for the self-test).
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
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "common/direct.h"
#include "common/probe.h"
#include "orchestration/ack_lock.h"

char		orch_ack_last_fallback[128] = "";

/* What the direct ack knows about one hub's tables, rebuilt when stale. */
typedef struct AckEntry
{
	DirectSchemaEntry hdr;		/* over orchestrator_queue, instance_locks */
	/* orchestrator_queue */
	AttrNumber	q_instance;
	AttrNumber	q_token;
	Oid			instance_index; /* btree on (instance_id, ...) */
	DirectKeyProc instance_eq;
	DirectKeyProc q_token_eq;	/* = under lock_token's collation */
	/* instance_locks */
	AttrNumber	l_instance;
	AttrNumber	l_token;
	AttrNumber	l_until;
	Oid			token_index;	/* btree on (lock_token, ...) */
	DirectKeyProc token_eq;
} AckEntry;

static DirectSchemaEntry *entries = NULL;

static const char *
describe(DirectSchemaEntry *entry, Relation *rels)
{
	AckEntry   *e = (AckEntry *) entry;
	Relation	queue = rels[0];
	Relation	locks = rels[1];
	const char *why;

	DIRECT_REQUIRE_COLUMN(e->q_instance, queue, "instance_id", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->q_token, queue, "lock_token", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->l_instance, locks, "instance_id", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->l_token, locks, "lock_token", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->l_until, locks, "locked_until", INT8OID);
	if ((why = direct_shape_verdict(queue)) != NULL ||
		(why = direct_shape_verdict(locks)) != NULL ||
		(why = direct_trigger_verdict(queue, "the direct ack")) != NULL ||
		(why = direct_trigger_verdict(locks, "the direct ack")) != NULL)
		return why;

	e->instance_index = direct_prefix_index(queue, &e->q_instance, 1);
	e->token_index = direct_prefix_index(locks, &e->l_token, 1);
	if (!OidIsValid(e->instance_index) || !OidIsValid(e->token_index))
		return "an index the direct ack walks is missing";
	if (!direct_key_proc(e->instance_index, 0, BTEqualStrategyNumber, &e->instance_eq) ||
		!direct_key_proc(e->token_index, 0, BTEqualStrategyNumber, &e->token_eq))
		return "an index the direct ack walks has no suitable operator";
	e->q_token_eq.proc = F_TEXTEQ;
	e->q_token_eq.collation =
		TupleDescAttr(RelationGetDescr(queue), e->q_token - 1)->attcollation;
	return NULL;
}

/* The hub's two tables, opened as the statement opens them, and their entry. */
static AckEntry *
open_tables(const char *schema, Relation *queue, Relation *locks)
{
	Relation	rels[2];

	rels[0] = *queue = direct_open_in(schema, "orchestrator_queue", RowExclusiveLock);
	rels[1] = *locks = direct_open_in(schema, "instance_locks", RowExclusiveLock);
	return (AckEntry *) direct_schema_entry(&entries, sizeof(AckEntry), schema,
											"experiments orchestration ack", rels, 2,
											describe);
}

static void
close_tables(Relation queue, Relation locks)
{
	table_close(locks, NoLock);
	table_close(queue, NoLock);
}

/* Does this version of a lock row hold the token, and if asked, unexpired? */
typedef struct LockTest
{
	const AckEntry *e;
	Datum		token;
	Datum		instance;		/* or (Datum) 0: any */
	bool		unexpired;
	int64		now_ms;
} LockTest;

static bool
lock_matches(TupleTableSlot *slot, void *arg)
{
	const LockTest *t = arg;
	bool		isnull;
	Datum		v = slot_getattr(slot, t->e->l_token, &isnull);

	if (isnull || !direct_key_test(&t->e->token_eq, v, t->token))
		return false;
	if (t->instance != (Datum) 0)
	{
		v = slot_getattr(slot, t->e->l_instance, &isnull);
		if (isnull || !direct_key_test(&t->e->instance_eq, v, t->instance))
			return false;
	}
	if (!t->unexpired)
		return true;
	v = slot_getattr(slot, t->e->l_until, &isnull);
	return !isnull && DatumGetInt64(v) > t->now_ms;
}

/* Is this message the instance's, tagged with the token? */
static bool
message_matches(TupleTableSlot *slot, void *arg)
{
	const LockTest *t = arg;
	bool		isnull;
	Datum		v = slot_getattr(slot, t->e->q_token, &isnull);

	if (isnull || !direct_key_test(&t->e->q_token_eq, v, t->token))
		return false;
	v = slot_getattr(slot, t->e->q_instance, &isnull);
	return !isnull && direct_key_test(&t->e->instance_eq, v, t->instance);
}

/* Start an equality scan of index (first key column) under snapshot. */
static IndexScanDesc
scan_equal(Relation rel, Relation index, const DirectKeyProc *kp, Datum key,
		   Snapshot snapshot)
{
	ScanKeyData sk;
	IndexScanDesc scan;

	ScanKeyEntryInitialize(&sk, 0, 1, BTEqualStrategyNumber, InvalidOid, kp->collation,
						   kp->proc, key);
	scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &sk, 1, NULL, 0);
	return scan;
}

/* Lock the lock row at tid FOR UPDATE; true if locked and (still) matching. */
static bool
lock_row(Relation locks, ItemPointer tid, Snapshot snapshot, CommandId cid,
		 TupleTableSlot *locked, LockTest *t)
{
	bool		followed;

	if (direct_lock_version(locks, tid, snapshot, cid, LockTupleExclusive, LockWaitBlock,
							true, locked, &followed) != TM_Ok)
		return false;
	return !followed || lock_matches(locked, t);
}

const char *
orch_ack_lock_direct(const char *schema, Datum token, int64 now_ms, OrchAckLock *out)
{
	Relation	queue;
	Relation	locks;
	AckEntry   *e = open_tables(schema, &queue, &locks);
	const char *why = e->hdr.ineligible;
	ProbeSnapshot ps;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	TupleTableSlot *locked;
	LockTest	t;

	memset(out, 0, sizeof(*out));
	if (why == NULL)
		why = direct_rights_verdict(locks, ACL_SELECT | ACL_UPDATE | ACL_DELETE);
	if (why == NULL)
		why = direct_rights_verdict(queue, ACL_SELECT | ACL_DELETE);
	strlcpy(orch_ack_last_fallback, why ? why : "", sizeof(orch_ack_last_fallback));
	if (why != NULL)
	{
		close_tables(queue, locks);
		return why;
	}
	direct_require_writable("SELECT FOR UPDATE");

	t.e = e;
	t.token = token;
	t.instance = (Datum) 0;
	t.unexpired = true;
	t.now_ms = now_ms;
	probe_snapshot_begin(&ps);
	index = index_open(e->token_index, AccessShareLock);
	slot = table_slot_create(locks, NULL);
	locked = table_slot_create(locks, NULL);
	scan = scan_equal(locks, index, &e->token_eq, token, ps.snapshot);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;

		CHECK_FOR_INTERRUPTS();
		if (!lock_matches(slot, &t) ||
			!lock_row(locks, &slot->tts_tid, ps.snapshot, GetCurrentCommandId(true),
					  locked, &t))
			continue;
		out->found = true;
		out->instance = PointerGetDatum(PG_DETOAST_DATUM_COPY(slot_getattr(locked,
																		   e->l_instance,
																		   &isnull)));
		break;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(locked);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	probe_snapshot_end(&ps);
	close_tables(queue, locks);
	return NULL;
}

/* Delete every row index finds for key that test accepts. */
static void
delete_matching(Relation rel, Oid indexid, const DirectKeyProc *kp, Datum key,
				Snapshot snapshot, DirectRowTest test, LockTest *t)
{
	Relation	index = index_open(indexid, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TupleTableSlot *scratch = table_slot_create(rel, NULL);
	IndexScanDesc scan = scan_equal(rel, index, kp, key, snapshot);
	CommandId	cid = GetCurrentCommandId(true);

	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		if (test(slot, t))
			(void) direct_delete(rel, &slot->tts_tid, snapshot, cid, scratch, test, t);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(scratch);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
}

void
orch_ack_release_direct(const char *schema, Datum token, const OrchAckLock *lock)
{
	Relation	queue;
	Relation	locks;
	AckEntry   *e = open_tables(schema, &queue, &locks);
	ProbeSnapshot ps;
	LockTest	t;

	/* the tables are locked since the lock step: only a trigger of the turn could do this */
	if (e->hdr.ineligible != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the tables of hub \"%s\" changed during ack_orchestration_item",
						schema),
				 errdetail("%s.", e->hdr.ineligible)));

	t.e = e;
	t.token = token;
	t.instance = lock->instance;
	t.unexpired = false;
	t.now_ms = 0;
	probe_snapshot_begin(&ps);
	delete_matching(queue, e->instance_index, &e->instance_eq, lock->instance, ps.snapshot,
					message_matches, &t);
	delete_matching(locks, e->token_index, &e->token_eq, token, ps.snapshot,
					lock_matches, &t);
	probe_snapshot_end(&ps);
	/* as SPI does after a statement that wrote */
	CommandCounterIncrement();
	close_tables(queue, locks);
}
