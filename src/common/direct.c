/*-------------------------------------------------------------------------
 *
 * direct.c
 *	  Shared pieces of the write paths that bypass SQL (see direct.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "common/direct.h"
#include "common/stmt.h"

static DirectCache *caches = NULL;
static uint64 inval_count = 0;

static void
direct_relcache_cb(Datum arg, Oid relid)
{
	DirectCache *c;
	int			i;

	(void) arg;
	inval_count++;
	for (c = caches; c != NULL; c = c->next)
		for (i = 0; i < c->nrels; i++)
			if (!OidIsValid(relid) || c->relids[i] == relid)
				c->valid = false;
}

bool
direct_cache_fresh(const DirectCache *c, const Oid *relids, int n)
{
	return c->valid && c->nrels == n &&
		memcmp(c->relids, relids, sizeof(Oid) * n) == 0;
}

MemoryContext
direct_cache_begin(DirectCache *c, const char *name, const Oid *relids, int n)
{
	Assert(n <= DIRECT_CACHE_RELS);
	if (c->cxt == NULL)
	{
		if (caches == NULL)
			CacheRegisterRelcacheCallback(direct_relcache_cb, (Datum) 0);
		c->cxt = AllocSetContextCreate(CacheMemoryContext, "experiments direct cache",
									   ALLOCSET_SMALL_SIZES);
		MemoryContextSetIdentifier(c->cxt, name);	/* a constant string */
		c->next = caches;
		caches = c;
	}
	MemoryContextReset(c->cxt);
	c->valid = false;
	c->nrels = n;
	memcpy(c->relids, relids, sizeof(Oid) * n);
	c->seen = inval_count;
	return MemoryContextSwitchTo(c->cxt);
}

void
direct_cache_end(DirectCache *c, MemoryContext old)
{
	MemoryContextSwitchTo(old);
	/* right for this call either way: the caller holds the tables against DDL */
	c->valid = (c->seen == inval_count);
}

DirectSchemaEntry *
direct_schema_entry(DirectSchemaEntry **list, Size size, const char *schema,
					const char *name, Relation *rels, int n, DirectDescribeFn describe)
{
	DirectSchemaEntry *e;
	Oid			relids[DIRECT_CACHE_RELS];
	MemoryContext old;
	int			i;

	Assert(n <= DIRECT_CACHE_RELS);
	for (e = *list; e != NULL; e = e->next)
		if (strcmp(NameStr(e->schema), schema) == 0)
			break;
	if (e == NULL)
	{
		e = MemoryContextAllocZero(TopMemoryContext, size);
		namestrcpy(&e->schema, schema);
		e->next = *list;
		*list = e;
	}
	for (i = 0; i < n; i++)
		relids[i] = RelationGetRelid(rels[i]);
	if (direct_cache_fresh(&e->cache, relids, n))
		return e;
	old = direct_cache_begin(&e->cache, name, relids, n);
	e->ineligible = describe(e, rels);
	direct_cache_end(&e->cache, old);
	return e;
}

void
direct_require_writable(const char *cmdname)
{
	PreventCommandIfReadOnly(cmdname);
	PreventCommandIfParallelMode(cmdname);
}

Relation
direct_open_in(const char *schema, const char *name, LOCKMODE mode)
{
	Oid			relid = RangeVarGetRelidExtended(makeRangeVar((char *) schema,
															  (char *) name, -1),
												 mode, 0, NULL, NULL);

	return table_open(relid, NoLock);
}

Relation
direct_open_locked(const char *name, LOCKMODE mode)
{
	return direct_open_in(STMT_SCHEMA_DEFAULT, name, mode);
}

Relation
direct_open(const char *name)
{
	return direct_open_locked(name, RowExclusiveLock);
}

AttrNumber
direct_column(TupleDesc desc, const char *name, Oid typid, int32 *typmod)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (a->attisdropped || strcmp(NameStr(a->attname), name) != 0)
			continue;
		if (a->atttypid != typid)
			return 0;
		if (typmod)
			*typmod = a->atttypmod;
		return a->attnum;
	}
	return 0;
}

static bool
is_key_index(Oid indexid, AttrNumber att)
{
	Relation	index = index_open(indexid, AccessShareLock);
	Form_pg_index ix = index->rd_index;
	bool		ok;

	ok = ix->indisunique && ix->indimmediate && ix->indisvalid &&
		index->rd_rel->relam == BTREE_AM_OID && ix->indnkeyatts == 1 &&
		ix->indkey.values[0] == att &&
		heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, NULL);
	index_close(index, AccessShareLock);
	return ok;
}

