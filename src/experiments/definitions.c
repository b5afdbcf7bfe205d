/*-------------------------------------------------------------------------
 *
 * definitions.c
 *	  Experiment definitions: create_experiment, get_experiment_with_variants,
 *	  list_active_experiments, and the status changes activate_experiment,
 *	  pause_experiment and complete_experiment.
 *
 * A status change locks the experiment row FOR UPDATE.  A first assignment
 * holds the row FOR KEY SHARE from the moment it reads the status until it
 * commits, so a pause waits for the assignments already being made and every
 * assignment that starts after the pause sees the new status: once
 * pause_experiment() has returned, no new assignment can commit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_read.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "experiments/bucketing.h"
#include "experiments/experiments.h"

#define EXP_MAX_VARIANTS 100

static const char *const experiment_statuses[] =
{"draft", "active", "paused", "completed", "archived", NULL};

static const StmtDef insert_experiment = {
	"experiments.create.insert",
	"WITH e AS ("
	"  INSERT INTO experiments.experiments"
	"    (key, name, description, status, seed, config, traffic_allocation,"
	"     starts_at, ends_at)"
	"  VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 1), $8, $9)"
	"  ON CONFLICT (key) DO NOTHING"
	"  RETURNING id, key, name, status, version, created_at),"
	" v AS ("
	"  INSERT INTO experiments.variants"
	"    (experiment_id, key, name, description, allocation_pct, is_control, config)"
	"  SELECT e.id, t.key, t.name, t.description, t.pct, t.ctl, t.config"
	"    FROM e, unnest($10::text[], $11::text[], $12::text[], $13::int4[],"
	"                   $14::bool[], $15::jsonb[])"
	"            WITH ORDINALITY AS t (key, name, description, pct, ctl, config, ord)"
	"   ORDER BY t.ord)"
	" SELECT id, key, name, status, version, created_at FROM e",
	15, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, NUMERICOID,
		TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	INT4ARRAYOID, BOOLARRAYOID, JSONBARRAYOID}
};

static const StmtDef experiment_with_variants = {
	"experiments.get_with_variants",
	"SELECT e.id, e.key, e.name, e.status, e.version, e.starts_at, e.ends_at,"
	"       COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
	"                    'id', v.id, 'key', v.key, 'name', v.name,"
	"                    'allocation_pct', v.allocation_pct,"
	"                    'is_control', v.is_control, 'config', v.config)"
	"                  ORDER BY v.id)"
	"                   FROM experiments.variants v WHERE v.experiment_id = e.id),"
	"                '[]'::jsonb)"
	"  FROM experiments.experiments e WHERE e.id = $1",
	1, {INT8OID}
};

static const StmtDef active_experiments = {
	"experiments.list_active",
	"SELECT e.id, e.key, e.name, e.status, e.version, e.starts_at, e.ends_at,"
	"       (SELECT pg_catalog.count(*) FROM experiments.variants v"
	"         WHERE v.experiment_id = e.id)"
	"  FROM experiments.experiments e"
	" WHERE e.status = 'active'"
	"   AND (e.starts_at IS NULL OR e.starts_at <= pg_catalog.now())"
	"   AND (e.ends_at IS NULL OR e.ends_at > pg_catalog.now())"
	" ORDER BY e.created_at DESC, e.id DESC"
	" LIMIT $1 OFFSET $2",
	2, {INT4OID, INT4OID}
};

/* Lock the experiment against new assignments (they hold FOR KEY SHARE). */
static const StmtDef lock_for_status = {
	"experiments.status.lock",
	"SELECT status, ends_at IS NOT NULL AND ends_at <= pg_catalog.now()"
	"  FROM experiments.experiments WHERE id = $1 FOR UPDATE",
	1, {INT8OID}
};

/* $1 id, $2 new status, $3 outbox event type. */
static const StmtDef change_status = {
	"experiments.status.change",
	"WITH u AS ("
	"  UPDATE experiments.experiments"
	"     SET status = $2, version = version + 1, updated_at = pg_catalog.now(),"
	"         starts_at = CASE WHEN $2 = 'active'"
	"                          THEN COALESCE(starts_at, pg_catalog.now())"
	"                          ELSE starts_at END,"
	"         ends_at = CASE WHEN $2 = 'completed'"
	"                         AND (ends_at IS NULL OR ends_at > pg_catalog.now())"
	"                         AND (starts_at IS NULL OR starts_at < pg_catalog.now())"
	"                        THEN pg_catalog.now() ELSE ends_at END"
	"   WHERE id = $1"
	"   RETURNING id, status, version),"
	" o AS ("
	"  INSERT INTO experiments.outbox_events"
	"    (aggregate_type, aggregate_id, event_type, payload)"
	"  SELECT 'experiment', u.id::text, $3,"
	"         pg_catalog.jsonb_build_object('experiment_id', u.id, 'status', u.status,"
	"                                       'version', u.version)"
	"    FROM u)"
	" SELECT version FROM u",
	3, {INT8OID, TEXTOID, TEXTOID}
};

