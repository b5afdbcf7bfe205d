/*-------------------------------------------------------------------------
 *
 * lookup.c
 *	  sp_find_user(): a user's id, account and current plan by email or
 *	  user name.
 *
 * Not in the seed, whose application read the users table directly.  Here
 * an application role has EXECUTE on the routines and no table privilege,
 * and sp_register_user (a procedure with the seed's signature) returns no
 * id, so this is how an application learns the id every other routine
 * takes.  The login matches the stored email (compared lower-cased, as it
 * is stored) or the user name exactly; an unknown login gives no row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "quota/lookup.h"
#include "quota/quota.h"

static const StmtDef find_user = {
	"quota.lookup.find_user",
	"SELECT u.id, u.email, u.user_name, u.status, p.code, s.cycle_start, s.cycle_end"
	"  FROM experiments.users u"
	"  LEFT JOIN experiments.user_subscriptions s ON s.user_id = u.id"
	"  LEFT JOIN experiments.plans p ON p.id = s.plan_id"
	" WHERE u.email = pg_catalog.lower($1) OR u.user_name = $1"
	" ORDER BY u.email = pg_catalog.lower($1) DESC"
	" LIMIT 1",
	1, {TEXTOID}
};

PG_FUNCTION_INFO_V1(experiments_sp_find_user);

/* experiments_sp_find_user(in_login) -> TABLE(...): zero or one row. */
Datum
experiments_sp_find_user(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[1];

	args[0] = CStringGetTextDatum(arg_text_bounded(fcinfo, 0, "in_login", QUOTA_MAX_NAME));
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	(void) stmt_run(&find_user, NULL, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);

	api_spi_end(&guard);
	return (Datum) 0;
}
