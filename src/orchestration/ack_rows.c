/*-------------------------------------------------------------------------
 *
 * ack_rows.c
 *	  ack_orchestration_item()'s instance and execution writes without SQL
 *	  (ack_rows.h).
 *
 * They were the two upserting CTEs of the turn's statement (ack_orch.c),
 * whose start-up and shut-down cost more than the two rows they write.
 * Here the same rows are written by the access methods, under a snapshot
 * taken as SPI takes one:
 *
 *	- instance, when the metadata names orchestration name and version:
 *	  INSERT ... ON CONFLICT (instance_id) DO UPDATE as the executor runs it
 *	  (direct_upsert): name and version replaced, parent_instance_id set
 *	  once, current_execution_id never moving back, updated_at, and the
 *	  custom status action (set or clear, each bumping its version);
 *	- otherwise, the instance row updated the same way if it exists (UPDATE
 *	  ... WHERE instance_id: locked by key, followed in READ COMMITTED);
 *	- execution (instance_id, execution_id): inserted as Running or with the
 *	  metadata's status, output and pinned version; when it exists, updated
 *	  only if the metadata carries a status or a pinned version (the status,
 *	  the output, completed_at for Completed and Failed, the version).
 *
 * Constraints, index entries, predicate locks and write conflicts are an
 * INSERT's and an UPDATE's.  A trigger, row-level security, a missing right,
 * a column this file does not know or a missing key index sends both rows
 * back to the statement (the reason is kept for the self-test).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "common/direct.h"
#include "common/probe.h"
#include "orchestration/ack_rows.h"

char		orch_ack_rows_last_fallback[128] = "";

/* The columns of both tables, in the order of their arrays below. */
enum
{
	I_INSTANCE, I_NAME, I_VERSION, I_CURRENT, I_CREATED, I_UPDATED, I_PARENT,
	I_CUSTOM, I_CUSTOM_VERSION, I_NCOLS
};
enum
{
	E_INSTANCE, E_EXECUTION, E_STATUS, E_OUTPUT, E_STARTED, E_COMPLETED,
	E_MAJOR, E_MINOR, E_PATCH, E_NCOLS
};

typedef struct RowColumn
{
	const char *name;
	Oid			type;
} RowColumn;

static const RowColumn instance_cols[I_NCOLS] = {
	{"instance_id", TEXTOID}, {"orchestration_name", TEXTOID},
	{"orchestration_version", TEXTOID}, {"current_execution_id", INT8OID},
	{"created_at", TIMESTAMPTZOID}, {"updated_at", TIMESTAMPTZOID},
	{"parent_instance_id", TEXTOID}, {"custom_status", TEXTOID},
	{"custom_status_version", INT4OID}
};
static const RowColumn execution_cols[E_NCOLS] = {
	{"instance_id", TEXTOID}, {"execution_id", INT8OID}, {"status", TEXTOID},
	{"output", TEXTOID}, {"started_at", TIMESTAMPTZOID}, {"completed_at", TIMESTAMPTZOID},
	{"duroxide_version_major", INT4OID}, {"duroxide_version_minor", INT4OID},
	{"duroxide_version_patch", INT4OID}
};

typedef struct RowsEntry
{
	DirectSchemaEntry hdr;		/* over instances, executions */
	AttrNumber	i_att[I_NCOLS];
	AttrNumber	e_att[E_NCOLS];
	Oid			instance_key;	/* unique (instance_id) */
	DirectKeyProc instance_eq;
	Oid			execution_key;	/* unique (instance_id, execution_id) */
	Expr	  **i_checks;
	int			i_ncheck;
	Expr	  **e_checks;
	int			e_ncheck;
} RowsEntry;

static DirectSchemaEntry *entries = NULL;

/* Map every column of rel to cols; why not, or NULL.  No other column may exist. */
static const char *
map_columns(Relation rel, const RowColumn *cols, int n, AttrNumber *att)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int			known = 0;
	int			i;

	for (i = 0; i < n; i++)
		DIRECT_REQUIRE_COLUMN(att[i], rel, cols[i].name, cols[i].type);
	for (i = 0; i < desc->natts; i++)
		known += !TupleDescAttr(desc, i)->attisdropped;
	if (known != n)
		return psprintf("%s has columns the direct ack does not know",
						RelationGetRelationName(rel));
	return NULL;
}

/* The unique, immediate index on exactly atts[0..n-1], or InvalidOid. */
static Oid
exact_key(Relation rel, const AttrNumber *atts, int n)
{
	Oid			indexid = n == 1 ? direct_key_index(rel, atts[0])
		: direct_prefix_index(rel, atts, n);
	Relation	index;
	bool		ok;

	if (!OidIsValid(indexid))
		return InvalidOid;
	index = index_open(indexid, AccessShareLock);
	ok = index->rd_index->indisunique && index->rd_index->indimmediate &&
		index->rd_index->indnkeyatts == n;
	index_close(index, AccessShareLock);
	return ok ? indexid : InvalidOid;
}

