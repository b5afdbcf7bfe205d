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

#include "access/htup_details.h"
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

#include "common/direct.h"
#include "campaigns/charge.h"

static const char *const service_columns[CHARGE_NSERVICES] = {
	"google_maps_cost", "facebook_cost", "linkedin_enrichment_cost",
	"bouncer_verification_cost"
};

static ChargeTables tables;
static DirectCache tables_cache;	/* of gmaps_campaigns and gmaps_api_costs */
static const char *
campaigns_verdict(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;
	const char *shape = direct_shape_verdict(rel);
	int			i;

	if (shape != NULL)
		return shape;
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

	tables.campaigns_pkey = direct_key_index(rel, tables.c_id);
	if (!OidIsValid(tables.campaigns_pkey) ||
		tables.campaigns_pkey != RelationGetPrimaryKeyIndex(rel))
		return "the primary key of gmaps_campaigns is not a btree on id";
	return NULL;
}

static const char *
costs_verdict(Relation rel, Oid campaigns)
{
	TriggerDesc *td = rel->trigdesc;
	const char *shape = direct_shape_verdict(rel);
	int			i;

	if (shape != NULL)
		return shape;
	if (tables.l_id == 0 || tables.l_campaign == 0 || tables.l_service == 0 ||
		tables.l_items == 0 || tables.l_cost == 0 || tables.l_metadata == 0 ||
		tables.l_key == 0 || tables.l_total == 0)
		return "gmaps_api_costs lacks a column the charge uses";
	for (i = 0; td != NULL && i < td->numtriggers; i++)
	{
		const Trigger *t = &td->triggers[i];

		if (RI_FKey_trigger_type(t->tgfoid) == RI_TRIGGER_PK)
			continue;
		if (direct_is_foreign_key(t, tables.l_campaign, campaigns, tables.c_id))
			continue;
		return "gmaps_api_costs has a trigger";
	}
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

		if (att == tables.l_campaign || att == tables.l_service ||
			att == tables.l_items || att == tables.l_cost ||
			att == tables.l_metadata || att == tables.l_key || att == tables.l_total)
			continue;
		out[i] = direct_plan_default(rel, att);
	}
	return out;
}

const ChargeTables *
charge_tables(Relation campaigns, Relation costs)
{
	Oid			relids[2] = {RelationGetRelid(campaigns), RelationGetRelid(costs)};
	MemoryContext old;
	TupleDesc	cd = RelationGetDescr(campaigns);
	TupleDesc	ld = RelationGetDescr(costs);
	int			i;

	if (direct_cache_fresh(&tables_cache, relids, 2))
		return &tables;

	old = direct_cache_begin(&tables_cache, "experiments charge tables", relids, 2);
	memset(&tables, 0, sizeof(tables));

	tables.c_id = direct_column(cd, "id", UUIDOID, NULL);
	tables.c_actual = direct_column(cd, "actual_cost", NUMERICOID, &tables.c_actual_typmod);
	tables.c_updated = direct_column(cd, "updated_at", TIMESTAMPTZOID, NULL);
	for (i = 0; i < CHARGE_NSERVICES; i++)
		tables.c_service[i] = direct_column(cd, service_columns[i], NUMERICOID,
											&tables.c_service_typmod[i]);
	tables.l_id = direct_column(ld, "id", UUIDOID, NULL);
	tables.l_campaign = direct_column(ld, "campaign_id", UUIDOID, NULL);
	tables.l_service = direct_column(ld, "service", VARCHAROID, NULL);
	tables.l_items = direct_column(ld, "items_processed", INT4OID, NULL);
	tables.l_cost = direct_column(ld, "cost_usd", NUMERICOID, NULL);
	tables.l_metadata = direct_column(ld, "metadata", JSONBOID, NULL);
	tables.l_key = direct_column(ld, "idempotency_key", TEXTOID, NULL);
	tables.l_total = direct_column(ld, "total_after", NUMERICOID, &tables.l_total_typmod);

	tables.ineligible = campaigns_verdict(campaigns);
	if (tables.ineligible == NULL)
		tables.ineligible = costs_verdict(costs, relids[0]);
	if (tables.ineligible == NULL)
	{
		tables.c_check = direct_plan_checks(campaigns, &tables.c_ncheck);
		tables.l_check = direct_plan_checks(costs, &tables.l_ncheck);
		tables.l_natts = ld->natts;
		tables.l_default = plan_defaults(costs);
	}
	direct_cache_end(&tables_cache, old);
	return &tables;
}
