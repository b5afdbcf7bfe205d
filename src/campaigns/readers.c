/*-------------------------------------------------------------------------
 *
 * readers.c
 *	  get_businesses_for_enrichment() and claim_businesses_for_enrichment().
 *
 * Both return the seed's TABLE (claim adds claimed_until); errors are
 * ordinary errors, not the envelope.  "Still to enrich": facebook - the
 * business needs enrichment and its status is 'pending'; linkedin - not
 * yet LinkedIn-enriched.  Oldest first (created_at, then id, so the order
 * is total and paging is stable).
 *
 * get_ pages with LIMIT/OFFSET and locks nothing: two workers reading the
 * same page get the same businesses.  claim_ hands each business to one
 * worker at a time: it picks the oldest businesses still to enrich whose
 * lease (per type) is free or expired, skipping rows another claim has
 * locked this instant (FOR NO KEY UPDATE SKIP LOCKED), and sets their lease
 * to now + p_lease.  A row claimed and committed by another worker after
 * our snapshot is re-checked on its newest version and left out, so leases
 * never overlap.  Writing the enrichment (update_enrichment_batch) ends the
 * lease; a worker that dies simply lets it expire.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "campaigns/campaigns.h"

#define COLUMNS \
	"b.id, b.campaign_id, b.place_id, b.name, b.address, b.city, b.state," \
	" b.postal_code, b.phone, b.website, b.email, b.facebook_url, b.linkedin_url," \
	" b.enrichment_status, b.enrichment_attempts, b.needs_enrichment"

#define FACEBOOK_TODO "b.needs_enrichment AND b.enrichment_status = 'pending'"
#define LINKEDIN_TODO "NOT b.linkedin_enriched"

static const StmtDef page_facebook = {
	"campaigns.readers.page_facebook",
	"SELECT " COLUMNS " FROM experiments.gmaps_businesses b"
	" WHERE b.campaign_id = $1 AND " FACEBOOK_TODO
	" ORDER BY b.created_at, b.id LIMIT $2 OFFSET $3",
	3, {UUIDOID, INT4OID, INT4OID}
};

static const StmtDef page_linkedin = {
	"campaigns.readers.page_linkedin",
	"SELECT " COLUMNS " FROM experiments.gmaps_businesses b"
	" WHERE b.campaign_id = $1 AND " LINKEDIN_TODO
	" ORDER BY b.created_at, b.id LIMIT $2 OFFSET $3",
	3, {UUIDOID, INT4OID, INT4OID}
};

#define CLAIM(todo, lease) \
	"WITH todo AS (" \
	"  SELECT b.id FROM experiments.gmaps_businesses b" \
	"   WHERE b.campaign_id = $1 AND " todo \
	"     AND (b." lease " IS NULL OR b." lease " <= pg_catalog.statement_timestamp())" \
	"   ORDER BY b.created_at, b.id LIMIT $2" \
	"     FOR NO KEY UPDATE OF b SKIP LOCKED)," \
	" claimed AS (" \
	"  UPDATE experiments.gmaps_businesses b" \
	"     SET " lease " = pg_catalog.statement_timestamp() + $3" \
	"    FROM todo WHERE b.id = todo.id" \
	"  RETURNING " COLUMNS ", b." lease ", b.created_at)" \
	" SELECT id, campaign_id, place_id, name, address, city, state, postal_code, phone," \
	"        website, email, facebook_url, linkedin_url, enrichment_status," \
	"        enrichment_attempts, needs_enrichment, " lease \
	"   FROM claimed ORDER BY created_at, id"

static const StmtDef claim_facebook = {
	"campaigns.readers.claim_facebook",
	CLAIM(FACEBOOK_TODO, "facebook_claimed_until"),
	3, {UUIDOID, INT4OID, INTERVALOID}
};

static const StmtDef claim_linkedin = {
	"campaigns.readers.claim_linkedin",
	CLAIM(LINKEDIN_TODO, "linkedin_claimed_until"),
	3, {UUIDOID, INT4OID, INTERVALOID}
};

static const StmtDef campaign_exists = {
	"campaigns.readers.campaign_exists",
	"SELECT 1 FROM experiments.gmaps_campaigns WHERE id = $1",
	1, {UUIDOID}
};

static void
require_campaign(Datum id)
{
	if (stmt_run(&campaign_exists, NULL, &id, NULL, true, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign not found"),
				 errdetail("No campaign has id %s.", uuid_cstring(id))));
}

PG_FUNCTION_INFO_V1(experiments_get_businesses_for_enrichment);

/*
 * experiments_get_businesses_for_enrichment(p_campaign_id, p_enrichment_type,
 * p_limit, p_offset) -> TABLE(business_id, ..., needs_enrichment)
 */
Datum
experiments_get_businesses_for_enrichment(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *type;
	bool		facebook;
	Datum		args[3];

	arg_not_null(fcinfo, 0, "p_campaign_id");
	type = arg_cstring(fcinfo, 1, "p_enrichment_type");
	facebook = campaigns_enrichment_is_facebook(type, "p_enrichment_type");
	(void) arg_int32_in(fcinfo, 2, "p_limit", 1, 10000);
	(void) arg_int32_in(fcinfo, 3, "p_offset", 0, PG_INT32_MAX);

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(2);
	args[2] = PG_GETARG_DATUM(3);
	if (stmt_run(facebook ? &page_facebook : &page_linkedin, NULL, args, NULL, true, 0,
				 SPI_OK_SELECT) == 0)
		require_campaign(args[0]);
	else
		srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_claim_businesses_for_enrichment);

/*
 * experiments_claim_businesses_for_enrichment(p_campaign_id, p_enrichment_type,
 * p_limit, p_lease) -> TABLE(business_id, ..., needs_enrichment, claimed_until)
 */
Datum
experiments_claim_businesses_for_enrichment(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *type;
	bool		facebook;
	Datum		args[3];
	Interval   *lease;
	Interval	zero;
	Interval	longest;

	arg_not_null(fcinfo, 0, "p_campaign_id");
	type = arg_cstring(fcinfo, 1, "p_enrichment_type");
	facebook = campaigns_enrichment_is_facebook(type, "p_enrichment_type");
	(void) arg_int32_in(fcinfo, 2, "p_limit", 1, 10000);
	arg_not_null(fcinfo, 3, "p_lease");
	lease = PG_GETARG_INTERVAL_P(3);
	memset(&zero, 0, sizeof(zero));
	memset(&longest, 0, sizeof(longest));
	longest.day = 7;
	if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(lease),
										  IntervalPGetDatum(&zero))) <= 0 ||
		DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(lease),
										  IntervalPGetDatum(&longest))) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_lease must be positive and at most 7 days"),
				 errdetail("The value given was %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(lease))))));

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(2);
	args[2] = PG_GETARG_DATUM(3);
	if (stmt_run(facebook ? &claim_facebook : &claim_linkedin, NULL, args, NULL, false, 0,
				 SPI_OK_SELECT) == 0)
		require_campaign(args[0]);
	else
		srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}