static const char *
describe(DirectSchemaEntry *entry, Relation *rels)
{
	RowsEntry  *e = (RowsEntry *) entry;
	Relation	instances = rels[0];
	Relation	executions = rels[1];
	const char *why;

	if ((why = map_columns(instances, instance_cols, I_NCOLS, e->i_att)) != NULL ||
		(why = map_columns(executions, execution_cols, E_NCOLS, e->e_att)) != NULL ||
		(why = direct_shape_verdict(instances)) != NULL ||
		(why = direct_shape_verdict(executions)) != NULL ||
		(why = direct_trigger_verdict(instances, "the direct ack")) != NULL ||
		(why = direct_trigger_verdict(executions, "the direct ack")) != NULL)
		return why;
	e->instance_key = exact_key(instances, &e->i_att[I_INSTANCE], 1);
	e->execution_key = exact_key(executions, &e->e_att[E_INSTANCE], 2);
	if (!OidIsValid(e->instance_key) || !OidIsValid(e->execution_key) ||
		e->e_att[E_EXECUTION] != e->e_att[E_INSTANCE] + 1)
		return "a key index the direct ack upserts on is missing";
	if (!direct_key_proc(e->instance_key, 0, BTEqualStrategyNumber, &e->instance_eq))
		return "a key index the direct ack upserts on has no suitable operator";
	e->i_checks = direct_plan_checks(instances, &e->i_ncheck);
	e->e_checks = direct_plan_checks(executions, &e->e_ncheck);
	return NULL;
}

/* The state of one call. */
typedef struct Rows
{
	const RowsEntry *e;
	const OrchAckRows *r;
} Rows;

static void
set(TupleTableSlot *slot, AttrNumber att, Datum value, bool isnull)
{
	slot->tts_values[att - 1] = value;
	slot->tts_isnull[att - 1] = isnull;
}

static void
set_text(TupleTableSlot *slot, AttrNumber att, const char *s)
{
	set(slot, att, s ? CStringGetTextDatum(s) : (Datum) 0, s == NULL);
}

static bool
is_completion(const char *status)
{
	return status != NULL &&
		(strcmp(status, "Completed") == 0 || strcmp(status, "Failed") == 0);
}

/* What every write of the instance sets: pointer, updated_at, custom status. */
static void
instance_update_columns(const Rows *c, TupleTableSlot *existing, TupleTableSlot *newer)
{
	const AttrNumber *att = c->e->i_att;
	const OrchAckRows *r = c->r;
	bool		isnull;
	int64		current = DatumGetInt64(slot_getattr(existing, att[I_CURRENT], &isnull));
	int32		csv = DatumGetInt32(slot_getattr(existing, att[I_CUSTOM_VERSION], &isnull));

	set(newer, att[I_CURRENT], Int64GetDatum(Max(current, r->execution)), false);
	set(newer, att[I_UPDATED], TimestampTzGetDatum(r->now), false);
	if (r->cs_action != NULL)
	{
		set_text(newer, att[I_CUSTOM], strcmp(r->cs_action, "set") == 0 ? r->cs_value : NULL);
		set(newer, att[I_CUSTOM_VERSION], Int32GetDatum(csv + 1), false);
	}
}

/* ON CONFLICT (instance_id) DO UPDATE of the instance insert */
static bool
instance_conflict(TupleTableSlot *existing, TupleTableSlot *newer, void *arg)
{
	const Rows *c = arg;
	const AttrNumber *att = c->e->i_att;
	bool		isnull;

	set_text(newer, att[I_NAME], c->r->name);
	set_text(newer, att[I_VERSION], c->r->version);
	(void) slot_getattr(existing, att[I_PARENT], &isnull);
	if (isnull)
		set_text(newer, att[I_PARENT], c->r->parent);
	instance_update_columns(c, existing, newer);
	return true;
}

/* ON CONFLICT (instance_id, execution_id) DO UPDATE ... WHERE status or version given */
static bool
execution_conflict(TupleTableSlot *existing, TupleTableSlot *newer, void *arg)
{
	const Rows *c = arg;
	const AttrNumber *att = c->e->e_att;
	const OrchAckRows *r = c->r;
	int			k;

	(void) existing;
	if (r->status == NULL && !r->has_pinned)
		return false;
	if (r->status != NULL)
	{
		set_text(newer, att[E_STATUS], r->status);
		set_text(newer, att[E_OUTPUT], r->output);
		set(newer, att[E_COMPLETED], TimestampTzGetDatum(r->now), !is_completion(r->status));
	}
	if (r->has_pinned)
		for (k = 0; k < 3; k++)
			set(newer, att[E_MAJOR + k], Int32GetDatum(r->pinned[k]), false);
	return true;
}

