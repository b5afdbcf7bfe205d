/*-------------------------------------------------------------------------
 *
 * charge.c
 *	  track_campaign_cost's write, done without SPI.
 *
 * A charge of a hot campaign waits for the campaign row and then holds it
 * until commit; what it does while holding it is what limits how many
 * charges per second one campaign takes.  Through SQL that was an UPDATE, an
 * INSERT reading its RETURNING, executor start-up and shut-down of both, the
 * CHECK constraints of both tables parsed again from their stored text, and
 * the ledger's foreign key check (itself a query) at the end of the
 * statement.  Here, the same effects in the same order with less work:
 *
 *	before the row lock:
 *		open both tables (ROW EXCLUSIVE, as the statement would), check the
 *		rights an UPDATE and an INSERT need, build the ledger row from its
 *		column defaults, prepare the CHECK expressions, find the campaign's
 *		row through the primary key under a fresh snapshot;
 *	under it:
 *		lock the row FOR NO KEY UPDATE (waiting, under lock_timeout and
 *		deadlock detection, for a concurrent charge), add the amount to
 *		actual_cost and to the service's column with the columns' numeric
 *		typmods (22003 on overflow), set updated_at, check constraints,
 *		update (HOT when it can), insert the ledger row and its index
 *		entries (23505 on a duplicate id).
 *
 * Isolation as for the UPDATE: in READ COMMITTED a row updated by a
 * concurrent charge is followed to its newest version and re-checked for the
 * campaign id (a concurrent key change makes it "not found", a concurrent
 * delete too); in REPEATABLE READ and SERIALIZABLE either one is 40001.
 * The heap and index access methods take SERIALIZABLE's predicate locks.
 *
 * No triggers are fired.  charge_tables() allows the direct path only when
 * the tables carry no trigger but their foreign keys' own, and the one that
 * would act on this write, the ledger's foreign key check, is made moot by
 * the lock held on the very campaign row the ledger row references.  A table
 * changed in any way that matters (row-level security, a user trigger,
 * missing rights...) sends the call back to SQL, which then does everything
 * the statement does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "common/direct.h"
#include "common/probe.h"
#include "common/stmt.h"
#include "campaigns/charge.h"

const char *charge_last_fallback = NULL;

typedef struct ChargeState
{
	EState	   *estate;
	ResultRelInfo *campaigns;
	ResultRelInfo *costs;
} ChargeState;

static void
state_begin(ChargeState *st, const ChargeTables *t, Relation campaigns, Relation costs)
{
	Relation	rels[2] = {campaigns, costs};

	st->estate = direct_estate(rels, 2);
	st->campaigns = direct_result_rel(st->estate, campaigns, 1, t->c_check, t->c_ncheck);
	st->costs = direct_result_rel(st->estate, costs, 2, t->l_check, t->l_ncheck);
}

static void
state_end(ChargeState *st)
{
	ResultRelInfo *rris[2] = {st->campaigns, st->costs};

	direct_estate_end(st->estate, rris, 2);
}

/* Why the current user may not take the direct path, or NULL. */
static const char *
rights_verdict(Relation campaigns, Relation costs)
{
	const char *why = direct_rights_verdict(campaigns, ACL_SELECT | ACL_UPDATE);

	return why ? why : direct_rights_verdict(costs, ACL_INSERT);
}


/* The ledger row: defaults evaluated, the charge's own columns set. */
static TupleTableSlot *
ledger_row(ChargeState *st, const ChargeTables *t, Relation costs,
		   const ChargeRequest *req)
{
	TupleTableSlot *slot = ExecInitExtraTupleSlot(st->estate, RelationGetDescr(costs),
												  &TTSOpsVirtual);
	ExprContext *econtext = GetPerTupleExprContext(st->estate);
	MemoryContext old = MemoryContextSwitchTo(st->estate->es_query_cxt);
	int			i;

	ExecClearTuple(slot);
	for (i = 0; i < t->l_natts; i++)
	{
		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
		if (t->l_default[i] != NULL)
		{
			ExprState  *es = ExecInitExpr(t->l_default[i], NULL);

			slot->tts_values[i] = ExecEvalExpr(es, econtext, &slot->tts_isnull[i]);
		}
	}
	MemoryContextSwitchTo(old);
	slot->tts_values[t->l_campaign - 1] = req->campaign_id;
	slot->tts_isnull[t->l_campaign - 1] = false;
	slot->tts_values[t->l_service - 1] = req->service_text;
	slot->tts_isnull[t->l_service - 1] = false;
	slot->tts_values[t->l_items - 1] = req->items;
	slot->tts_isnull[t->l_items - 1] = false;
	slot->tts_values[t->l_cost - 1] = req->amount;
	slot->tts_isnull[t->l_cost - 1] = false;
	if (req->metadata != NULL)
	{
		slot->tts_values[t->l_metadata - 1] = JsonbPGetDatum(req->metadata);
		slot->tts_isnull[t->l_metadata - 1] = false;
	}
	/* idempotency_key stays NULL: keyed charges take the SQL path */
	return slot;
}

