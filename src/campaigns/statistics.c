/*-------------------------------------------------------------------------
 *
 * statistics.c
 *	  update_campaign_statistics(): recompute a campaign's counters.
 *
 * Two statements.  The first locks the campaign row (NO KEY UPDATE: the
 * business upserts' KEY SHARE does not wait for it), so concurrent
 * recomputations of one campaign run one after the other; the second, with
 * a snapshot taken after the lock was granted, counts and writes the
 * totals.  Counting in the locking statement would use a snapshot from
 * before the wait and could write back numbers older than the ones the
 * previous holder wrote.
 *
 * Counted: businesses; businesses with an e-mail; businesses whose e-mail
 * verified deliverable; businesses with a successful Facebook enrichment
 * that found a page; businesses with a LinkedIn enrichment that found a
 * profile; and the share of the campaign's ZIP codes already scraped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "common/args.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "campaigns/campaigns.h"

static const StmtDef lock_campaign = {
	"campaigns.statistics.lock",
	"SELECT 1 FROM experiments.gmaps_campaigns WHERE id = $1 FOR NO KEY UPDATE",
	1, {UUIDOID}
};

static const StmtDef recompute = {
	"campaigns.statistics.recompute",
	"UPDATE experiments.gmaps_campaigns AS c"
	"   SET total_businesses_found = s.total,"
	"       total_emails_found = s.emails,"
	"       total_verified_emails = s.verified,"
	"       total_facebook_pages_found ="
	"         (SELECT pg_catalog.count(DISTINCT f.business_id)"
	"            FROM experiments.gmaps_facebook_enrichments f"
	"           WHERE f.campaign_id = $1 AND f.success AND f.facebook_url IS NOT NULL),"
	"       total_linkedin_profiles_found ="
	"         (SELECT pg_catalog.count(DISTINCT l.business_id)"
	"            FROM experiments.gmaps_linkedin_enrichments l"
	"           WHERE l.campaign_id = $1 AND l.linkedin_url IS NOT NULL),"
	"       coverage_percentage ="
	"         (SELECT CASE WHEN pg_catalog.count(*) = 0 THEN 0"
	"                 ELSE pg_catalog.round(100.0 * pg_catalog.count(*) FILTER (WHERE v.scraped)"
	"                                       / pg_catalog.count(*), 2) END"
	"            FROM experiments.gmaps_campaign_coverage v WHERE v.campaign_id = $1),"
	"       updated_at = pg_catalog.now()"
	"  FROM (SELECT pg_catalog.count(*) AS total,"
	"               pg_catalog.count(b.email) AS emails,"
	"               pg_catalog.count(*) FILTER (WHERE b.email_verified) AS verified"
	"          FROM experiments.gmaps_businesses b WHERE b.campaign_id = $1) AS s"
	" WHERE c.id = $1"
	" RETURNING c.total_businesses_found, c.total_emails_found,"
	"           c.total_facebook_pages_found, c.total_linkedin_profiles_found,"
	"           c.total_verified_emails, c.coverage_percentage",
	1, {UUIDOID}
};

static void
statistics_body(FunctionCallInfo fcinfo, JbBuilder *b)
{
	static const char *const keys[] = {
		"total_businesses", "total_emails", "total_facebook_pages",
		"total_linkedin_profiles", "total_verified_emails"
	};
	Datum		args[1];
	bool		isnull;
	int			i;

	arg_not_null(fcinfo, 0, "p_campaign_id");
	args[0] = PG_GETARG_DATUM(0);
	if (stmt_run(&lock_campaign, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign not found"),
				 errdetail("No campaign has id %s.", uuid_cstring(args[0]))));
	(void) stmt_run(&recompute, NULL, args, NULL, false, 0, SPI_OK_UPDATE_RETURNING);
	for (i = 0; i < 5; i++)
		jbb_key_int64(b, keys[i],
					  DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, i + 1, &isnull)));
	jbb_key_numeric(b, "coverage_percentage",
					DatumGetNumeric(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 6, &isnull)));
}

PG_FUNCTION_INFO_V1(experiments_update_campaign_statistics);

/*
 * experiments_update_campaign_statistics(p_campaign_id) -> {success,
 * total_businesses, total_emails, total_facebook_pages,
 * total_linkedin_profiles, total_verified_emails, coverage_percentage}
 */
Datum
experiments_update_campaign_statistics(PG_FUNCTION_ARGS)
{
	return campaigns_envelope(fcinfo, statistics_body);
}
