/*-------------------------------------------------------------------------
 *
 * selftest_charge.c
 *	  Self-test entry point of the direct charge path (src/campaigns/charge.c).
 *
 * Like the others, never declared by the install script; the campaigns_charge
 * regression test declares it as a superuser to see which path the last
 * track_campaign_cost without an idempotency key took in this backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "campaigns/charge.h"

PG_FUNCTION_INFO_V1(experiments_selftest_charge_path);

/*
 * experiments_selftest_charge_path() -> text: 'direct', or why the last
 * charge went back to SQL.
 */
Datum
experiments_selftest_charge_path(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	PG_RETURN_TEXT_P(cstring_to_text(charge_last_fallback ? charge_last_fallback : "direct"));
}
