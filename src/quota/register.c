/*-------------------------------------------------------------------------
 *
 * register.c
 *	  sp_register_user(): a user, its profile and its subscription, in one
 *	  statement.
 *
 * The three inserts are one INSERT ... ON CONFLICT DO NOTHING with two
 * data-modifying CTEs hanging off it, so they succeed or fail together.  A
 * concurrent registration of the same email or user name waits for the
 * other transaction (the unique index's speculative insertion) and then
 * inserts nothing; a second look tells which of the two was taken, and the
 * call fails with 23505 naming it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/stmt.h"
#include "quota/quota.h"
#include "quota/register.h"

static const StmtDef find_plan = {
	"quota.register.find_plan",
	"SELECT id FROM experiments.plans WHERE code = $1",
	1, {TEXTOID}
};

/* The subscription's cycle comes from the column defaults: this UTC month. */
static const StmtDef insert_user = {
	"quota.register.insert_user",
	"WITH u AS ("
	"  INSERT INTO experiments.users (email, user_name, password_hash)"
	"  VALUES ($1, $2, $3)"
	"  ON CONFLICT DO NOTHING"
	"  RETURNING id),"
	" p AS ("
	"  INSERT INTO experiments.user_profiles (user_id, name)"
	"  SELECT u.id, $4 FROM u),"
	" s AS ("
	"  INSERT INTO experiments.user_subscriptions (user_id, plan_id)"
	"  SELECT u.id, $5 FROM u)"
	" SELECT u.id FROM u",
	5, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, UUIDOID}
};

static const StmtDef find_conflict = {
	"quota.register.find_conflict",
	"SELECT pg_catalog.bool_or(email = $1), pg_catalog.bool_or(user_name = $2)"
	"  FROM experiments.users"
	" WHERE email = $1 OR user_name = $2",
	2, {TEXTOID, TEXTOID}
};

static bool
email_char_ok(unsigned char c)
{
	/* blanks, control characters, and characters no address may hold */
	return c > ' ' && c != 0x7f && c != '<' && c != '>' && c != '(' &&
		c != ')' && c != ',' && c != ';' && c != ':' && c != '\\' &&
		c != '"' && c != '[' && c != ']';
}

char *
quota_normalize_email(const char *email)
{
	size_t		len = strlen(email);
	const char *at = strchr(email, '@');
	const char *domain;
	const char *dot;
	const char *p;
	bool		ok = true;

	if (len > QUOTA_MAX_EMAIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("in_email is too long"),
				 errdetail("It has %zu bytes; at most %d are allowed.",
						   len, QUOTA_MAX_EMAIL)));

	for (p = email; *p && ok; p++)
		ok = email_char_ok((unsigned char) *p);
	if (ok)
		ok = at != NULL && strchr(at + 1, '@') == NULL &&
			at > email && at - email <= QUOTA_MAX_EMAIL_LOCAL;
	if (ok)
	{
		domain = at + 1;
		dot = strrchr(domain, '.');
		ok = dot != NULL && domain[0] != '.' && dot[1] != '\0' &&
			strstr(domain, "..") == NULL;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("in_email \"%s\" is not a valid email address", email),
				 errhint("An address looks like \"name@example.com\".")));

	return str_tolower(email, len, DEFAULT_COLLATION_OID);
}

PG_FUNCTION_INFO_V1(experiments_sp_register_user);

/*
 * experiments_sp_register_user(in_email, in_user_name, in_hashed_pass,
 * in_name, in_default_plan_code): PROCEDURE.  in_name may be NULL (the
 * profile's name is optional); every other argument is required.
 */
Datum
experiments_sp_register_user(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *email;
	char	   *user_name;
	char	   *hashed;
	char	   *plan_code;
	Datum		args[5];
	char		nulls[5];
	bool		isnull;
	uint64		n;

	email = quota_normalize_email(arg_text_bounded(fcinfo, 0, "in_email",
												 QUOTA_MAX_EMAIL));
	user_name = arg_text_bounded(fcinfo, 1, "in_user_name", QUOTA_MAX_USER_NAME);
	hashed = arg_text_bounded(fcinfo, 2, "in_hashed_pass", QUOTA_MAX_PASSWORD_HASH);
	if (!PG_ARGISNULL(3))
		(void) arg_text_bounded(fcinfo, 3, "in_name", QUOTA_MAX_NAME);
	plan_code = arg_cstring(fcinfo, 4, "in_default_plan_code");

	api_spi_begin(fcinfo, &guard);

	args[0] = CStringGetTextDatum(plan_code);
	if (stmt_run(&find_plan, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("default plan %s not found", plan_code)));
	args[4] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

	memset(nulls, ' ', sizeof(nulls));
	args[0] = CStringGetTextDatum(email);
	args[1] = CStringGetTextDatum(user_name);
	args[2] = CStringGetTextDatum(hashed);
	arg_datum_or_null(fcinfo, 3, &args[3], &nulls[3]);
	n = stmt_run(&insert_user, NULL, args, nulls, false, 0, SPI_OK_SELECT);

	if (n == 0)
	{
		bool		email_taken = false;
		bool		name_taken = false;

		if (stmt_run(&find_conflict, NULL, args, NULL, false, 0, SPI_OK_SELECT) > 0)
		{
			Datum		v;

			v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			email_taken = !isnull && DatumGetBool(v);
			v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
			name_taken = !isnull && DatumGetBool(v);
		}
		if (email_taken)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("email \"%s\" is already registered", email)));
		if (name_taken)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("user name \"%s\" is already taken", user_name)));
		/* the conflicting row went away again before we looked */
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("email \"%s\" or user name \"%s\" is already registered",
						email, user_name),
				 errhint("Try again.")));
	}

	api_spi_end(&guard);
	PG_RETURN_VOID();
}
