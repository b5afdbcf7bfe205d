/*-------------------------------------------------------------------------
 *
 * charge_tables.c
 *	  What the direct charge path knows about gmaps_campaigns and
 *	  gmaps_api_costs, and whether it may write them itself.
 *
 * The direct path (charge.c) writes both tables through the table access
 * method and the executor's index and constraint routines, and fires no
 * triggers.  That is the same as the SQL statement only while the tables
 * are as the install script made them, so the description built here also
 * records a verdict; any of these sends the call back to SQL:
 *
 *	- either table is not a plain table, or has stored generated columns;
 *	- gmaps_campaigns has a trigger other than the referenced side of a
 *	  foreign key (those act on DELETE or on a change of the key, and the
 *	  charge changes neither);
 *	- gmaps_api_costs has a trigger other than the referencing side of its
 *	  foreign key campaign_id -> gmaps_campaigns(id), or the referenced side
 *	  of some other key (which acts only on its UPDATE and DELETE);
 *	- a unique index of the ledger is deferrable;
 *	- a column the charge reads or writes is missing or of another type,
 *	  or actual_cost has lost its NOT NULL.
 *
 * The foreign key check is the one trigger the direct path replaces rather
 * than skips: the charge holds the referenced campaign row locked FOR NO KEY
 * UPDATE, having read its id from that very version, so the row the ledger
 * points at exists and cannot go away or change its key before we commit.
 *
 * CHECK constraints and column defaults are parsed and planned here once,
 * not per call as the executor does for each statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "access/htup_details.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/array.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "campaigns/charge.h"

static const char *const service_columns[CHARGE_NSERVICES] = {
	"google_maps_cost", "facebook_cost", "linkedin_enrichment_cost",
	"bouncer_verification_cost"
};

static ChargeTables tables;
static MemoryContext tables_cxt = NULL;
static uint64 inval_count = 0;

static void
charge_relcache_cb(Datum arg, Oid relid)
{
	(void) arg;
	inval_count++;
	if (!OidIsValid(relid) || relid == tables.campaigns || relid == tables.costs)
		tables.valid = false;
}

/* The attribute named name, if it exists with type typid; 0 otherwise. */
static AttrNumber
column(TupleDesc desc, const char *name, Oid typid, int32 *typmod)
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

/* The planned CHECK expressions of rel, in the order of its constraint array. */
static Expr **
plan_checks(Relation rel, int *ncheck)
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

static const char *
campaigns_verdict(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;
	Relation	pkey;
	bool		pkey_ok;
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return "gmaps_campaigns is not a plain table";
	if (rel->rd_att->constr && rel->rd_att->constr->has_generated_stored)
		return "gmaps_campaigns has generated columns";
	for (i = 0; td != NULL && i < td->numtriggers; i++)
		if (RI_FKey_trigger_type(td->triggers[i].tgfoid) != RI_TRIGGER_PK)
			return "gmaps_campaigns has a trigger";
	if (tables.c_id == 0 || tables.c_actual == 0 || tables.c_updated == 0)
		return "gmaps_campaigns lacks a column the charge uses";
	if (!TupleDescAttr(rel->rd_att, tables.c_actual - 1)->attnotnull)
		return "gmaps_campaigns.actual_cost may be null";
	for (i = 0; i < CHARGE_NSERVICES; i++)
		if (tables.c_service[i] == 0)
			return "gmaps_campaigns lacks a service cost column";

	tables.campaigns_pkey = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(tables.campaigns_pkey))
		return "gmaps_campaigns has no primary key";
	pkey = index_open(tables.campaigns_pkey, AccessShareLock);
	pkey_ok = pkey->rd_rel->relam == BTREE_AM_OID &&
		pkey->rd_index->indnkeyatts == 1 &&
		pkey->rd_index->indkey.values[0] == tables.c_id;
	index_close(pkey, AccessShareLock);
	if (!pkey_ok)
		return "the primary key of gmaps_campaigns is not a btree on id";
	return NULL;
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

/* Is trigger t of the ledger the referencing side of campaign_id -> campaigns(id)? */
static bool
is_ledger_foreign_key(const Trigger *t, Oid campaigns)
{
	HeapTuple	tup;
	Form_pg_constraint con;
	bool		ok = false;

	if (!OidIsValid(t->tgconstraint))
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(t->tgconstraint));
	if (!HeapTupleIsValid(tup))
		return false;
	con = (Form_pg_constraint) GETSTRUCT(tup);
	if (con->contype == CONSTRAINT_FOREIGN && con->confrelid == campaigns)
		ok = single_key(tup, Anum_pg_constraint_conkey) == tables.l_campaign &&
			single_key(tup, Anum_pg_constraint_confkey) == tables.c_id;
	ReleaseSysCache(tup);
	return ok;
}