Oid
direct_key_index(Relation rel, AttrNumber att)
{
	Oid			pkey = RelationGetPrimaryKeyIndex(rel);
	List	   *indexes;
	ListCell   *lc;
	Oid			found = InvalidOid;

	if (att == 0)
		return InvalidOid;
	if (OidIsValid(pkey) && is_key_index(pkey, att))
		return pkey;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
		if (!OidIsValid(found) && is_key_index(lfirst_oid(lc), att))
			found = lfirst_oid(lc);
	list_free(indexes);
	return found;
}

Expr **
direct_plan_checks(Relation rel, int *ncheck)
{
	TupleConstr *constr = rel->rd_att->constr;
	Expr	  **out;
	int			i;

	*ncheck = constr ? constr->num_check : 0;
	if (*ncheck == 0)
		return NULL;
	out = palloc(sizeof(Expr *) * *ncheck);
	for (i = 0; i < *ncheck; i++)
		out[i] = expression_planner((Expr *) stringToNode(constr->check[i].ccbin));
	return out;
}

Expr *
direct_plan_default(Relation rel, AttrNumber att)
{
	Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel), att - 1);
	Node	   *def;

	if (a->attisdropped)
		return NULL;
	def = build_column_default(rel, att);
	/* no default: NULL, but checked against a domain's constraints as INSERT does */
	if (def == NULL && get_typtype(a->atttypid) == TYPTYPE_DOMAIN)
		def = coerce_null_to_domain(a->atttypid, a->atttypmod, a->attcollation,
									a->attlen, a->attbyval);
	return def ? expression_planner((Expr *) def) : NULL;
}

const char *
direct_shape_verdict(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	List	   *indexes;
	ListCell   *lc;
	bool		deferred = false;

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return psprintf("%s is not a plain table", name);
	if (rel->rd_att->constr && rel->rd_att->constr->has_generated_stored)
		return psprintf("%s has generated columns", name);
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);

		deferred |= index->rd_index->indisunique && !index->rd_index->indimmediate;
		index_close(index, AccessShareLock);
	}
	list_free(indexes);
	if (deferred)
		return psprintf("%s has a deferrable unique constraint", name);
	return NULL;
}

/* Is the relation a btree index? */
static bool
is_btree(Oid indexid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexid));
	bool		btree;

	if (!HeapTupleIsValid(tup))
		return false;
	btree = ((Form_pg_class) GETSTRUCT(tup))->relam == BTREE_AM_OID;
	ReleaseSysCache(tup);
	return btree;
}

Oid
direct_prefix_index(Relation rel, const AttrNumber *atts, int n)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Oid			indexid = lfirst_oid(lc);
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexid));
		Form_pg_index ix;
		bool		ok;
		int			i;

		if (!HeapTupleIsValid(tup))
			continue;
		ix = (Form_pg_index) GETSTRUCT(tup);
		ok = ix->indisvalid && ix->indisready && ix->indislive &&
			ix->indnkeyatts >= n &&
			heap_attisnull(tup, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL) &&
			is_btree(indexid);
		for (i = 0; ok && i < n; i++)
			ok = ix->indkey.values[i] == atts[i];
		if (ok)
		{
			bool		isnull;
			Datum		d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indoption,
											&isnull);
			int2vector *opts = (int2vector *) DatumGetPointer(d);

			for (i = 0; ok && i < n; i++)
				ok = !isnull && opts->values[i] == 0;
		}
		ReleaseSysCache(tup);
		if (ok)
		{
			found = indexid;
			break;
		}
	}
	list_free(indexes);
	return found;
}

bool
direct_key_proc(Oid indexid, int col, int strategy, DirectKeyProc *kp)
{
	HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexid));
	bool		isnull;
	Datum		d;
	Oid			opclass;
	Oid			family;
	Oid			type;
	Oid			op;

	if (!HeapTupleIsValid(tup))
		return false;
	d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indclass, &isnull);
	opclass = ((oidvector *) DatumGetPointer(d))->values[col];
	d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indcollation, &isnull);
	kp->collation = ((oidvector *) DatumGetPointer(d))->values[col];
	ReleaseSysCache(tup);
	family = get_opclass_family(opclass);
	type = get_opclass_input_type(opclass);
	op = get_opfamily_member(family, type, type, strategy);
	kp->proc = OidIsValid(op) ? get_opcode(op) : InvalidOid;
	return OidIsValid(kp->proc);
}

