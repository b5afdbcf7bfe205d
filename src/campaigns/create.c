/*-------------------------------------------------------------------------
 *
 * create.c
 *	  create_campaign_with_coverage(): one campaign and all its ZIP codes.
 *
 * The campaign data and every ZIP entry are checked in C first (22023 with
 * the place and key; a ZIP as a JSON number is refused, since 02134 would
 * lose its zero).  Duplicate ZIPs collapse in C, the first entry winning
 * (as the seed's ON CONFLICT DO NOTHING), so the coverage rows go in with a
 * plain set-based INSERT ... SELECT FROM unnest(...), and the campaign row
 * with its ZIP counts already right: the whole call is one statement.
 * 10 000 ZIPs in one call is normal.
 *
 * Campaign keys: name (required), id, description, keywords[], location,
 * coverage_profile, custom_zip_codes[], status, organization_id,
 * created_by, estimated_cost.  A ZIP entry is "90210" or
 * {zip_code, keywords[], max_results, estimated_cost}.  Defaults as the
 * seed's JavaScript client: status 'draft', coverage_profile 'balanced',
 * created_by 'system', coverage keywords the campaign's, max_results 200,
 * estimated_cost 0.01; the campaign's estimated_cost defaults to the sum of
 * its ZIPs'.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#include "common/args.h"
#include "common/jsonb_read.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "campaigns/campaigns.h"

#define ZIP_MAX_CHARS 10
#define ZIP_KEY_BYTES (ZIP_MAX_CHARS * MAX_MULTIBYTE_CHAR_LEN + 1)

static const char *const profiles[] = {"aggressive", "balanced", "budget", "custom", NULL};
static const char *const statuses[] = {"draft", "running", "paused", "completed", "failed", NULL};

/*
 * $1 id, $2 name, $3 description, $4 keywords jsonb, $5 location,
 * $6 profile, $7 custom_zip_codes jsonb, $8 status, $9 organization_id,
 * $10 created_by, $11 estimated_cost, $12 zip count,
 * $13 zips, $14 keywords jsonb[], $15 max_results int4[], $16 estimated numeric[]
 */
static const StmtDef create_campaign = {
	"campaigns.create",
	"WITH c AS ("
	"  INSERT INTO experiments.gmaps_campaigns"
	"         (id, name, description, keywords, location, coverage_profile,"
	"          custom_zip_codes, status, organization_id, created_by,"
	"          estimated_cost, target_zip_count, actual_zip_count)"
	"  VALUES ($1, $2, $3,"
	"          CASE WHEN $4 IS NULL THEN '{}'::text[]"
	"               ELSE ARRAY(SELECT pg_catalog.jsonb_array_elements_text($4)) END,"
	"          $5, $6,"
	"          CASE WHEN $7 IS NULL THEN NULL::text[]"
	"               ELSE ARRAY(SELECT pg_catalog.jsonb_array_elements_text($7)) END,"
	"          $8, $9, $10,"
	"          COALESCE($11, (SELECT COALESCE(sum(COALESCE(e, 0.01)), 0)"
	"                           FROM pg_catalog.unnest($16) e)),"
	"          $12, $12)"
	"  RETURNING id, keywords)"
	" INSERT INTO experiments.gmaps_campaign_coverage"
	"        (campaign_id, zip_code, keywords, max_results, estimated_cost)"
	" SELECT c.id, z.zip,"
	"        CASE WHEN z.kw IS NULL THEN c.keywords"
	"             ELSE ARRAY(SELECT pg_catalog.jsonb_array_elements_text(z.kw)) END,"
	"        COALESCE(z.maxr, 200), COALESCE(z.est, 0.01)"
	"   FROM c, unnest($13, $14, $15, $16) AS z (zip, kw, maxr, est)",
	16, {UUIDOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID,
		UUIDOID, TEXTOID, NUMERICOID, INT4OID,
	TEXTARRAYOID, JSONBARRAYOID, INT4ARRAYOID, NUMERICARRAYOID}
};

typedef struct ZipKey
{
	char		zip[ZIP_KEY_BYTES];
} ZipKey;

