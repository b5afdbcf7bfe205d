/*-------------------------------------------------------------------------
 *
 * costs.c
 *	  track_campaign_cost(): the exact cost ledger.
 *
 * A charge without an idempotency key takes the direct path of charge.c;
 * the rest of this comment describes the SQL it is equivalent to, and which
 * keyed charges and tables changed from the shipped shape still run.
 *
 * One statement charges a campaign: an UPDATE that adds the amount to
 * actual_cost and to the service's column, and an INSERT of the cost row
 * that reads the new total from the UPDATE's RETURNING.  The UPDATE takes
 * the campaign row lock (FOR NO KEY UPDATE strength, so business inserts,
 * whose foreign key takes KEY SHARE, never wait for it); a concurrent charge
 * of the same campaign waits, and under READ COMMITTED then re-evaluates the
 * sum on the newest row version, so no charge is ever lost and the campaign
 * totals always equal the sum of its cost rows.  No SERIALIZABLE needed, and
 * none possible: a function cannot change the transaction's isolation level.
 * Under REPEATABLE READ or SERIALIZABLE (the caller's choice) the same race
 * ends in 40001 instead, which the envelope reports as retryable.
 *
 * Amounts are rounded to 4 decimals (the cost row's numeric(10,4)) before
 * anything is added, and the campaign totals keep 4 decimals too, so the
 * ledger adds up exactly.
 *
 * With metadata.idempotency_key, the campaign row is locked first, the key
 * looked up, and a repeated key answers the first call's result (flagged
 * "replayed": true) without a second charge.  The lock makes check-then-
 * insert safe; the unique index on (campaign_id, idempotency_key) is the
 * backstop.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "common/args.h"
#include "common/jsonb_read.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "campaigns/campaigns.h"
#include "campaigns/charge.h"

#define IDEMPOTENCY_KEY_MAX 200

static const char *const services[] = {"google_maps", "facebook", "linkedin", "bouncer", NULL};

/* $1 campaign, $2 service, $3 items, $4 cost, $5 metadata, $6 key */
static const StmtDef charge_stmt = {
	"campaigns.cost.charge",
	"WITH u AS ("
	"  UPDATE experiments.gmaps_campaigns"
	"     SET actual_cost = actual_cost + $4,"
	"         google_maps_cost = google_maps_cost"
	"             + CASE WHEN $2 = 'google_maps' THEN $4 ELSE 0 END,"
	"         facebook_cost = facebook_cost"
	"             + CASE WHEN $2 = 'facebook' THEN $4 ELSE 0 END,"
	"         linkedin_enrichment_cost = linkedin_enrichment_cost"
	"             + CASE WHEN $2 = 'linkedin' THEN $4 ELSE 0 END,"
	"         bouncer_verification_cost = bouncer_verification_cost"
	"             + CASE WHEN $2 = 'bouncer' THEN $4 ELSE 0 END,"
	"         updated_at = pg_catalog.now()"
	"   WHERE id = $1"
	"  RETURNING id, actual_cost)"
	" INSERT INTO experiments.gmaps_api_costs"
	"        (campaign_id, service, items_processed, cost_usd, metadata,"
	"         idempotency_key, total_after)"
	" SELECT u.id, $2, $3, $4, $5, $6, u.actual_cost FROM u"
	" RETURNING id, total_after",
	6, {UUIDOID, TEXTOID, INT4OID, NUMERICOID, JSONBOID, TEXTOID}
};

static const StmtDef lock_campaign = {
	"campaigns.cost.lock_campaign",
	"SELECT 1 FROM experiments.gmaps_campaigns WHERE id = $1 FOR NO KEY UPDATE",
	1, {UUIDOID}
};

/* Columns: 1 id, 2 total_after, 3 service, 4 same charge? */
static const StmtDef find_key = {
	"campaigns.cost.find_key",
	"SELECT id, total_after, service::text,"
	"       service = $3 AND cost_usd = $4 AND items_processed = $5"
	"  FROM experiments.gmaps_api_costs"
	" WHERE campaign_id = $1 AND idempotency_key = $2",
	5, {UUIDOID, TEXTOID, TEXTOID, NUMERICOID, INT4OID}
};

