/*-------------------------------------------------------------------------
 *
 * coverage.c
 *	  update_coverage_status(): mark one ZIP of a campaign scraped.
 *
 * One UPDATE of the coverage row (its row lock is the only lock taken, so
 * the domain's lock order holds trivially).  When no row matched, a second
 * look tells an unknown campaign from a ZIP the campaign does not cover;
 * both are P0002.  The campaign's coverage_percentage is recomputed by
 * update_campaign_statistics, not here, so scrapers finishing ZIPs never
 * queue on the campaign row the cost tracker uses.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "campaigns/campaigns.h"

static const StmtDef mark_scraped = {
	"campaigns.coverage.mark_scraped",
	"UPDATE experiments.gmaps_campaign_coverage"
	"   SET scraped = true, scraped_at = pg_catalog.now(),"
	"       businesses_found = $3, emails_found = $4, actual_cost = $5,"
	"       updated_at = pg_catalog.now()"
	" WHERE campaign_id = $1 AND zip_code = $2"
	" RETURNING businesses_found",
	5, {UUIDOID, TEXTOID, INT4OID, INT4OID, NUMERICOID}
};

static const StmtDef campaign_exists = {
	"campaigns.coverage.campaign_exists",
	"SELECT 1 FROM experiments.gmaps_campaigns WHERE id = $1",
	1, {UUIDOID}
};

static void
coverage_body(FunctionCallInfo fcinfo, JbBuilder *b)
{
	Datum		args[5];
	char	   *zip;
	bool		isnull;

	arg_not_null(fcinfo, 0, "p_campaign_id");
	zip = arg_text_bounded_chars(fcinfo, 1, "p_zip_code", 10);
	(void) arg_int32_in(fcinfo, 2, "p_businesses_found", 0, PG_INT32_MAX);
	(void) arg_int32_in(fcinfo, 3, "p_emails_found", 0, PG_INT32_MAX);
	args[4] = campaigns_arg_amount(fcinfo, 4, "p_actual_cost", 2, "99999999.99");

	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(zip);
	args[2] = PG_GETARG_DATUM(2);
	args[3] = PG_GETARG_DATUM(3);
	if (stmt_run(&mark_scraped, NULL, args, NULL, false, 0, SPI_OK_UPDATE_RETURNING) == 0)
	{
		if (stmt_run(&campaign_exists, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("campaign not found"),
					 errdetail("No campaign has id %s.", uuid_cstring(args[0]))));
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("ZIP code not in the campaign's coverage"),
				 errdetail("Campaign %s does not cover ZIP code \"%s\".",
						   uuid_cstring(args[0]), zip)));
	}
	jbb_key_text(b, "campaign_id", uuid_cstring(args[0]));
	jbb_key_text(b, "zip_code", zip);
	jbb_key_int64(b, "businesses_found",
				  DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull)));
}

PG_FUNCTION_INFO_V1(experiments_update_coverage_status);

/*
 * experiments_update_coverage_status(p_campaign_id, p_zip_code,
 * p_businesses_found, p_emails_found, p_actual_cost)
 * -> {success, campaign_id, zip_code, businesses_found}
 */
Datum
experiments_update_coverage_status(PG_FUNCTION_ARGS)
{
	return campaigns_envelope(fcinfo, coverage_body);
}