/* a + b, coerced to the column's numeric typmod as an assignment would be. */
static Datum
add_numeric(Datum a, Datum b, int32 typmod)
{
	Datum		sum = DirectFunctionCall2(numeric_add, a, b);

	if (typmod >= 0)
		sum = DirectFunctionCall2(numeric, sum, Int32GetDatum(typmod));
	return sum;
}

/* The campaign's new version: amounts added, updated_at = now(). */
static TupleTableSlot *
charged_version(ChargeState *st, const ChargeTables *t, Relation rel,
				TupleTableSlot *locked, const ChargeRequest *req, Datum *new_total)
{
	TupleTableSlot *slot = ExecInitExtraTupleSlot(st->estate, RelationGetDescr(rel),
												  &TTSOpsVirtual);
	int			natts = RelationGetDescr(rel)->natts;
	AttrNumber	svc = t->c_service[req->service];
	MemoryContext old = MemoryContextSwitchTo(st->estate->es_query_cxt);

	slot_getallattrs(locked);
	ExecClearTuple(slot);
	memcpy(slot->tts_values, locked->tts_values, sizeof(Datum) * natts);
	memcpy(slot->tts_isnull, locked->tts_isnull, sizeof(bool) * natts);
	/* actual_cost is NOT NULL (charge_tables checks); NULL + amount stays NULL */
	slot->tts_values[t->c_actual - 1] =
		add_numeric(slot->tts_values[t->c_actual - 1], req->amount, t->c_actual_typmod);
	if (!slot->tts_isnull[svc - 1])
		slot->tts_values[svc - 1] =
			add_numeric(slot->tts_values[svc - 1], req->amount,
						t->c_service_typmod[req->service]);
	slot->tts_values[t->c_updated - 1] =
		TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	slot->tts_isnull[t->c_updated - 1] = false;
	MemoryContextSwitchTo(old);
	ExecStoreVirtualTuple(slot);

	*new_total = slot->tts_values[t->c_actual - 1];
	return slot;
}

ChargeOutcome
charge_direct(const ChargeRequest *req, Datum *cost_id, Datum *new_total)
{
	MemoryContext caller = CurrentMemoryContext;
	Relation	campaigns = direct_open("gmaps_campaigns");
	Relation	costs = direct_open("gmaps_api_costs");
	const ChargeTables *t = charge_tables(campaigns, costs);	/* not NULL */
	ChargeState st;
	ProbeSnapshot ps;
	TupleTableSlot *locked;
	TupleTableSlot *charged;
	TupleTableSlot *ledger;
	Datum		total;
	ChargeOutcome outcome = CHARGE_DONE;

	charge_last_fallback = t->ineligible ? t->ineligible : rights_verdict(campaigns, costs);
	if (charge_last_fallback != NULL)
	{
		table_close(costs, NoLock);
		table_close(campaigns, NoLock);
		return CHARGE_NOT_ELIGIBLE;
	}

	direct_require_writable("UPDATE");
	probe_snapshot_begin(&ps);
	state_begin(&st, t, campaigns, costs);
	ledger = ledger_row(&st, t, costs, req);
	locked = table_slot_create(campaigns, &st.estate->es_tupleTable);

	if (!direct_lock_by_key(campaigns, direct_index(st.campaigns, t->campaigns_pkey),
							t->c_id, F_UUID_EQ, req->campaign_id, ps.snapshot,
							st.estate->es_output_cid, LockTupleNoKeyExclusive, locked))
		outcome = CHARGE_NOT_FOUND;
	else
	{
		charged = charged_version(&st, t, campaigns, locked, req, &total);
		direct_update(st.estate, st.campaigns, locked, charged, ps.snapshot);

		total = DirectFunctionCall2(numeric, total, Int32GetDatum(t->l_total_typmod));
		ledger->tts_values[t->l_total - 1] = total;
		ledger->tts_isnull[t->l_total - 1] = false;
		ExecStoreVirtualTuple(ledger);
		if (costs->rd_att->constr)
			ExecConstraints(st.costs, ledger, st.estate);
		table_tuple_insert(costs, ledger, st.estate->es_output_cid, 0, NULL);
		if (st.costs->ri_NumIndices > 0)
			(void) ExecInsertIndexTuples(st.costs, ledger, st.estate, false, false,
										 NULL, NIL);

		MemoryContextSwitchTo(caller);
		*cost_id = datumCopy(ledger->tts_values[t->l_id - 1], false, UUID_LEN);
		*new_total = datumCopy(total, false, -1);
	}
	probe_snapshot_end(&ps);
	/* as SPI does after a statement that wrote */
	CommandCounterIncrement();
	state_end(&st);
	table_close(costs, NoLock);
	table_close(campaigns, NoLock);
	return outcome;
}
