/*-------------------------------------------------------------------------
 *
 * enrichment.c
 *	  update_enrichment_batch(): store Facebook or LinkedIn enrichments.
 *
 * Each item runs in a subtransaction of its own (inside the envelope's):
 * a bad item - not an object, no business_id, a malformed uuid, an unknown
 * business (P0002) or campaign (23503), a value that does not fit its column
 * - is counted in "failed" with its index, SQLSTATE and reason in "errors",
 * and undoes nothing the other items wrote.  Per item, one statement locks
 * the business row (NO KEY UPDATE), inserts the enrichment row and updates
 * the business: lock order business, then enrichment.
 *
 * Facebook item: {business_id, campaign_id?, facebook_url, page_name,
 * page_likes, page_followers, emails[], primary_email, email_sources[],
 * phone_numbers[], addresses[], success?, error_message, raw_data}.  The
 * business gets the e-mail when it had none (email_source 'facebook'), the
 * page URL, enrichment_status 'enriched' (page found), 'no_facebook' (none)
 * or 'failed' (success false), enrichment_attempts + 1 and
 * last_enrichment_attempt; needs_enrichment turns false unless it failed.
 *
 * LinkedIn item: {business_id, campaign_id?, linkedin_url, profile_type,
 * person_name, person_title, emails_found[], emails_generated[],
 * primary_email, email_source, phone_numbers[]}.  The business gets
 * linkedin_enriched = true, the profile URL, and the e-mail when it had
 * none (email_source 'linkedin').
 *
 * campaign_id defaults to the business's campaign.  Writing an enrichment
 * ends that business's claim lease of the same type.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "common/args.h"
#include "common/jsonb_read.h"
#include "common/stmt.h"
#include "campaigns/campaigns.h"

#define TEXT_ARRAY(expr) \
	"CASE WHEN pg_catalog.jsonb_typeof(" expr ") = 'array'" \
	" THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(" expr "))" \
	" ELSE '{}'::text[] END"

/* $1 business, $2 campaign (or NULL), $3 the item */
static const StmtDef facebook_item = {
	"campaigns.enrichment.facebook",
	"WITH bz AS ("
	"  SELECT id, campaign_id FROM experiments.gmaps_businesses"
	"   WHERE id = $1 FOR NO KEY UPDATE),"
	" enr AS ("
	"  INSERT INTO experiments.gmaps_facebook_enrichments"
	"         (business_id, campaign_id, facebook_url, page_name, page_likes, page_followers,"
	"          emails, primary_email, email_sources, phone_numbers, addresses,"
	"          enrichment_source, success, error_message, raw_data)"
	"  SELECT bz.id, COALESCE($2, bz.campaign_id), NULLIF($3 ->> 'facebook_url', ''),"
	"         $3 ->> 'page_name', ($3 ->> 'page_likes')::integer,"
	"         ($3 ->> 'page_followers')::integer, " TEXT_ARRAY("$3 -> 'emails'") ","
	"         NULLIF(COALESCE($3 ->> 'primary_email', $3 -> 'emails' ->> 0), ''),"
	"         " TEXT_ARRAY("$3 -> 'email_sources'") ", " TEXT_ARRAY("$3 -> 'phone_numbers'") ","
	"         " TEXT_ARRAY("$3 -> 'addresses'") ", $3 ->> 'enrichment_source',"
	"         COALESCE(($3 -> 'success')::boolean, true), $3 ->> 'error_message',"
	"         COALESCE($3 -> 'raw_data', $3)"
	"    FROM bz"
	"  RETURNING primary_email, facebook_url, success),"
	" upd AS ("
	"  UPDATE experiments.gmaps_businesses b"
	"     SET email = COALESCE(b.email, enr.primary_email),"
	"         email_source = CASE WHEN b.email IS NULL AND enr.primary_email IS NOT NULL"
	"                             THEN 'facebook' ELSE b.email_source END,"
	"         facebook_url = COALESCE(enr.facebook_url, b.facebook_url),"
	"         enrichment_status = CASE WHEN NOT enr.success THEN 'failed'"
	"                                  WHEN enr.facebook_url IS NULL THEN 'no_facebook'"
	"                                  ELSE 'enriched' END,"
	"         needs_enrichment = NOT enr.success,"
	"         enrichment_attempts = b.enrichment_attempts + 1,"
	"         last_enrichment_attempt = pg_catalog.now(),"
	"         facebook_claimed_until = NULL,"
	"         updated_at = pg_catalog.now()"
	"    FROM enr WHERE b.id = $1"
	"  RETURNING b.id)"
	" SELECT (SELECT pg_catalog.count(*) FROM bz), (SELECT pg_catalog.count(*) FROM upd)",
	3, {UUIDOID, UUIDOID, JSONBOID}
};

