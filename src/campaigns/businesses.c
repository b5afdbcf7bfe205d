/*-------------------------------------------------------------------------
 *
 * businesses.c
 *	  insert_businesses_batch(): upsert scraped businesses on place_id.
 *
 * The array is walked once in C: every entry must be an object (22023
 * otherwise); an entry without a usable place_id or name (missing, null,
 * blank) is skipped and counted; a place_id or name that is not a string,
 * or longer than its column, is 22023.  Which entries are kept goes to one
 * statement (a boolean per entry), which
 *
 *	- keeps the last entry of each place_id repeated inside the batch (the
 *	  others count as skipped; ON CONFLICT DO UPDATE may not touch a row
 *	  twice in one statement),
 *	- inserts in place_id order - every batch takes its row locks in the
 *	  same order, so concurrent batches with overlapping place_ids wait for
 *	  each other but never deadlock,
 *	- ON CONFLICT (place_id) DO UPDATE refreshes the scraped fields of an
 *	  existing business, keeping its campaign, ZIP, enrichment state and any
 *	  e-mail found before, and
 *	- counts inserted and updated rows (xmax = 0 marks a fresh insert).
 *
 * New rows get created_at = clock_timestamp(), so the enrichment readers'
 * "oldest first" follows the order rows were written, inside a batch too.
 *
 * Concurrent batches with overlapping place_ids under READ COMMITTED: the
 * second inserter of a place_id waits for the first to commit and then
 * updates its row; no unique violation, no duplicate.  place_id is unique
 * across campaigns (as the seed); a business another campaign found first
 * stays that campaign's.
 *
 * The campaign is looked up with a KEY SHARE lock (campaign first, as the
 * domain's lock order wants; KEY SHARE does not conflict with the cost
 * tracker's NO KEY UPDATE); an unknown campaign is P0002 "Campaign not
 * found", also when every entry conflicts or nothing is left to write.
 * Field values of a kept entry that do not fit their column (a "rating" of
 * "abc", a 3-letter state) fail the batch with their SQLSTATE (22P02, 22001,
 * ...), nothing written; a skipped entry's fields are never cast.  A JSON
 * null in any field, "hours" included, counts as absent: a new row gets
 * NULL, an existing row keeps what it had.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/args.h"
#include "common/jsonb_read.h"
#include "common/stmt.h"
#include "common/uuid.h"
#include "campaigns/campaigns.h"

/*
 * $1 campaign, $2 zip, $3 the businesses array, $4 which entries to keep
 * (boolean[], one per entry).  jsonb_to_recordset reads every entry's fields
 * in one pass over the array, as text (or jsonb) so that nothing is cast
 * before an entry is known to be kept; jsonb_array_elements beside it gives
 * the entry itself for raw_data.
 */
#define BUSINESS_FIELDS \
	"place_id, name, address, city, state, postal_code, country, latitude," \
	" longitude, phone, website, email, category, categories, description," \
	" rating, reviews_count, price_level, hours, facebook_url, instagram_url," \
	" twitter_url, linkedin_url"

#define EMAIL_GIVEN "COALESCE(pg_catalog.btrim(src.email), '') <> ''"