/* The one column of a constraint's key array attribute, or 0. */
static AttrNumber
single_key(HeapTuple tup, AttrNumber attr)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(CONSTROID, tup, attr, &isnull);
	Datum	   *elems;
	int			n;

	if (isnull)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(d), INT2OID, sizeof(int16), true,
					  TYPALIGN_SHORT, &elems, NULL, &n);
	return n == 1 ? DatumGetInt16(elems[0]) : 0;
}

bool
direct_is_foreign_key(const Trigger *t, AttrNumber fk_col, Oid confrelid,
					  AttrNumber pk_col)
{
	HeapTuple	tup;
	Form_pg_constraint con;
	bool		ok = false;

	if (RI_FKey_trigger_type(t->tgfoid) != RI_TRIGGER_FK || !OidIsValid(t->tgconstraint))
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(t->tgconstraint));
	if (!HeapTupleIsValid(tup))
		return false;
	con = (Form_pg_constraint) GETSTRUCT(tup);
	if (con->contype == CONSTRAINT_FOREIGN && con->confrelid == confrelid)
		ok = single_key(tup, Anum_pg_constraint_conkey) == fk_col &&
			single_key(tup, Anum_pg_constraint_confkey) == pk_col;
	ReleaseSysCache(tup);
	return ok;
}

bool
direct_key_test(const DirectKeyProc *kp, Datum a, Datum b)
{
	return DatumGetBool(OidFunctionCall2Coll(kp->proc, kp->collation, a, b));
}

const char *
direct_trigger_verdict(Relation rel, const char *what)
{
	if (rel->trigdesc != NULL && rel->trigdesc->numtriggers > 0)
		return psprintf("%s has a trigger %s would skip", RelationGetRelationName(rel), what);
	return NULL;
}

const char *
direct_rights_verdict(Relation rel, AclMode mode)
{
	if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) != RLS_NONE)
		return "row-level security applies";
	if (pg_class_aclmask(RelationGetRelid(rel), GetUserId(), mode, ACLMASK_ALL) != mode)
		return "table-level rights are missing";
	return NULL;
}

EState *
direct_estate(Relation *rels, int n)
{
	EState	   *estate = CreateExecutorState();
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	List	   *rtable = NIL;
	int			i;

	for (i = 0; i < n; i++)
	{
		RangeTblEntry *rte = makeNode(RangeTblEntry);

		rte->rtekind = RTE_RELATION;
		rte->relid = RelationGetRelid(rels[i]);
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = RowExclusiveLock;
		rtable = lappend(rtable, rte);
	}
	ExecInitRangeTable(estate, rtable);
	estate->es_output_cid = GetCurrentCommandId(true);
	MemoryContextSwitchTo(old);
	return estate;
}

ResultRelInfo *
direct_result_rel(EState *estate, Relation rel, Index rti, Expr **checks, int ncheck)
{
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	int			i;

	InitResultRelInfo(rri, rel, rti, NULL, 0);
	ExecOpenIndices(rri, false);
	if (ncheck > 0)
	{
		rri->ri_ConstraintExprs = palloc(sizeof(ExprState *) * ncheck);
		for (i = 0; i < ncheck; i++)
			rri->ri_ConstraintExprs[i] = ExecInitExpr(checks[i], NULL);
	}
	MemoryContextSwitchTo(old);
	return rri;
}

Relation
direct_index(ResultRelInfo *rri, Oid indexid)
{
	int			i;

	for (i = 0; i < rri->ri_NumIndices; i++)
		if (RelationGetRelid(rri->ri_IndexRelationDescs[i]) == indexid)
			return rri->ri_IndexRelationDescs[i];
	elog(ERROR, "index %u of \"%s\" is not open", indexid,
		 RelationGetRelationName(rri->ri_RelationDesc));
	return NULL;				/* keep the compiler quiet */
}

