/*-------------------------------------------------------------------------
 *
 * verification.c
 *	  update_email_verification(): record a Bouncer check of one e-mail.
 *
 * The business row is locked first (NO KEY UPDATE; P0002 when unknown),
 * then one statement updates the Bouncer fields of the enrichment rows of
 * that business holding the address (Facebook: primary_email or emails[];
 * LinkedIn: primary_email, emails_found[] or emails_generated[]; compared
 * case-insensitively), of the business itself when its e-mail is that
 * address, and appends the log row.  Lock order: business, then
 * enrichments, as everywhere in the domain.
 *
 * verification_data: {status (required), score, is_safe, is_disposable,
 * is_role_based, is_free_email, is_gibberish, mx_records, smtp_check,
 * domain, provider, reason, suggestion, source, raw_response,
 * facebook_enrichment_id, linkedin_enrichment_id}.  The two ids, when
 * given, say which enrichment row was verified: only that row is updated,
 * and an id that does not exist is the log table's foreign key violation
 * (23503, "Referenced record not found").  email_verified becomes true for
 * status "deliverable".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#include "common/args.h"
#include "common/jsonb_read.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "campaigns/campaigns.h"

static const StmtDef lock_business = {
	"campaigns.verification.lock_business",
	"SELECT 1 FROM experiments.gmaps_businesses WHERE id = $1 FOR NO KEY UPDATE",
	1, {UUIDOID}
};

#define BOUNCER_SET \
	"email_verified = ($6 = 'deliverable'), bouncer_status = $6," \
	" bouncer_score = ($3 ->> 'score')::numeric, bouncer_reason = $3 ->> 'reason'," \
	" is_safe = ($3 -> 'is_safe')::boolean, is_disposable = ($3 -> 'is_disposable')::boolean," \
	" is_role_based = ($3 -> 'is_role_based')::boolean," \
	" is_free_email = ($3 -> 'is_free_email')::boolean, bouncer_verified_at = pg_catalog.now()"

#define HOLDS(col) \
	"EXISTS (SELECT 1 FROM pg_catalog.unnest(" col ") AS e (x)" \
	" WHERE pg_catalog.lower(e.x) = pg_catalog.lower($2))"

/* $1 business, $2 email, $3 data, $4 facebook id, $5 linkedin id, $6 status */
static const StmtDef record_verification = {
	"campaigns.verification.record",
	"WITH fb AS ("
	"  UPDATE experiments.gmaps_facebook_enrichments f"
	"     SET " BOUNCER_SET ", bouncer_raw_response = $3 -> 'raw_response'"
	"   WHERE f.business_id = $1"
	"     AND CASE WHEN $4 IS NOT NULL THEN f.id = $4"
	"              WHEN $5 IS NOT NULL THEN false"
	"              ELSE pg_catalog.lower(f.primary_email) = pg_catalog.lower($2)"
	"                   OR " HOLDS("f.emails") " END"
	"  RETURNING f.id),"
	" li AS ("
	"  UPDATE experiments.gmaps_linkedin_enrichments l"
	"     SET " BOUNCER_SET ", email_status = $6,"
	"         email_score = ($3 ->> 'score')::numeric, updated_at = pg_catalog.now()"
	"   WHERE l.business_id = $1"
	"     AND CASE WHEN $5 IS NOT NULL THEN l.id = $5"
	"              WHEN $4 IS NOT NULL THEN false"
	"              ELSE pg_catalog.lower(l.primary_email) = pg_catalog.lower($2)"
	"                   OR " HOLDS("l.emails_found") " OR " HOLDS("l.emails_generated") " END"
	"  RETURNING l.id),"
	" bz AS ("
	"  UPDATE experiments.gmaps_businesses b"
	"     SET " BOUNCER_SET ", updated_at = pg_catalog.now()"
	"   WHERE b.id = $1 AND pg_catalog.lower(b.email) = pg_catalog.lower($2)"
	"  RETURNING b.id),"
	" log AS ("
	"  INSERT INTO experiments.gmaps_email_verifications"
	"         (business_id, linkedin_enrichment_id, facebook_enrichment_id, email, source,"
	"          status, score, is_safe, is_disposable, is_role_based, is_free_email,"
	"          is_gibberish, domain, provider, mx_records, smtp_check, reason, suggestion,"
	"          raw_response)"
	"  VALUES ($1, COALESCE($5, (SELECT id FROM li LIMIT 1)),"
	"          COALESCE($4, (SELECT id FROM fb LIMIT 1)), $2, $3 ->> 'source', $6,"
	"          ($3 ->> 'score')::numeric, ($3 -> 'is_safe')::boolean,"
	"          ($3 -> 'is_disposable')::boolean, ($3 -> 'is_role_based')::boolean,"
	"          ($3 -> 'is_free_email')::boolean, ($3 -> 'is_gibberish')::boolean,"
	"          $3 ->> 'domain', $3 ->> 'provider', ($3 -> 'mx_records')::boolean,"
	"          ($3 -> 'smtp_check')::boolean, $3 ->> 'reason', $3 ->> 'suggestion',"
	"          $3 -> 'raw_response')"
	"  RETURNING id)"
	" SELECT (SELECT pg_catalog.count(*) FROM bz),"
	"        (SELECT pg_catalog.count(*) FROM fb) + (SELECT pg_catalog.count(*) FROM li),"
	"        (SELECT id FROM log)",
	6, {UUIDOID, TEXTOID, JSONBOID, UUIDOID, UUIDOID, TEXTOID}
};