static const char *
costs_verdict(Relation rel, Oid campaigns)
{
	TriggerDesc *td = rel->trigdesc;
	List	   *indexes;
	ListCell   *lc;
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return "gmaps_api_costs is not a plain table";
	if (rel->rd_att->constr && rel->rd_att->constr->has_generated_stored)
		return "gmaps_api_costs has generated columns";
	for (i = 0; td != NULL && i < td->numtriggers; i++)
	{
		const Trigger *t = &td->triggers[i];
		int			kind = RI_FKey_trigger_type(t->tgfoid);

		if (kind == RI_TRIGGER_PK)
			continue;
		if (kind == RI_TRIGGER_FK && is_ledger_foreign_key(t, campaigns))
			continue;
		return "gmaps_api_costs has a trigger";
	}
	if (tables.l_id == 0 || tables.l_campaign == 0 || tables.l_service == 0 ||
		tables.l_items == 0 || tables.l_cost == 0 || tables.l_metadata == 0 ||
		tables.l_key == 0 || tables.l_total == 0)
		return "gmaps_api_costs lacks a column the charge uses";

	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		bool		deferred = index->rd_index->indisunique && !index->rd_index->indimmediate;

		index_close(index, AccessShareLock);
		if (deferred)
			return "gmaps_api_costs has a deferrable unique constraint";
	}
	list_free(indexes);
	return NULL;
}

/* Parse and plan the defaults of the ledger columns the charge does not set. */
static Expr **
plan_defaults(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Expr	  **out = palloc0(sizeof(Expr *) * desc->natts);
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		AttrNumber	att = i + 1;
		Node	   *def;

		if (TupleDescAttr(desc, i)->attisdropped ||
			att == tables.l_campaign || att == tables.l_service ||
			att == tables.l_items || att == tables.l_cost ||
			att == tables.l_metadata || att == tables.l_key || att == tables.l_total)
			continue;
		def = build_column_default(rel, att);
		if (def != NULL)
			out[i] = expression_planner((Expr *) def);
	}
	return out;
}

const ChargeTables *
charge_tables(Relation campaigns, Relation costs)
{
	static bool registered = false;
	MemoryContext old;
	uint64		seen;
	TupleDesc	cd = RelationGetDescr(campaigns);
	TupleDesc	ld = RelationGetDescr(costs);
	int			i;

	if (tables.valid && tables.campaigns == RelationGetRelid(campaigns) &&
		tables.costs == RelationGetRelid(costs))
		return &tables;

	if (!registered)
	{
		CacheRegisterRelcacheCallback(charge_relcache_cb, (Datum) 0);
		registered = true;
	}
	if (tables_cxt == NULL)
		tables_cxt = AllocSetContextCreate(CacheMemoryContext, "experiments charge tables",
										   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(tables_cxt);
	memset(&tables, 0, sizeof(tables));
	seen = inval_count;
	tables.campaigns = RelationGetRelid(campaigns);
	tables.costs = RelationGetRelid(costs);

	old = MemoryContextSwitchTo(tables_cxt);
	tables.c_id = column(cd, "id", UUIDOID, NULL);
	tables.c_actual = column(cd, "actual_cost", NUMERICOID, &tables.c_actual_typmod);
	tables.c_updated = column(cd, "updated_at", TIMESTAMPTZOID, NULL);
	for (i = 0; i < CHARGE_NSERVICES; i++)
		tables.c_service[i] = column(cd, service_columns[i], NUMERICOID,
									 &tables.c_service_typmod[i]);
	tables.l_id = column(ld, "id", UUIDOID, NULL);
	tables.l_campaign = column(ld, "campaign_id", UUIDOID, NULL);
	tables.l_service = column(ld, "service", VARCHAROID, NULL);
	tables.l_items = column(ld, "items_processed", INT4OID, NULL);
	tables.l_cost = column(ld, "cost_usd", NUMERICOID, NULL);
	tables.l_metadata = column(ld, "metadata", JSONBOID, NULL);
	tables.l_key = column(ld, "idempotency_key", TEXTOID, NULL);
	tables.l_total = column(ld, "total_after", NUMERICOID, &tables.l_total_typmod);

	tables.ineligible = campaigns_verdict(campaigns);
	if (tables.ineligible == NULL)
		tables.ineligible = costs_verdict(costs, tables.campaigns);
	if (tables.ineligible == NULL)
	{
		tables.c_check = plan_checks(campaigns, &tables.c_ncheck);
		tables.l_check = plan_checks(costs, &tables.l_ncheck);
		tables.l_natts = ld->natts;
		tables.l_default = plan_defaults(costs);
	}
	MemoryContextSwitchTo(old);

	/*
	 * Kept only if no invalidation arrived while we read the catalogues; the
	 * description is still right for this call (the caller holds both tables
	 * locked against DDL), and the next call builds it again.
	 */
	tables.valid = (seen == inval_count);
	return &tables;
}