bool
direct_lock_by_key(Relation rel, Relation index, AttrNumber keycol, RegProcedure eqproc,
				   Datum key, Snapshot snapshot, CommandId cid, LockTupleMode mode,
				   TupleTableSlot *slot)
{
	ScanKeyData sk;
	IndexScanDesc scan;
	ItemPointerData tid;
	TM_Result	res;
	bool		found;
	bool		followed;
	bool		isnull;
	Datum		now_key;

	ScanKeyInit(&sk, 1, BTEqualStrategyNumber, eqproc, key);
	scan = index_beginscan(rel, index, snapshot, 1, 0);
	index_rescan(scan, &sk, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
		ItemPointerCopy(&slot->tts_tid, &tid);
	index_endscan(scan);
	if (!found)
		return false;

	res = direct_lock_version(rel, &tid, snapshot, cid, mode, LockWaitBlock, true, slot,
							  &followed);
	if (res == TM_SelfModified)
		elog(ERROR, "unexpected result %d locking a row of \"%s\"", (int) res,
			 RelationGetRelationName(rel));
	if (res != TM_Ok)
		return false;
	if (!followed)
		return true;
	/* READ COMMITTED followed an update: does the newest version still match? */
	now_key = slot_getattr(slot, keycol, &isnull);
	return !isnull && DatumGetBool(OidFunctionCall2Coll(eqproc, InvalidOid, now_key, key));
}

void
direct_copy_row(TupleTableSlot *newer, TupleTableSlot *older)
{
	int			natts = older->tts_tupleDescriptor->natts;

	slot_getallattrs(older);
	ExecClearTuple(newer);
	memcpy(newer->tts_values, older->tts_values, sizeof(Datum) * natts);
	memcpy(newer->tts_isnull, older->tts_isnull, sizeof(bool) * natts);
}

void
direct_update(EState *estate, ResultRelInfo *rri, TupleTableSlot *locked,
			  TupleTableSlot *newer, Snapshot snapshot)
{
	Relation	rel = rri->ri_RelationDesc;
	bool		update_indexes;

	if (rel->rd_att->constr)
		ExecConstraints(rri, newer, estate);
	simple_table_tuple_update(rel, &locked->tts_tid, newer, snapshot, &update_indexes);
	if (update_indexes && rri->ri_NumIndices > 0)
		list_free(ExecInsertIndexTuples(rri, newer, estate, true, false, NULL, NIL));
}

void
direct_estate_end(EState *estate, ResultRelInfo **rris, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		ExecCloseIndices(rris[i]);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
}

void
direct_serialization_failure(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent %s", what)));
}

TM_Result
direct_lock_version(Relation rel, ItemPointer tid, Snapshot snapshot, CommandId cid,
					LockTupleMode mode, LockWaitPolicy wait, bool follow,
					TupleTableSlot *slot, bool *followed)
{
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	TM_FailureData tmfd;
	TM_Result	res;

	res = table_tuple_lock(rel, tid, snapshot, slot, cid, mode, wait,
						   follow && !xact_snapshot ? TUPLE_LOCK_FLAG_FIND_LAST_VERSION : 0,
						   &tmfd);
	*followed = res == TM_Ok && tmfd.traversed;
	switch (res)
	{
		case TM_Ok:
		case TM_WouldBlock:
		case TM_SelfModified:
			break;
		case TM_Updated:
		case TM_Deleted:
			if (xact_snapshot)
				direct_serialization_failure(res == TM_Updated ? "update" : "delete");
			break;
		default:
			elog(ERROR, "unexpected result %d locking a row of \"%s\"", (int) res,
				 RelationGetRelationName(rel));
	}
	return res;
}

bool
direct_delete(Relation rel, ItemPointer tid, Snapshot snapshot, CommandId cid,
			  TupleTableSlot *scratch, DirectRowTest still_matches, void *arg)
{
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	ItemPointerData target = *tid;

	for (;;)
	{
		TM_FailureData tmfd;
		TM_Result	res;
		bool		followed;

		res = table_tuple_delete(rel, &target, cid, snapshot, InvalidSnapshot, true, &tmfd,
								 false);
		switch (res)
		{
			case TM_Ok:
				return true;
			case TM_SelfModified:
				return false;
			case TM_Deleted:
				if (xact_snapshot)
					direct_serialization_failure("delete");
				return false;
			case TM_Updated:
				if (xact_snapshot)
					direct_serialization_failure("update");
				break;
			default:
				elog(ERROR, "unexpected result %d deleting a row of \"%s\"", (int) res,
					 RelationGetRelationName(rel));
		}

		/* READ COMMITTED: lock the newest version and test it again */
		if (direct_lock_version(rel, &target, snapshot, cid, LockTupleExclusive,
								LockWaitBlock, true, scratch, &followed) != TM_Ok)
			return false;
		if (still_matches != NULL && !still_matches(scratch, arg))
			return false;
		ItemPointerCopy(&scratch->tts_tid, &target);
	}
}

/* The arbiter's unique check needs its operators, as ON CONFLICT opens it. */
static void
prepare_arbiter(EState *estate, ResultRelInfo *rri, Oid arbiter)
{
	int			i;

	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		Relation	index = rri->ri_IndexRelationDescs[i];
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];

		if (RelationGetRelid(index) == arbiter && ii->ii_UniqueOps == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

			BuildSpeculativeIndexInfo(index, ii);
			MemoryContextSwitchTo(old);
		}
	}
}

