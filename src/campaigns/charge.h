/*-------------------------------------------------------------------------
 *
 * charge.h
 *	  The direct write path of track_campaign_cost (see charge.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_CAMPAIGNS_CHARGE_H
#define EXPERIMENTS_CAMPAIGNS_CHARGE_H

#include "postgres.h"
#include "nodes/primnodes.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

/* The four per-service columns, in the order of campaigns_services[]. */
#define CHARGE_NSERVICES 4

typedef enum ChargeOutcome
{
	CHARGE_DONE,				/* charged: cost_id and new_total are set */
	CHARGE_NOT_FOUND,			/* no such campaign (nothing written) */
	CHARGE_NOT_ELIGIBLE			/* the tables are not as shipped: use SQL */
} ChargeOutcome;

typedef struct ChargeRequest
{
	Datum		campaign_id;	/* uuid */
	int			service;		/* index into the service columns */
	Datum		service_text;	/* text */
	Datum		items;			/* int4 */
	Datum		amount;			/* numeric, already rounded to 4 decimals */
	Jsonb	   *metadata;		/* NULL for none */
} ChargeRequest;

/*
 * What the direct path needs to know about the two tables, resolved once per
 * backend and thrown away by any relcache invalidation of either of them
 * (ALTER TABLE, CREATE TRIGGER, a new constraint or default, DROP ... all send
 * one).  charge_tables.c builds it.
 */
typedef struct ChargeTables
{
	const char *ineligible;		/* NULL, or why the direct path must not run */

	/* gmaps_campaigns */
	Oid			campaigns_pkey;
	AttrNumber	c_id;
	AttrNumber	c_actual;
	AttrNumber	c_updated;
	AttrNumber	c_service[CHARGE_NSERVICES];
	int32		c_actual_typmod;
	int32		c_service_typmod[CHARGE_NSERVICES];
	int			c_ncheck;
	Expr	  **c_check;		/* planned CHECK expressions, relcache order */

	/* gmaps_api_costs */
	AttrNumber	l_id;
	AttrNumber	l_campaign;
	AttrNumber	l_service;
	AttrNumber	l_items;
	AttrNumber	l_cost;
	AttrNumber	l_metadata;
	AttrNumber	l_key;
	AttrNumber	l_total;
	int32		l_total_typmod;
	int			l_ncheck;
	Expr	  **l_check;
	int			l_natts;
	Expr	  **l_default;		/* per attribute (0-based); NULL: none, or ours */
} ChargeTables;

/* The description of these two open relations (built when stale). */
extern const ChargeTables *charge_tables(Relation campaigns, Relation costs);

/* Why the last call fell back to SQL, or NULL if it did not (for tests). */
extern const char *charge_last_fallback;

/*
 * Charge the campaign: lock its row, add the amount, append the ledger row.
 * cost_id (uuid) and new_total (numeric) are allocated in the caller's
 * memory context.  Errors (lock timeout, deadlock, serialization failure,
 * numeric overflow, a violated constraint) are raised as from SQL.
 */
extern ChargeOutcome charge_direct(const ChargeRequest *req, Datum *cost_id,
								   Datum *new_total);

#endif							/* EXPERIMENTS_CAMPAIGNS_CHARGE_H */
