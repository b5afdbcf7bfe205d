/*-------------------------------------------------------------------------
 *
 * append.c
 *	  Append rows to one table without SQL (see append.h).
 *
 * Rows are built in batches of up to APPEND_BATCH: column defaults
 * evaluated (in column order, so an identity column draws its values in
 * row order as the INSERT would), the caller's values stored, NOT NULL and
 * CHECK constraints checked; then the batch goes to the table access
 * method's multi-insert (one WAL record per heap page rather than per row)
 * and each row's index entries are inserted, the unique ones checked as
 * the INSERT checks them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "common/append.h"
#include "common/direct.h"
#include "common/probe.h"
#include "common/stmt.h"

/*
 * Rows per multi-insert.  Each needs a slot, and each slot pins the table's
 * tuple descriptor with the resource owner, whose forget is a linear search.
 * With 1 000 slots a call, perf gave ResourceOwnerRememberTupleDesc 9 % of a
 * loop of 1 000-segment completions, and an unnamed neighbour another 9 %;
 * with 64 neither is in the profile's top entries.
 * 64 rows of a narrow table still fill most of a heap page per WAL record.
 */
#define APPEND_BATCH 64

typedef struct AppendEntry
{
	const AppendDef *def;
	NameData	schema;			/* the schema the table was looked up in */
	struct AppendEntry *next;
	DirectCache cache;			/* the table and the referenced one */
	Oid			refrelid;
	const char *ineligible;		/* NULL, or why the table must be written by SQL */
	AttrNumber	attnums[APPEND_MAX_COLS];
	AttrNumber	returning;		/* 0: none */
	int			natts;
	Expr	  **defaults;		/* per attribute: planned default, or NULL */
	int			ncheck;
	Expr	  **checks;
} AppendEntry;

char		append_last_fallback[128] = "";

static AppendEntry *entries = NULL;

/* Why rel's triggers forbid the direct write, or NULL. */
static const char *
trigger_verdict(Relation rel, AttrNumber fk_col, Oid refrelid, AttrNumber ref_col)
{
	TriggerDesc *td = rel->trigdesc;
	int			i;

	for (i = 0; td != NULL && i < td->numtriggers; i++)
	{
		const Trigger *t = &td->triggers[i];

		/* the referenced side of a key acts on UPDATE and DELETE only */
		if (RI_FKey_trigger_type(t->tgfoid) == RI_TRIGGER_PK)
			continue;
		if (direct_is_foreign_key(t, fk_col, refrelid, ref_col))
			continue;
		return psprintf("%s has a trigger or a foreign key the direct write would skip",
						RelationGetRelationName(rel));
	}
	return NULL;
}

/* Fill e from rel's catalogue entries (e->refrelid is set). */
static void
describe(AppendEntry *e, Relation rel)
{
	const AppendDef *def = e->def;
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	fk_col = 0;
	AttrNumber	ref_col;
	int			i;

	e->natts = desc->natts;
	for (i = 0; i < def->ncols; i++)
	{
		e->attnums[i] = direct_column(desc, def->cols[i], def->types[i], NULL);
		if (e->attnums[i] == 0)
		{
			e->ineligible = psprintf("column %s of %s is missing or of another type",
									 def->cols[i], def->relname);
			return;
		}
		if (def->fk_col != NULL && strcmp(def->cols[i], def->fk_col) == 0)
			fk_col = e->attnums[i];
	}
	if (def->returning != NULL)
	{
		e->returning = direct_column(desc, def->returning, def->returning_type, NULL);
		if (e->returning == 0)
		{
			e->ineligible = psprintf("column %s of %s is missing or of another type",
									 def->returning, def->relname);
			return;
		}
	}
	ref_col = OidIsValid(e->refrelid) ? get_attnum(e->refrelid, def->ref_col) : 0;
	if (def->fk_col != NULL && (fk_col == 0 || ref_col == 0))
	{
		e->ineligible = psprintf("the key %s -> %s(%s) is not there",
								 def->fk_col, def->ref_relname, def->ref_col);
		return;
	}
	e->ineligible = direct_shape_verdict(rel);
	if (e->ineligible == NULL)
		e->ineligible = trigger_verdict(rel, fk_col, e->refrelid, ref_col);
	if (e->ineligible != NULL)
		return;

	e->checks = direct_plan_checks(rel, &e->ncheck);
	e->defaults = palloc0(sizeof(Expr *) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		AttrNumber	att = i + 1;
		bool		set = false;
		int			c;

		for (c = 0; c < def->ncols; c++)
			set |= e->attnums[c] == att;
		if (!set)
			e->defaults[i] = direct_plan_default(rel, att);
	}
}

static AppendEntry *
append_entry(const AppendDef *def, const char *schema, Relation rel)
{
	AppendEntry *e;
	MemoryContext old;
	Oid			relids[2];
	int			nrels = def->fk_col != NULL ? 2 : 1;

	for (e = entries; e != NULL; e = e->next)
		if (e->def == def && strcmp(NameStr(e->schema), schema) == 0)
			break;
	if (e == NULL)
	{
		e = MemoryContextAllocZero(TopMemoryContext, sizeof(AppendEntry));
		e->def = def;
		namestrcpy(&e->schema, schema);
		e->next = entries;
		entries = e;
	}
	relids[0] = RelationGetRelid(rel);
	relids[1] = nrels == 2 ?
		get_relname_relid(def->ref_relname, RelationGetNamespace(rel)) : InvalidOid;
	if (direct_cache_fresh(&e->cache, relids, nrels))
		return e;

	old = direct_cache_begin(&e->cache, "experiments append", relids, nrels);
	e->refrelid = relids[1];
	e->ineligible = NULL;
	e->checks = NULL;
	e->ncheck = 0;
	e->defaults = NULL;
	e->returning = 0;
	describe(e, rel);
	direct_cache_end(&e->cache, old);
	return e;
}