static void
track_body(FunctionCallInfo fcinfo, JbBuilder *b)
{
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', 'n', 'n'};
	char	   *service;
	char	   *key = NULL;
	bool		isnull;
	ChargeOutcome outcome = CHARGE_NOT_ELIGIBLE;
	Datum		cost_id = (Datum) 0;
	Datum		new_total = (Datum) 0;

	arg_not_null(fcinfo, 0, "p_campaign_id");
	service = arg_cstring(fcinfo, 1, "p_service");
	arg_one_of(service, "p_service", services);
	(void) arg_int32_in(fcinfo, 2, "p_items_processed", 0, PG_INT32_MAX);
	args[3] = campaigns_arg_amount(fcinfo, 3, "p_cost_usd", 4, "999999.9999");
	if (!PG_ARGISNULL(4))
	{
		Jsonb	   *meta = PG_GETARG_JSONB_P(4);
		JbObject	obj = jbr_object(meta, "p_metadata");

		if (jbr_text(&obj, "idempotency_key", false, &key))
		{
			if (key[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("p_metadata.idempotency_key must not be empty")));
			text_check_chars(key, "p_metadata.idempotency_key", IDEMPOTENCY_KEY_MAX);
		}
		args[4] = JsonbPGetDatum(meta);
		nulls[4] = ' ';
	}

	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(service);
	args[2] = PG_GETARG_DATUM(2);

	if (key != NULL)
	{
		Datum		kargs[5];

		if (stmt_run(&lock_campaign, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("campaign not found"),
					 errdetail("No campaign has id %s.", uuid_cstring(args[0]))));
		kargs[0] = args[0];
		kargs[1] = CStringGetTextDatum(key);
		kargs[2] = args[1];
		kargs[3] = args[3];
		kargs[4] = args[2];
		if (stmt_run(&find_key, NULL, kargs, NULL, false, 0, SPI_OK_SELECT) > 0)
		{
			HeapTuple	row = SPI_tuptable->vals[0];
			TupleDesc	desc = SPI_tuptable->tupdesc;

			if (!DatumGetBool(SPI_getbinval(row, desc, 4, &isnull)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("idempotency key \"%s\" was already used for a different charge", key),
						 errdetail("The first charge with this key had another service, amount or item count.")));
			jbb_key_text(b, "cost_id", uuid_cstring(SPI_getbinval(row, desc, 1, &isnull)));
			jbb_key_numeric(b, "new_total", DatumGetNumeric(SPI_getbinval(row, desc, 2, &isnull)));
			jbb_key_text(b, "service", TextDatumGetCString(SPI_getbinval(row, desc, 3, &isnull)));
			jbb_key_bool(b, "replayed", true);
			return;
		}
		args[5] = kargs[1];
		nulls[5] = ' ';
	}

	if (key == NULL)
	{
		ChargeRequest req;
		int			i;

		req.campaign_id = args[0];
		for (i = 0; strcmp(services[i], service) != 0; i++)
			;
		req.service = i;
		req.service_text = args[1];
		req.items = args[2];
		req.amount = args[3];
		req.metadata = nulls[4] == 'n' ? NULL : DatumGetJsonbP(args[4]);
		outcome = charge_direct(&req, &cost_id, &new_total);
	}
	if (outcome == CHARGE_NOT_ELIGIBLE)
	{
		if (stmt_run(&charge_stmt, NULL, args, nulls, false, 0, SPI_OK_INSERT_RETURNING) == 0)
			outcome = CHARGE_NOT_FOUND;
		else
		{
			outcome = CHARGE_DONE;
			cost_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			new_total = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		}
	}
	if (outcome == CHARGE_NOT_FOUND)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign not found"),
				 errdetail("No campaign has id %s.", uuid_cstring(args[0]))));
	jbb_key_text(b, "cost_id", uuid_cstring(cost_id));
	jbb_key_numeric(b, "new_total", DatumGetNumeric(new_total));
	jbb_key_text(b, "service", service);
	if (key != NULL)
		jbb_key_bool(b, "replayed", false);
}

PG_FUNCTION_INFO_V1(experiments_track_campaign_cost);

/*
 * experiments_track_campaign_cost(p_campaign_id, p_service, p_items_processed,
 * p_cost_usd, p_metadata) -> {success, cost_id, new_total, service}
 */
Datum
experiments_track_campaign_cost(PG_FUNCTION_ARGS)
{
	return campaigns_envelope(fcinfo, track_body);
}