static const StmtDef upsert_businesses = {
	"campaigns.businesses.upsert",
	"WITH c AS ("
	"  SELECT id FROM experiments.gmaps_campaigns WHERE id = $1 FOR KEY SHARE),"
	" src AS ("
	"  SELECT DISTINCT ON (x.place_id) x.*"
	"    FROM ROWS FROM (pg_catalog.jsonb_to_recordset($3) AS ("
	"           place_id text, name text, address text, city text, state text,"
	"           postal_code text, country text, latitude text, longitude text,"
	"           phone text, website text, email text, category text,"
	"           categories jsonb, description text, rating text,"
	"           reviews_count text, price_level text, hours jsonb,"
	"           facebook_url text, instagram_url text, twitter_url text,"
	"           linkedin_url text),"
	"         pg_catalog.jsonb_array_elements($3))"
	"         WITH ORDINALITY AS x (" BUSINESS_FIELDS ", entry, n)"
	"   WHERE $4[x.n::int4]"
	"   ORDER BY x.place_id, x.n DESC),"
	" ins AS ("
	"  INSERT INTO experiments.gmaps_businesses AS b"
	"         (campaign_id, zip_code, place_id, name, address, city, state, postal_code,"
	"          country, latitude, longitude, phone, website, email, email_source,"
	"          needs_enrichment, enrichment_status, category, categories, description,"
	"          rating, reviews_count, price_level, hours, facebook_url, instagram_url,"
	"          twitter_url, linkedin_url, raw_data, created_at)"
	"  SELECT $1, $2, src.place_id, src.name, src.address, src.city,"
	"         src.state, src.postal_code, COALESCE(src.country, 'USA'),"
	"         (src.latitude)::numeric, (src.longitude)::numeric,"
	"         src.phone, src.website,"
	"         CASE WHEN " EMAIL_GIVEN " THEN src.email END,"
	"         CASE WHEN " EMAIL_GIVEN " THEN 'google_maps' ELSE 'not_found' END,"
	"         NOT (" EMAIL_GIVEN "),"
	"         CASE WHEN " EMAIL_GIVEN " THEN 'enriched' ELSE 'pending' END,"
	"         src.category,"
	"         CASE WHEN pg_catalog.jsonb_typeof(src.categories) = 'array'"
	"              THEN ARRAY(SELECT pg_catalog.jsonb_array_elements_text(src.categories)) END,"
	"         src.description, (src.rating)::numeric,"
	"         (src.reviews_count)::integer, src.price_level, src.hours,"
	"         src.facebook_url, src.instagram_url, src.twitter_url,"
	"         src.linkedin_url, src.entry, pg_catalog.clock_timestamp()"
	"    FROM src, c"
	"   ORDER BY src.place_id"
	"  ON CONFLICT (place_id) DO UPDATE"
	"     SET name = EXCLUDED.name,"
	"         address = COALESCE(EXCLUDED.address, b.address),"
	"         city = COALESCE(EXCLUDED.city, b.city),"
	"         state = COALESCE(EXCLUDED.state, b.state),"
	"         postal_code = COALESCE(EXCLUDED.postal_code, b.postal_code),"
	"         country = EXCLUDED.country,"
	"         latitude = COALESCE(EXCLUDED.latitude, b.latitude),"
	"         longitude = COALESCE(EXCLUDED.longitude, b.longitude),"
	"         phone = COALESCE(EXCLUDED.phone, b.phone),"
	"         website = COALESCE(EXCLUDED.website, b.website),"
	"         email = COALESCE(b.email, EXCLUDED.email),"
	"         email_source = CASE WHEN b.email IS NULL THEN EXCLUDED.email_source"
	"                             ELSE b.email_source END,"
	"         needs_enrichment = b.needs_enrichment AND b.email IS NULL"
	"                            AND EXCLUDED.email IS NULL,"
	"         enrichment_status = CASE WHEN b.enrichment_status = 'pending'"
	"                                   AND b.email IS NULL AND EXCLUDED.email IS NOT NULL"
	"                                  THEN 'enriched' ELSE b.enrichment_status END,"
	"         category = COALESCE(EXCLUDED.category, b.category),"
	"         categories = COALESCE(EXCLUDED.categories, b.categories),"
	"         description = COALESCE(EXCLUDED.description, b.description),"
	"         rating = COALESCE(EXCLUDED.rating, b.rating),"
	"         reviews_count = COALESCE(EXCLUDED.reviews_count, b.reviews_count),"
	"         price_level = COALESCE(EXCLUDED.price_level, b.price_level),"
	"         hours = COALESCE(EXCLUDED.hours, b.hours),"
	"         facebook_url = COALESCE(EXCLUDED.facebook_url, b.facebook_url),"
	"         instagram_url = COALESCE(EXCLUDED.instagram_url, b.instagram_url),"
	"         twitter_url = COALESCE(EXCLUDED.twitter_url, b.twitter_url),"
	"         linkedin_url = COALESCE(EXCLUDED.linkedin_url, b.linkedin_url),"
	"         raw_data = EXCLUDED.raw_data,"
	"         scraped_at = pg_catalog.now(),"
	"         updated_at = pg_catalog.now()"
	"  RETURNING b.xmax = 0 AS inserted)"
	" SELECT pg_catalog.count(*) FILTER (WHERE inserted),"
	"        pg_catalog.count(*) FILTER (WHERE NOT inserted),"
	"        (SELECT pg_catalog.count(*) FROM c)"
	"   FROM ins",
	4, {UUIDOID, TEXTOID, JSONBOID, BOOLARRAYOID}
};

