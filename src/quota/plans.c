/*-------------------------------------------------------------------------
 *
 * plans.c
 *	  upsert_plan(): the administrator's way to change or add plans.
 *
 * A plan is keyed by its code.  Changing a plan's limits takes effect for
 * every subscriber at their next quota check: limits are read from the plan
 * each time, never copied into the subscription.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/stmt.h"
#include "quota/plans.h"
#include "quota/quota.h"

static const StmtDef upsert_plan = {
	"quota.upsert_plan",
	"INSERT INTO experiments.plans AS p"
	"       (code, name, description, plan_type, plan_cost, plan_discount,"
	"        monthly_minutes, monthly_usage_limit)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	" ON CONFLICT (code) DO UPDATE"
	"   SET name = EXCLUDED.name, description = EXCLUDED.description,"
	"       plan_type = EXCLUDED.plan_type, plan_cost = EXCLUDED.plan_cost,"
	"       plan_discount = EXCLUDED.plan_discount,"
	"       monthly_minutes = EXCLUDED.monthly_minutes,"
	"       monthly_usage_limit = EXCLUDED.monthly_usage_limit"
	" RETURNING p.id",
	8, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID}
};

void
quota_check_plan_code(const char *code, const char *name)
{
	const char *p;

	if (*code == '\0' || strlen(code) > QUOTA_MAX_PLAN_CODE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have 1 to %d characters", name, QUOTA_MAX_PLAN_CODE)));
	for (p = code; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s \"%s\"", name, code),
					 errhint("Plan codes are made of upper-case letters A-Z, digits and \"_\", like \"PREMIUM\".")));
}

PG_FUNCTION_INFO_V1(experiments_upsert_plan);

/*
 * experiments_upsert_plan(in_code, in_name, in_monthly_minutes,
 * in_monthly_usage_limit, in_description, in_plan_type, in_plan_cost,
 * in_plan_discount) inserts the plan or updates the one with that code, and
 * returns its id.
 */
Datum
experiments_upsert_plan(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *code = arg_cstring(fcinfo, 0, "in_code");
	char	   *name;
	char	   *plan_type;
	Datum		args[8];
	char		nulls[8];
	bool		isnull;
	Datum		id;

	quota_check_plan_code(code, "in_code");
	name = arg_text_bounded(fcinfo, 1, "in_name", QUOTA_MAX_NAME);
	args[6] = Int32GetDatum(arg_int32_in(fcinfo, 2, "in_monthly_minutes",
										 1, QUOTA_MAX_MONTHLY_MINUTES));
	args[7] = Int32GetDatum(arg_int32_in(fcinfo, 3, "in_monthly_usage_limit",
										 1, PG_INT32_MAX));
	plan_type = arg_text_bounded(fcinfo, 5, "in_plan_type", 32);
	args[4] = Int32GetDatum(arg_int32_in(fcinfo, 6, "in_plan_cost", 0, PG_INT32_MAX));
	args[5] = Int32GetDatum(arg_int32_in(fcinfo, 7, "in_plan_discount", 0, 100));

	memset(nulls, ' ', sizeof(nulls));
	args[0] = CStringGetTextDatum(code);
	args[1] = CStringGetTextDatum(name);
	arg_datum_or_null(fcinfo, 4, &args[2], &nulls[2]);
	args[3] = CStringGetTextDatum(plan_type);

	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&upsert_plan, NULL, args, nulls, false, 0, SPI_OK_INSERT_RETURNING);
	id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	/* a uuid is passed by reference: copy it out of SPI's memory */
	id = SPI_datumTransfer(id, false, 16);
	api_spi_end(&guard);

	PG_RETURN_DATUM(id);
}