/* A text argument that may be NULL: a datum or SPI's 'n'. */
static void
optional_text(FunctionCallInfo fcinfo, int argno, const char *name,
			  Datum *value, char *null)
{
	if (PG_ARGISNULL(argno))
	{
		*value = (Datum) 0;
		*null = 'n';
		return;
	}
	*value = PointerGetDatum(PG_GETARG_TEXT_PP(argno));
	*null = ' ';
}

static ArrayType *
text_array(Datum *elems, bool *nulls, int n)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
}

PG_FUNCTION_INFO_V1(experiments_create_experiment);

/*
 * create_experiment(p_key, p_name, p_description, p_status, p_starts_at,
 * p_ends_at, p_config, p_variants) -> one row.
 */
Datum
experiments_create_experiment(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *key;
	char	   *status;
	char	   *seed;
	Jsonb	   *config_jb;
	JbObject	config;
	Jsonb	   *variants_jb;
	JsonbContainer *variants;
	int			nvariants;
	Numeric		traffic = NULL;
	Datum		args[15];
	char		nulls[15];
	Datum	   *v_key, *v_name, *v_desc, *v_pct, *v_ctl, *v_config;
	bool	   *v_desc_null;
	bool		any_pct = false;
	int			control = -1;
	int			total = 0;
	int			i;
	int			dims[1];
	int			lbs[1] = {1};
	char	   *bucketing;
	BucketingMode mode;

	key = arg_text_bounded(fcinfo, 0, "p_key", EXP_MAX_TEXT);
	(void) arg_text_bounded(fcinfo, 1, "p_name", EXP_MAX_TEXT);
	status = arg_cstring(fcinfo, 3, "p_status");
	arg_one_of(status, "p_status", experiment_statuses);
	if (!PG_ARGISNULL(4) && !PG_ARGISNULL(5) &&
		PG_GETARG_TIMESTAMPTZ(5) <= PG_GETARG_TIMESTAMPTZ(4))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_ends_at must be later than p_starts_at")));

	/* the config: an object; the keys the routines read are checked */
	if (PG_ARGISNULL(6))
		config_jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	else
		config_jb = PG_GETARG_JSONB_P(6);
	config = jbr_object(config_jb, "p_config");
	if (jbr_text(&config, "bucketing", false, &bucketing) &&
		!exp_bucketing_mode(bucketing, &mode))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_config's bucketing must be \"mmh3\" or \"growthbook\", not \"%s\"",
						bucketing)));
	if (jbr_numeric(&config, "traffic_allocation", false, &traffic))
	{
		double		t = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														   NumericGetDatum(traffic)));

		if (!(t > 0.0 && t <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_config's traffic_allocation must be greater than 0 and at most 1")));
	}
	if (jbr_text(&config, "seed", false, &seed))
	{
		if (seed[0] == '\0' || strlen(seed) > EXP_MAX_TEXT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_config's seed must be 1 to %d bytes long", EXP_MAX_TEXT)));
	}
	else
		seed = key;

	/* the variants */
	if (PG_ARGISNULL(7))
		variants_jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("[]")));
	else
		variants_jb = PG_GETARG_JSONB_P(7);
	nvariants = jbr_array(variants_jb, "p_variants", &variants);
	if (nvariants > EXP_MAX_VARIANTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_variants has %d variants; at most %d are allowed",
						nvariants, EXP_MAX_VARIANTS)));
	v_key = palloc0(sizeof(Datum) * (nvariants + 1));
	v_name = palloc0(sizeof(Datum) * (nvariants + 1));
	v_desc = palloc0(sizeof(Datum) * (nvariants + 1));
	v_desc_null = palloc0(sizeof(bool) * (nvariants + 1));
	v_pct = palloc0(sizeof(Datum) * (nvariants + 1));
	v_ctl = palloc0(sizeof(Datum) * (nvariants + 1));
	v_config = palloc0(sizeof(Datum) * (nvariants + 1));
	{
		char	  **keys = palloc0(sizeof(char *) * (nvariants + 1));
		int32	   *pcts = palloc0(sizeof(int32) * (nvariants + 1));

		for (i = 0; i < nvariants; i++)
		{
			JbObject	v = jbr_element_object(variants, "p_variants", i);
			char	   *vkey;
			char	   *vname;
			char	   *vdesc;
			int32		pct = 0;
			bool		ctl = false;
			Jsonb	   *vconfig;
			JbObject	sub;
			int			j;

			(void) jbr_text(&v, "key", true, &vkey);
			if (vkey[0] == '\0' || strlen(vkey) > EXP_MAX_TEXT)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("key of %s must be 1 to %d bytes long",
								jbr_where(&v), EXP_MAX_TEXT)));
			for (j = 0; j < i; j++)
				if (strcmp(keys[j], vkey) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("duplicate variant key \"%s\" in p_variants", vkey),
							 errdetail("p_variants[%d] and p_variants[%d] both use it.", j, i)));
			keys[i] = vkey;
			if (!jbr_text(&v, "name", false, &vname))
				vname = vkey;
			if (strlen(vname) > EXP_MAX_TEXT)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("name of variant \"%s\" is longer than %d bytes",
								vkey, EXP_MAX_TEXT)));
			if (jbr_int32(&v, "allocation_pct", false, &pct))
			{
				any_pct = true;
				if (pct < 0 || pct > 100)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("allocation_pct of variant \"%s\" must be between 0 and 100, not %d",
									vkey, pct)));
			}
			pcts[i] = pct;
			if (jbr_bool(&v, "is_control", false, &ctl) && ctl)
			{
				if (control >= 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("variant \"%s\" is a second control", vkey),
							 errdetail("Variant \"%s\" is already the control; an experiment has at most one.",
									   keys[control])));
				control = i;
			}
			if (jbr_sub_object(&v, "config", false, &sub))
				(void) jbr_jsonb(&v, "config", true, &vconfig);
			else
				vconfig = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
			v_key[i] = CStringGetTextDatum(vkey);
			v_name[i] = CStringGetTextDatum(vname);
			if (jbr_text(&v, "description", false, &vdesc))
				v_desc[i] = CStringGetTextDatum(vdesc);
			else
				v_desc_null[i] = true;
			v_config[i] = JsonbPGetDatum(vconfig);
		}

		if (nvariants > 0 && !any_pct)
		{
			/* no weights given: an equal split, the remainder to the first */
			for (i = 0; i < nvariants; i++)
				pcts[i] = 100 / nvariants + (i < 100 % nvariants ? 1 : 0);
		}
		for (i = 0; i < nvariants; i++)
			total += pcts[i];
		if (nvariants > 0 && total != 100)
		{
			StringInfoData d;

			initStringInfo(&d);
			for (i = 0; i < nvariants; i++)
				appendStringInfo(&d, "%s%s=%d", i ? ", " : "", keys[i], pcts[i]);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("variant allocations must sum to 100, not %d", total),
					 errdetail("Allocations: %s.", d.data)));
		}
		if (nvariants > 0 && control < 0)
			control = 0;		/* the first variant is the control */
		for (i = 0; i < nvariants; i++)
		{
			v_pct[i] = Int32GetDatum(pcts[i]);
			v_ctl[i] = BoolGetDatum(i == control);
		}
	}

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	memset(nulls, ' ', sizeof(nulls));
	args[0] = CStringGetTextDatum(key);
	args[1] = PG_GETARG_DATUM(1);
	optional_text(fcinfo, 2, "p_description", &args[2], &nulls[2]);
	args[3] = CStringGetTextDatum(status);
	args[4] = CStringGetTextDatum(seed);
	args[5] = JsonbPGetDatum(config_jb);
	if (traffic)
		args[6] = NumericGetDatum(traffic);
	else
		nulls[6] = 'n';
	arg_datum_or_null(fcinfo, 4, &args[7], &nulls[7]);
	arg_datum_or_null(fcinfo, 5, &args[8], &nulls[8]);
	dims[0] = nvariants;
	args[9] = PointerGetDatum(text_array(v_key, NULL, nvariants));
	args[10] = PointerGetDatum(text_array(v_name, NULL, nvariants));
	args[11] = PointerGetDatum(text_array(v_desc, v_desc_null, nvariants));
	args[12] = PointerGetDatum(construct_md_array(v_pct, NULL, 1, dims, lbs, INT4OID,
												  4, true, TYPALIGN_INT));
	args[13] = PointerGetDatum(construct_md_array(v_ctl, NULL, 1, dims, lbs, BOOLOID,
												  1, true, TYPALIGN_CHAR));
	args[14] = PointerGetDatum(construct_md_array(v_config, NULL, 1, dims, lbs, JSONBOID,
												  -1, false, TYPALIGN_INT));

	if (stmt_run(&insert_experiment, NULL, args, nulls, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("experiment key \"%s\" already exists", key)));
	srf_put_spi_rows(fcinfo);

	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_get_experiment_with_variants);