/*
 * The conflicting row at tid, locked and brought up to date; false: start
 * again.  *updated: whether on_conflict asked for the update.
 */
static bool
upsert_update(EState *estate, ResultRelInfo *rri, ItemPointer tid, Snapshot snapshot,
			  DirectConflictFn on_conflict, void *arg, bool *updated)
{
	Relation	rel = rri->ri_RelationDesc;
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	TupleTableSlot *existing = table_slot_create(rel, &estate->es_tupleTable);
	TupleTableSlot *newer = table_slot_create(rel, &estate->es_tupleTable);
	TM_Result	res;
	bool		followed;

	res = direct_lock_version(rel, tid, snapshot, estate->es_output_cid,
							  LockTupleNoKeyExclusive, LockWaitBlock, false, existing,
							  &followed);
	if (res == TM_SelfModified)
		elog(ERROR, "unexpected result %d locking a row of \"%s\"", (int) res,
			 RelationGetRelationName(rel));
	if (res != TM_Ok)
		return false;			/* changed meanwhile (READ COMMITTED): start again */
	/* a row the transaction's snapshot cannot see may not be updated there */
	if (xact_snapshot && !table_tuple_satisfies_snapshot(rel, existing, snapshot))
	{
		bool		isnull;
		Datum		xmin = slot_getsysattr(existing, MinTransactionIdAttributeNumber, &isnull);

		if (!TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin)))
			direct_serialization_failure("update");
	}

	direct_copy_row(newer, existing);
	*updated = on_conflict(existing, newer, arg);
	if (*updated)
	{
		ExecStoreVirtualTuple(newer);
		direct_update(estate, rri, existing, newer, snapshot);
	}
	return true;
}

DirectUpsertResult
direct_upsert(EState *estate, ResultRelInfo *rri, Oid arbiter, TupleTableSlot *slot,
			  Snapshot snapshot, DirectConflictFn on_conflict, void *arg)
{
	Relation	rel = rri->ri_RelationDesc;
	List	   *arbiters = list_make1_oid(arbiter);
	TransactionId xid = GetCurrentTransactionId();

	prepare_arbiter(estate, rri, arbiter);
	if (rel->rd_att->constr)
		ExecConstraints(rri, slot, estate);
	for (;;)
	{
		ItemPointerData conflict;
		bool		spec_conflict = false;
		uint32		token;

		CHECK_FOR_INTERRUPTS();
		if (!ExecCheckIndexConstraints(rri, slot, estate, &conflict, arbiters))
		{
			bool		updated;

			if (upsert_update(estate, rri, &conflict, snapshot, on_conflict, arg, &updated))
			{
				list_free(arbiters);
				return updated ? DIRECT_UPDATED : DIRECT_KEPT;
			}
			continue;
		}
		token = SpeculativeInsertionLockAcquire(xid);
		table_tuple_insert_speculative(rel, slot, estate->es_output_cid, 0, NULL, token);
		list_free(ExecInsertIndexTuples(rri, slot, estate, false, true, &spec_conflict,
										arbiters));
		table_tuple_complete_speculative(rel, slot, token, !spec_conflict);
		SpeculativeInsertionLockRelease(xid);
		ResetPerTupleExprContext(estate);
		if (!spec_conflict)
		{
			list_free(arbiters);
			return DIRECT_INSERTED;
		}
		/* a concurrent insertion won: look again */
	}
}