static void
write_instance(const Rows *c, EState *estate, ResultRelInfo *rri, Snapshot snapshot)
{
	const AttrNumber *att = c->e->i_att;
	const OrchAckRows *r = c->r;
	Relation	rel = rri->ri_RelationDesc;
	TupleTableSlot *slot = table_slot_create(rel, &estate->es_tupleTable);

	if (r->name == NULL || r->version == NULL)
	{
		/* UPDATE ... WHERE instance_id = the instance, if it exists */
		TupleTableSlot *newer = table_slot_create(rel, &estate->es_tupleTable);

		if (!direct_lock_by_key(rel, direct_index(rri, c->e->instance_key), att[I_INSTANCE],
								c->e->instance_eq.proc, r->instance, snapshot,
								estate->es_output_cid, LockTupleNoKeyExclusive, slot))
			return;
		direct_copy_row(newer, slot);
		instance_update_columns(c, slot, newer);
		ExecStoreVirtualTuple(newer);
		direct_update(estate, rri, slot, newer, snapshot);
		return;
	}

	ExecClearTuple(slot);
	set(slot, att[I_INSTANCE], r->instance, false);
	set_text(slot, att[I_NAME], r->name);
	set_text(slot, att[I_VERSION], r->version);
	set(slot, att[I_CURRENT], Int64GetDatum(r->execution), false);
	set(slot, att[I_CREATED], TimestampTzGetDatum(r->now), false);
	set(slot, att[I_UPDATED], TimestampTzGetDatum(r->now), false);
	set_text(slot, att[I_PARENT], r->parent);
	set_text(slot, att[I_CUSTOM],
			 r->cs_action != NULL && strcmp(r->cs_action, "set") == 0 ? r->cs_value : NULL);
	set(slot, att[I_CUSTOM_VERSION], Int32GetDatum(r->cs_action != NULL ? 1 : 0), false);
	ExecStoreVirtualTuple(slot);
	(void) direct_upsert(estate, rri, c->e->instance_key, slot, snapshot,
						 instance_conflict, (void *) c);
}

static void
write_execution(const Rows *c, EState *estate, ResultRelInfo *rri, Snapshot snapshot)
{
	const AttrNumber *att = c->e->e_att;
	const OrchAckRows *r = c->r;
	TupleTableSlot *slot = table_slot_create(rri->ri_RelationDesc, &estate->es_tupleTable);
	int			k;

	ExecClearTuple(slot);
	set(slot, att[E_INSTANCE], r->instance, false);
	set(slot, att[E_EXECUTION], Int64GetDatum(r->execution), false);
	set_text(slot, att[E_STATUS], r->status ? r->status : "Running");
	set_text(slot, att[E_OUTPUT], r->status ? r->output : NULL);
	set(slot, att[E_STARTED], TimestampTzGetDatum(r->now), false);
	set(slot, att[E_COMPLETED], TimestampTzGetDatum(r->now), !is_completion(r->status));
	for (k = 0; k < 3; k++)
		set(slot, att[E_MAJOR + k], Int32GetDatum(r->pinned[k]), !r->has_pinned);
	ExecStoreVirtualTuple(slot);
	(void) direct_upsert(estate, rri, c->e->execution_key, slot, snapshot,
						 execution_conflict, (void *) c);
}

const char *
orch_ack_rows_direct(const char *schema, const OrchAckRows *r)
{
	Relation	rels[2];
	RowsEntry  *e;
	const char *why;
	ProbeSnapshot ps;
	EState	   *estate;
	ResultRelInfo *rris[2];
	Rows		c;

	rels[0] = direct_open_in(schema, "instances", RowExclusiveLock);
	rels[1] = direct_open_in(schema, "executions", RowExclusiveLock);
	e = (RowsEntry *) direct_schema_entry(&entries, sizeof(RowsEntry), schema,
										  "experiments orchestration ack rows", rels, 2,
										  describe);
	why = e->hdr.ineligible;
	if (why == NULL)
		why = direct_rights_verdict(rels[0], ACL_SELECT | ACL_INSERT | ACL_UPDATE);
	if (why == NULL)
		why = direct_rights_verdict(rels[1], ACL_SELECT | ACL_INSERT | ACL_UPDATE);
	strlcpy(orch_ack_rows_last_fallback, why ? why : "",
			sizeof(orch_ack_rows_last_fallback));
	if (why != NULL)
	{
		table_close(rels[1], NoLock);
		table_close(rels[0], NoLock);
		return why;
	}
	direct_require_writable("INSERT");

	c.e = e;
	c.r = r;
	/* the snapshot first: the writes get its command id, as a statement's do */
	probe_snapshot_begin(&ps);
	estate = direct_estate(rels, 2);
	estate->es_snapshot = ps.snapshot;
	rris[0] = direct_result_rel(estate, rels[0], 1, e->i_checks, e->i_ncheck);
	rris[1] = direct_result_rel(estate, rels[1], 2, e->e_checks, e->e_ncheck);

	write_instance(&c, estate, rris[0], ps.snapshot);
	write_execution(&c, estate, rris[1], ps.snapshot);

	probe_snapshot_end(&ps);
	/* as SPI does after a statement that wrote */
	CommandCounterIncrement();
	direct_estate_end(estate, rris, 2);
	table_close(rels[1], NoLock);
	table_close(rels[0], NoLock);
	return NULL;
}