static const char *const bool_keys[] = {
	"is_safe", "is_disposable", "is_role_based", "is_free_email", "is_gibberish",
	"mx_records", "smtp_check", NULL
};

static void
verification_body(FunctionCallInfo fcinfo, JbBuilder *b)
{
	char	   *email;
	JbObject	data;
	char	   *status;
	char	   *text;
	Numeric		score;
	bool		flag;
	bool		has_safe;
	bool		is_safe = false;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', 'n', 'n', ' '};
	bool		isnull;
	int			i;

	arg_not_null(fcinfo, 0, "p_business_id");
	email = arg_text_bounded_chars(fcinfo, 1, "p_email", 255);
	arg_not_null(fcinfo, 2, "p_verification_data");
	data = jbr_object(PG_GETARG_JSONB_P(2), "p_verification_data");

	status = campaigns_jb_varchar(&data, "status", true, 50);
	if (status[strspn(status, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"status\" of p_verification_data must not be empty")));
	if (jbr_numeric(&data, "score", false, &score))
	{
		Datum		s = NumericGetDatum(score);

		if (numeric_is_nan(score) || numeric_is_inf(score) ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, s,
											  DirectFunctionCall1(int4_numeric, Int32GetDatum(0)))) < 0 ||
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, s,
											  DirectFunctionCall1(int4_numeric, Int32GetDatum(100)))) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key \"score\" of p_verification_data must be between 0 and 100")));
	}
	for (i = 0; bool_keys[i] != NULL; i++)
		(void) jbr_bool(&data, bool_keys[i], false, &flag);
	has_safe = jbr_bool(&data, "is_safe", false, &is_safe);
	(void) campaigns_jb_varchar(&data, "domain", false, 255);
	(void) campaigns_jb_varchar(&data, "provider", false, 255);
	(void) campaigns_jb_varchar(&data, "source", false, 50);
	(void) jbr_text(&data, "reason", false, &text);
	(void) jbr_text(&data, "suggestion", false, &text);
	if (jbr_text(&data, "facebook_enrichment_id", false, &text))
	{
		args[3] = DirectFunctionCall1(uuid_in, CStringGetDatum(text));	/* 22P02 */
		nulls[3] = ' ';
	}
	if (jbr_text(&data, "linkedin_enrichment_id", false, &text))
	{
		args[4] = DirectFunctionCall1(uuid_in, CStringGetDatum(text));
		nulls[4] = ' ';
	}

	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(email);
	args[2] = PG_GETARG_DATUM(2);
	args[5] = CStringGetTextDatum(status);
	if (stmt_run(&lock_business, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("business not found"),
				 errdetail("No business has id %s.", uuid_cstring(args[0]))));
	(void) stmt_run(&record_verification, NULL, args, nulls, false, 0, SPI_OK_SELECT);

	jbb_key_text(b, "business_id", uuid_cstring(args[0]));
	jbb_key_text(b, "email", email);
	jbb_key_text(b, "status", status);
	if (has_safe)
		jbb_key_bool(b, "is_safe", is_safe);
	else
		jbb_key_null(b, "is_safe");
	jbb_key_bool(b, "business_updated",
				 DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull)) > 0);
	jbb_key_int64(b, "enrichments_updated",
				  DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 2, &isnull)));
}

PG_FUNCTION_INFO_V1(experiments_update_email_verification);

/*
 * experiments_update_email_verification(p_business_id, p_email,
 * p_verification_data) -> {success, business_id, email, status, is_safe,
 * business_updated, enrichments_updated}
 */
Datum
experiments_update_email_verification(PG_FUNCTION_ARGS)
{
	return campaigns_envelope(fcinfo, verification_body);
}