static const StmtDef linkedin_item = {
	"campaigns.enrichment.linkedin",
	"WITH bz AS ("
	"  SELECT id, campaign_id FROM experiments.gmaps_businesses"
	"   WHERE id = $1 FOR NO KEY UPDATE),"
	" enr AS ("
	"  INSERT INTO experiments.gmaps_linkedin_enrichments"
	"         (business_id, campaign_id, linkedin_url, profile_type, person_name, person_title,"
	"          emails_found, emails_generated, primary_email, email_source, phone_numbers)"
	"  SELECT bz.id, COALESCE($2, bz.campaign_id), NULLIF($3 ->> 'linkedin_url', ''),"
	"         $3 ->> 'profile_type', $3 ->> 'person_name', $3 ->> 'person_title',"
	"         " TEXT_ARRAY("$3 -> 'emails_found'") ", " TEXT_ARRAY("$3 -> 'emails_generated'") ","
	"         NULLIF(COALESCE($3 ->> 'primary_email', $3 -> 'emails_found' ->> 0), ''),"
	"         $3 ->> 'email_source', " TEXT_ARRAY("$3 -> 'phone_numbers'")
	"    FROM bz"
	"  RETURNING primary_email, linkedin_url),"
	" upd AS ("
	"  UPDATE experiments.gmaps_businesses b"
	"     SET linkedin_enriched = true,"
	"         linkedin_url = COALESCE(enr.linkedin_url, b.linkedin_url),"
	"         email = COALESCE(b.email, enr.primary_email),"
	"         email_source = CASE WHEN b.email IS NULL AND enr.primary_email IS NOT NULL"
	"                             THEN 'linkedin' ELSE b.email_source END,"
	"         linkedin_claimed_until = NULL,"
	"         updated_at = pg_catalog.now()"
	"    FROM enr WHERE b.id = $1"
	"  RETURNING b.id)"
	" SELECT (SELECT pg_catalog.count(*) FROM bz), (SELECT pg_catalog.count(*) FROM upd)",
	3, {UUIDOID, UUIDOID, JSONBOID}
};

typedef struct ItemCall
{
	JsonbContainer *array;
	int			index;
	bool		facebook;
	char	   *business_id;	/* as given, for the error entry */
} ItemCall;

static void
item_body(void *arg)
{
	ItemCall   *item = (ItemCall *) arg;
	JbObject	obj = jbr_element_object(item->array, "p_enrichments", item->index);
	JsonbValue *v = getIthJsonbValueFromContainer(item->array, item->index);
	char	   *text;
	Datum		args[3];
	char		nulls[3] = {' ', 'n', ' '};
	bool		isnull;

	(void) jbr_text(&obj, "business_id", true, &item->business_id);
	args[0] = DirectFunctionCall1(uuid_in, CStringGetDatum(item->business_id));
	if (jbr_text(&obj, "campaign_id", false, &text))
	{
		args[1] = DirectFunctionCall1(uuid_in, CStringGetDatum(text));
		nulls[1] = ' ';
	}
	args[2] = JsonbPGetDatum(JsonbValueToJsonb(v));

	(void) stmt_run(item->facebook ? &facebook_item : &linkedin_item, NULL, args, nulls,
					false, 0, SPI_OK_SELECT);
	if (DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
									&isnull)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("business not found"),
				 errdetail("No business has id %s.", item->business_id)));
}

static void
enrichment_body(FunctionCallInfo fcinfo, JbBuilder *b)
{
	char	   *type;
	bool		facebook;
	JsonbContainer *array;
	int			n;
	int			i;
	int64		updated = 0;
	int64		failed = 0;
	CaughtError *errors;
	int		   *error_index;
	char	  **error_business;

	type = arg_cstring(fcinfo, 0, "p_enrichment_type");
	facebook = campaigns_enrichment_is_facebook(type, "p_enrichment_type");
	arg_not_null(fcinfo, 1, "p_enrichments");
	n = jbr_array(PG_GETARG_JSONB_P(1), "p_enrichments", &array);

	errors = palloc(sizeof(CaughtError) * Max(n, 1));
	error_index = palloc(sizeof(int) * Max(n, 1));
	error_business = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		ItemCall	item;

		item.array = array;
		item.index = i;
		item.facebook = facebook;
		item.business_id = NULL;
		if (subxact_run(item_body, &item, &errors[failed]))
			updated++;
		else
		{
			error_index[failed] = i;
			error_business[failed] = item.business_id;
			failed++;
		}
	}

	jbb_key_int64(b, "updated", updated);
	jbb_key_int64(b, "failed", failed);
	jbb_key_text(b, "enrichment_type", type);
	jbb_key(b, "errors");
	jbb_begin_array(b);
	for (i = 0; i < failed; i++)
	{
		bool		retry;
		const char *text = campaigns_error_text(&errors[i], &retry);

		jbb_begin_object(b);
		jbb_key_int64(b, "index", error_index[i]);
		jbb_key_text(b, "business_id", error_business[i]);
		jbb_key_text(b, "error", text);
		jbb_key_text(b, "error_code", errors[i].sqlstate);
		jbb_key_text(b, "error_detail", errors[i].message);
		jbb_key_bool(b, "retry_recommended", retry);
		jbb_end_object(b);
	}
	jbb_end_array(b);
}

PG_FUNCTION_INFO_V1(experiments_update_enrichment_batch);

/*
 * experiments_update_enrichment_batch(p_enrichment_type, p_enrichments)
 * -> {success, updated, failed, enrichment_type, errors: [{index,
 * business_id, error, error_code, error_detail, retry_recommended}]}
 */
Datum
experiments_update_enrichment_batch(PG_FUNCTION_ARGS)
{
	return campaigns_envelope(fcinfo, enrichment_body);
}