static const StmtDef campaign_exists = {
	"campaigns.businesses.campaign_exists",
	"SELECT 1 FROM experiments.gmaps_campaigns WHERE id = $1 FOR KEY SHARE",
	1, {UUIDOID}
};

/*
 * Does entry obj have a usable value under key?  A string that is not blank:
 * true; missing, null or blank: false; another type or too long: 22023.
 */
static bool
usable_string(const JbObject *obj, const char *key, int maxlen)
{
	char	   *value;

	if (!jbr_text(obj, key, false, &value))
		return false;
	if (value[strspn(value, " \t\r\n")] == '\0')
		return false;
	text_check_chars(value, psprintf("%s.%s", jbr_where(obj), key), maxlen);
	return true;
}

static void
batch_body(FunctionCallInfo fcinfo, JbBuilder *b)
{
	char	   *zip;
	Jsonb	   *businesses;
	JsonbContainer *array;
	int			total;
	int			kept = 0;
	int			i;
	Datum	   *keep;
	Datum		args[4];
	int64		inserted = 0;
	int64		updated = 0;
	bool		isnull;
	bool		found;

	arg_not_null(fcinfo, 0, "p_campaign_id");
	zip = arg_text_bounded_chars(fcinfo, 1, "p_zip_code", 10);
	arg_not_null(fcinfo, 2, "p_businesses");
	businesses = PG_GETARG_JSONB_P(2);
	total = jbr_array(businesses, "p_businesses", &array);

	keep = palloc(sizeof(Datum) * Max(total, 1));
	for (i = 0; i < total; i++)
	{
		JbObject	entry = jbr_element_object(array, "p_businesses", i);
		bool		has_place = usable_string(&entry, "place_id", 255);
		bool		has_name = usable_string(&entry, "name", 255);

		keep[i] = BoolGetDatum(has_place && has_name);
		if (has_place && has_name)
			kept++;
	}

	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(zip);
	if (kept > 0)
	{
		args[2] = JsonbPGetDatum(businesses);
		args[3] = PointerGetDatum(construct_array(keep, total, BOOLOID, sizeof(bool),
												  true, TYPALIGN_CHAR));
		(void) stmt_run(&upsert_businesses, NULL, args, NULL, false, 0, SPI_OK_SELECT);
		inserted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1, &isnull));
		updated = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 2, &isnull));
		found = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 3, &isnull)) > 0;
	}
	else
		found = stmt_run(&campaign_exists, NULL, args, NULL, false, 0, SPI_OK_SELECT) > 0;
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign not found"),
				 errdetail("No campaign has id %s.", uuid_cstring(args[0]))));

	jbb_key_int64(b, "inserted", inserted);
	jbb_key_int64(b, "updated", updated);
	jbb_key_int64(b, "skipped", total - inserted - updated);
	jbb_key_int64(b, "total", total);
}

PG_FUNCTION_INFO_V1(experiments_insert_businesses_batch);

/*
 * experiments_insert_businesses_batch(p_campaign_id, p_zip_code, p_businesses)
 * -> {success, inserted, updated, skipped, total}
 */
Datum
experiments_insert_businesses_batch(PG_FUNCTION_ARGS)
{
	return campaigns_envelope(fcinfo, batch_body);
}