/* get_experiment_with_variants(p_experiment_id) -> one row, or none. */
Datum
experiments_get_experiment_with_variants(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[1];

	arg_not_null(fcinfo, 0, "p_experiment_id");
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	(void) stmt_run(&experiment_with_variants, NULL, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_list_active_experiments);

/* list_active_experiments(p_limit, p_offset): active, in their window, newest first. */
Datum
experiments_list_active_experiments(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[2];

	args[0] = Int32GetDatum(arg_int32_in(fcinfo, 0, "p_limit", 0, 10000));
	args[1] = Int32GetDatum(arg_int32_in(fcinfo, 1, "p_offset", 0, PG_INT32_MAX));
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&active_experiments, NULL, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

typedef enum StatusChange
{
	CHANGE_ACTIVATE,
	CHANGE_PAUSE,
	CHANGE_COMPLETE
} StatusChange;

/*
 * The three status changes: TABLE(success, message, new_version), one row.
 * Refusals are rows with the seed's message shape, not errors.
 */
static Datum
status_change(FunctionCallInfo fcinfo, StatusChange change)
{
	ApiGuard	guard;
	Datum		args[3];
	Datum		values[3];
	bool		nulls[3] = {false, false, true};
	const char *message = NULL;
	const char *target;
	const char *event;
	const char *done;
	char	   *current;
	bool		ended;
	bool		isnull;

	switch (change)
	{
		case CHANGE_ACTIVATE:
			target = "active";
			event = "experiment_activated";
			done = "Experiment activated";
			break;
		case CHANGE_PAUSE:
			target = "paused";
			event = "experiment_paused";
			done = "Experiment paused";
			break;
		default:
			target = "completed";
			event = "experiment_completed";
			done = "Experiment completed";
			break;
	}

	arg_not_null(fcinfo, 0, "p_experiment_id");
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	args[0] = PG_GETARG_DATUM(0);
	if (stmt_run(&lock_for_status, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		message = "Experiment not found";
	else
	{
		current = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 1, &isnull));
		ended = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 2, &isnull));
		if (strcmp(current, target) == 0)
			message = psprintf("Experiment already %s", target);
		else if (change == CHANGE_ACTIVATE)
		{
			if (strcmp(current, "completed") == 0 || strcmp(current, "archived") == 0)
				message = psprintf("Experiment is %s", current);
			else if (ended)
				message = "Experiment has ended";
		}
		else if (change == CHANGE_PAUSE)
		{
			if (strcmp(current, "active") != 0)
				message = "Experiment is not active";
		}
		else if (strcmp(current, "archived") == 0)
			message = "Experiment is archived";
	}

	if (message == NULL)
	{
		args[1] = CStringGetTextDatum(target);
		args[2] = CStringGetTextDatum(event);
		(void) stmt_run(&change_status, NULL, args, NULL, false, 0, SPI_OK_SELECT);
		values[2] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		nulls[2] = false;
		exp_notify_outbox();
		message = done;
		values[0] = BoolGetDatum(true);
	}
	else
		values[0] = BoolGetDatum(false);
	values[1] = CStringGetTextDatum(message);
	srf_put(fcinfo, values, nulls);

	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_activate_experiment);
Datum
experiments_activate_experiment(PG_FUNCTION_ARGS)
{
	return status_change(fcinfo, CHANGE_ACTIVATE);
}

PG_FUNCTION_INFO_V1(experiments_pause_experiment);
Datum
experiments_pause_experiment(PG_FUNCTION_ARGS)
{
	return status_change(fcinfo, CHANGE_PAUSE);
}

PG_FUNCTION_INFO_V1(experiments_complete_experiment);
Datum
experiments_complete_experiment(PG_FUNCTION_ARGS)
{
	return status_change(fcinfo, CHANGE_COMPLETE);
}