static Datum
optional_text(const JbObject *obj, const char *key, int maxlen, char *null)
{
	char	   *value = campaigns_jb_varchar(obj, key, false, maxlen);

	*null = value ? ' ' : 'n';
	return value ? CStringGetTextDatum(value) : (Datum) 0;
}

static Datum
optional_choice(const JbObject *obj, const char *key, const char *const *choices,
				const char *dflt)
{
	char	   *value;

	if (!jbr_text(obj, key, false, &value))
		value = (char *) dflt;
	else
		arg_one_of(value, psprintf("%s.%s", jbr_where(obj), key), choices);
	return CStringGetTextDatum(value);
}

static Datum
optional_uuid(const JbObject *obj, const char *key, char *null)
{
	char	   *value;

	if (!jbr_text(obj, key, false, &value))
	{
		*null = 'n';
		return (Datum) 0;
	}
	*null = ' ';
	return DirectFunctionCall1(uuid_in, CStringGetDatum(value));	/* 22P02 */
}

static Datum
optional_amount(const JbObject *obj, const char *key, bool *isnull)
{
	Numeric		value;

	if (!jbr_numeric(obj, key, false, &value))
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (numeric_is_nan(value) || numeric_is_inf(value) ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(value),
										  DirectFunctionCall1(int4_numeric,
															  Int32GetDatum(0)))) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" of %s must be a non-negative number",
						key, jbr_where(obj))));
	*isnull = false;
	return NumericGetDatum(value);
}