/* Write nrows rows of e's table, in batches. */
static void
append_write(AppendEntry *e, Relation rel, int nrows, AppendRowFn fill, void *arg,
			 Datum *returned)
{
	MemoryContext caller = CurrentMemoryContext;
	const AppendDef *def = e->def;
	EState	   *estate;
	ResultRelInfo *rri;
	ExprContext *econtext;
	MemoryContext rows = AllocSetContextCreate(CurrentMemoryContext, "experiments append rows",
											   ALLOCSET_DEFAULT_SIZES);
	int			batch = Min(nrows, APPEND_BATCH);
	TupleTableSlot **slots;
	ExprState **defaults;
	Datum		values[APPEND_MAX_COLS];
	bool		isnull[APPEND_MAX_COLS];
	ProbeSnapshot ps;
	MemoryContext old;
	int			done;
	int			k;
	int			i;

	/* the snapshot first: the rows get its command id, as a statement's do */
	probe_snapshot_begin(&ps);
	estate = direct_estate(&rel, 1);
	estate->es_snapshot = ps.snapshot;
	rri = direct_result_rel(estate, rel, 1, e->checks, e->ncheck);
	econtext = GetPerTupleExprContext(estate);
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	slots = palloc(sizeof(TupleTableSlot *) * batch);
	for (k = 0; k < batch; k++)
		slots[k] = table_slot_create(rel, &estate->es_tupleTable);
	defaults = palloc0(sizeof(ExprState *) * e->natts);
	for (i = 0; i < e->natts; i++)
		if (e->defaults[i] != NULL)
			defaults[i] = ExecInitExpr(e->defaults[i], NULL);
	MemoryContextSwitchTo(old);

	for (done = 0; done < nrows; done += batch)
	{
		int			n = Min(batch, nrows - done);

		old = MemoryContextSwitchTo(rows);
		for (k = 0; k < n; k++)
		{
			TupleTableSlot *slot = slots[k];

			ExecClearTuple(slot);
			for (i = 0; i < e->natts; i++)
			{
				slot->tts_values[i] = (Datum) 0;
				slot->tts_isnull[i] = true;
				if (defaults[i] != NULL)
					slot->tts_values[i] = ExecEvalExpr(defaults[i], econtext,
													   &slot->tts_isnull[i]);
			}
			fill(arg, done + k, values, isnull);
			for (i = 0; i < def->ncols; i++)
			{
				slot->tts_values[e->attnums[i] - 1] = values[i];
				slot->tts_isnull[e->attnums[i] - 1] = isnull[i];
			}
			ExecStoreVirtualTuple(slot);
			if (rel->rd_att->constr)
				ExecConstraints(rri, slot, estate);
			ResetPerTupleExprContext(estate);
		}
		MemoryContextSwitchTo(old);

		table_multi_insert(rel, slots, n, estate->es_output_cid, 0, NULL);
		if (done == 0 && e->returning != 0 && returned != NULL)
		{
			Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel), e->returning - 1);
			bool		null;
			Datum		v = slot_getattr(slots[0], e->returning, &null);

			if (null)
				elog(ERROR, "column %s of the appended row is null", def->returning);
			old = MemoryContextSwitchTo(caller);
			*returned = datumCopy(v, a->attbyval, a->attlen);
			MemoryContextSwitchTo(old);
		}
		for (k = 0; k < n; k++)
		{
			if (rri->ri_NumIndices > 0)
				list_free(ExecInsertIndexTuples(rri, slots[k], estate, false, false,
												NULL, NIL));
			ResetPerTupleExprContext(estate);
			ExecClearTuple(slots[k]);
		}
		MemoryContextReset(rows);
	}

	probe_snapshot_end(&ps);
	/* as SPI does after a statement that wrote */
	CommandCounterIncrement();
	direct_estate_end(estate, &rri, 1);
	MemoryContextDelete(rows);
}

const char *
append_rows(const AppendDef *def, int nrows, AppendRowFn fill, void *arg,
			Datum *returned)
{
	return append_rows_in(def, NULL, nrows, fill, arg, returned);
}

const char *
append_rows_in(const AppendDef *def, const char *schema, int nrows, AppendRowFn fill,
			   void *arg, Datum *returned)
{
	Relation	rel;
	AppendEntry *e;
	const char *why;

	if (schema == NULL)
		schema = STMT_SCHEMA_DEFAULT;
	rel = direct_open_in(schema, def->relname, RowExclusiveLock);
	e = append_entry(def, schema, rel);
	why = e->ineligible ? e->ineligible : direct_rights_verdict(rel, ACL_INSERT);

	strlcpy(append_last_fallback, why ? why : "", sizeof(append_last_fallback));
	if (why == NULL)
		direct_require_writable("INSERT");
	if (why == NULL && nrows > 0)
		append_write(e, rel, nrows, fill, arg, returned);
	table_close(rel, NoLock);
	return why;
}
