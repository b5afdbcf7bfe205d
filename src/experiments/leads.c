/*-------------------------------------------------------------------------
 *
 * leads.c
 *	  The landing page's leads queue (seed 003): capture_lead, claim_leads,
 *	  set_lead_status.
 *
 * Capture is idempotent by e-mail address, compared lower-cased: a second
 * capture of the same address returns the first lead unchanged.  Workers
 * claim leads of one status, oldest first, with FOR UPDATE SKIP LOCKED: a
 * claim holds its rows until the claiming transaction ends, so a worker
 * claims and calls set_lead_status() in one transaction, and two workers
 * never get the same lead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_read.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "experiments/experiments.h"

static const char *const lead_statuses[] =
{"waitlist", "invited", "active", "churned", "unsubscribed", NULL};

static const StmtDef insert_lead = {
	"experiments.leads.insert",
	"INSERT INTO experiments.leads (email, source, variant, attributes)"
	" VALUES ($1, $2, $3, $4)"
	" ON CONFLICT (email) DO NOTHING RETURNING id",
	4, {TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

static const StmtDef find_lead = {
	"experiments.leads.find",
	"SELECT id FROM experiments.leads WHERE email = $1",
	1, {TEXTOID}
};

static const StmtDef claim = {
	"experiments.leads.claim",
	"SELECT * FROM experiments.leads WHERE status = $1"
	" ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
	2, {TEXTOID, INT4OID}
};

/* $1 id, $2 status: (changed) or no row for an unknown lead. */
static const StmtDef change_status = {
	"experiments.leads.status",
	"WITH old AS (SELECT id, status FROM experiments.leads WHERE id = $1 FOR UPDATE),"
	" u AS ("
	"  UPDATE experiments.leads l"
	"     SET status = $2, updated_at = pg_catalog.now(),"
	"         converted_at = CASE WHEN $2 = 'active' AND l.converted_at IS NULL"
	"                             THEN pg_catalog.now() ELSE l.converted_at END"
	"    FROM old WHERE l.id = old.id AND old.status <> $2"
	"  RETURNING l.id)"
	" SELECT EXISTS (SELECT 1 FROM u) FROM old",
	2, {INT8OID, TEXTOID}
};

/* A plausible address: local@domain.tld, no blanks, no empty labels. */
static bool
email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	const char *p;
	const char *dot;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return false;
	for (p = s; *p; p++)
		if ((unsigned char) *p <= ' ')
			return false;
	dot = strrchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0')
		return false;
	if (strstr(at + 1, "..") != NULL || at[1] == '.')
		return false;
	return true;
}

PG_FUNCTION_INFO_V1(experiments_capture_lead);

/* capture_lead(p_email, p_source, p_variant, p_attributes) -> (lead_id, is_new). */
Datum
experiments_capture_lead(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *email;
	char	   *source;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Datum		values[2];
	bool		rnulls[2] = {false, false};
	bool		isnull;
	Jsonb	   *attributes;

	email = arg_text_bounded(fcinfo, 0, "p_email", EXP_MAX_TEXT);
	{
		/* surrounding blanks are dropped; the address is compared lower-cased */
		char	   *end = email + strlen(email);

		while (*email == ' ' || *email == '\t' || *email == '\n' || *email == '\r')
			email++;
		while (end > email && (end[-1] == ' ' || end[-1] == '\t' ||
							   end[-1] == '\n' || end[-1] == '\r'))
			end--;
		email = str_tolower(email, end - email, DEFAULT_COLLATION_OID);
	}
	if (!email_ok(email))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_email \"%s\" is not a valid email address", email),
				 errhint("An address looks like \"name@example.com\".")));
	source = arg_text_bounded(fcinfo, 1, "p_source", EXP_MAX_TEXT);
	if (!PG_ARGISNULL(2) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(2)) > EXP_MAX_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_variant is longer than %d bytes", EXP_MAX_TEXT)));
	if (PG_ARGISNULL(3))
		attributes = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	else
	{
		attributes = PG_GETARG_JSONB_P(3);
		(void) jbr_object(attributes, "p_attributes");
	}

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = CStringGetTextDatum(email);
	args[1] = CStringGetTextDatum(source);
	arg_datum_or_null(fcinfo, 2, &args[2], &nulls[2]);
	args[3] = JsonbPGetDatum(attributes);
	if (stmt_run(&insert_lead, NULL, args, nulls, false, 0, SPI_OK_INSERT_RETURNING) > 0)
		values[1] = BoolGetDatum(true);
	else
	{
		/* captured before (perhaps just now, by a concurrent call) */
		if (stmt_run(&find_lead, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("lead \"%s\" was removed while it was being captured", email),
					 errhint("Try again.")));
		values[1] = BoolGetDatum(false);
	}
	values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	srf_put(fcinfo, values, rnulls);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_claim_leads);

/* claim_leads(p_status, p_limit) -> SETOF leads, locked until the transaction ends. */
Datum
experiments_claim_leads(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *status;
	Datum		args[2];

	status = arg_cstring(fcinfo, 0, "p_status");
	arg_one_of(status, "p_status", lead_statuses);
	args[1] = Int32GetDatum(arg_int32_in(fcinfo, 1, "p_limit", 1, 10000));
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = CStringGetTextDatum(status);
	(void) stmt_run(&claim, NULL, args, NULL, false, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_set_lead_status);

/*
 * set_lead_status(p_lead_id, p_status) -> boolean: true when the status
 * changed, false when the lead already had it; P0002 for an unknown lead.
 */
Datum
experiments_set_lead_status(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *status;
	Datum		args[2];
	bool		isnull;
	bool		changed;

	arg_not_null(fcinfo, 0, "p_lead_id");
	status = arg_cstring(fcinfo, 1, "p_status");
	arg_one_of(status, "p_status", lead_statuses);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(status);
	if (stmt_run(&change_status, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("lead " INT64_FORMAT " not found", PG_GETARG_INT64(0))));
	changed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										 1, &isnull));
	api_spi_end(&guard);
	PG_RETURN_BOOL(changed);
}