static char *
checked_zip(const char *zip, const char *where)
{
	const char *p;

	for (p = zip; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the ZIP code must not be empty", where)));
	text_check_chars(zip, psprintf("%s: the ZIP code", where), ZIP_MAX_CHARS);
	return (char *) zip;
}

static ArrayType *
make_array(Datum *values, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	dims[0] = n;
	if (n == 0)
		return construct_empty_array(elemtype);
	return construct_md_array(values, nulls, 1, dims, lbs, elemtype, typlen, typbyval, typalign);
}

static void
create_body(FunctionCallInfo fcinfo, JbBuilder *b)
{
	JbObject	data;
	JsonbContainer *zips;
	int			nzips;
	int			i;
	int			n = 0;
	Datum		args[16];
	char		nulls[16];
	Jsonb	   *json;
	char	   *name;
	Datum	   *zip_v;
	Datum	   *kw_v;
	bool	   *kw_n;
	Datum	   *max_v;
	bool	   *max_n;
	Datum	   *est_v;
	bool	   *est_n;
	bool		isnull;
	HASHCTL		ctl;
	HTAB	   *seen;
	uint64		inserted;

	memset(nulls, ' ', sizeof(nulls));
	arg_not_null(fcinfo, 0, "p_campaign_data");
	arg_not_null(fcinfo, 1, "p_zip_codes");
	data = jbr_object(PG_GETARG_JSONB_P(0), "p_campaign_data");
	nzips = jbr_array(PG_GETARG_JSONB_P(1), "p_zip_codes", &zips);

	/* the campaign */
	if (jbr_has(&data, "id"))
		args[0] = optional_uuid(&data, "id", &nulls[0]);
	else
		args[0] = UUIDPGetDatum(uuid_random());
	name = campaigns_jb_varchar(&data, "name", true, 255);
	if (name[strspn(name, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"name\" of p_campaign_data must not be empty")));
	args[1] = CStringGetTextDatum(name);
	args[2] = optional_text(&data, "description", 1 << 20, &nulls[2]);
	if (campaigns_jb_string_array(&data, "keywords", &json))
		args[3] = JsonbPGetDatum(json);
	else
		nulls[3] = 'n';
	args[4] = optional_text(&data, "location", 255, &nulls[4]);
	args[5] = optional_choice(&data, "coverage_profile", profiles, "balanced");
	if (campaigns_jb_string_array(&data, "custom_zip_codes", &json))
		args[6] = JsonbPGetDatum(json);
	else
		nulls[6] = 'n';
	args[7] = optional_choice(&data, "status", statuses, "draft");
	args[8] = optional_uuid(&data, "organization_id", &nulls[8]);
	args[9] = optional_text(&data, "created_by", 255, &nulls[9]);
	if (nulls[9] == 'n')
	{
		args[9] = CStringGetTextDatum("system");
		nulls[9] = ' ';
	}
	args[10] = optional_amount(&data, "estimated_cost", &isnull);
	nulls[10] = isnull ? 'n' : ' ';

	/* the ZIP codes: checked, the first of each ZIP kept */
	zip_v = palloc(sizeof(Datum) * Max(nzips, 1));
	kw_v = palloc(sizeof(Datum) * Max(nzips, 1));
	kw_n = palloc(sizeof(bool) * Max(nzips, 1));
	max_v = palloc(sizeof(Datum) * Max(nzips, 1));
	max_n = palloc(sizeof(bool) * Max(nzips, 1));
	est_v = palloc(sizeof(Datum) * Max(nzips, 1));
	est_n = palloc(sizeof(bool) * Max(nzips, 1));

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = ZIP_KEY_BYTES;
	ctl.entrysize = sizeof(ZipKey);
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("campaign ZIP codes", Max(nzips, 16), &ctl,
					   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	for (i = 0; i < nzips; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(zips, i);
		char	   *zip;
		char		key[ZIP_KEY_BYTES];
		bool		found;

		kw_n[n] = true;
		max_n[n] = true;
		est_n[n] = true;
		if (v != NULL && v->type == jbvString)
			zip = checked_zip(pnstrdup(v->val.string.val, v->val.string.len),
							  psprintf("p_zip_codes[%d]", i));
		else if (v != NULL && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data))
		{
			JbObject	entry = jbr_element_object(zips, "p_zip_codes", i);
			int32		maxr;

			(void) jbr_text(&entry, "zip_code", true, &zip);
			zip = checked_zip(zip, jbr_where(&entry));
			if (campaigns_jb_string_array(&entry, "keywords", &json))
			{
				kw_v[n] = JsonbPGetDatum(json);
				kw_n[n] = false;
			}
			if (jbr_int32(&entry, "max_results", false, &maxr))
			{
				if (maxr < 1)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("key \"max_results\" of %s must be at least 1",
									jbr_where(&entry))));
				max_v[n] = Int32GetDatum(maxr);
				max_n[n] = false;
			}
			est_v[n] = optional_amount(&entry, "estimated_cost", &est_n[n]);
			if (!est_n[n])
				est_v[n] = DirectFunctionCall2(numeric_round, est_v[n], Int32GetDatum(2));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_zip_codes[%d] must be a ZIP code string or an object with \"zip_code\"",
							i)));

		memset(key, 0, sizeof(key));
		strlcpy(key, zip, sizeof(key));
		(void) hash_search(seen, key, HASH_ENTER, &found);
		if (found)
			continue;
		zip_v[n] = CStringGetTextDatum(zip);
		n++;
	}

	args[11] = Int32GetDatum(n);
	args[12] = PointerGetDatum(make_array(zip_v, NULL, n, TEXTOID));
	args[13] = PointerGetDatum(make_array(kw_v, kw_n, n, JSONBOID));
	args[14] = PointerGetDatum(make_array(max_v, max_n, n, INT4OID));
	args[15] = PointerGetDatum(make_array(est_v, est_n, n, NUMERICOID));

	inserted = stmt_run(&create_campaign, NULL, args, nulls, false, 0, SPI_OK_INSERT);
	if (inserted != (uint64) n)
		elog(ERROR, "create_campaign_with_coverage inserted " UINT64_FORMAT
			 " coverage rows, expected %d", inserted, n);

	jbb_key_text(b, "campaign_id", uuid_cstring(args[0]));
	jbb_key_int64(b, "zip_count", n);
	jbb_key_text(b, "message",
				 psprintf("Campaign created with %d ZIP code%s", n, n == 1 ? "" : "s"));
}

PG_FUNCTION_INFO_V1(experiments_create_campaign_with_coverage);

/*
 * experiments_create_campaign_with_coverage(p_campaign_data, p_zip_codes)
 * -> {success, campaign_id, zip_count, message}
 */
Datum
experiments_create_campaign_with_coverage(PG_FUNCTION_ARGS)
{
	return campaigns_envelope(fcinfo, create_body);
}
