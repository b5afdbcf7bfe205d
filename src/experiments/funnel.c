/*-------------------------------------------------------------------------
 *
 * funnel.c
 *	  get_funnel_metrics: how many users of each variant reached each step
 *	  of a funnel, counted per step or as an ordered funnel.
 *
 * Both modes read the experiment's events of the funnel's types once,
 * grouped by user (by_user.h), through stmt_stream: no row is copied, and
 * the sort may run in parallel workers.
 *
 *	per step: a user counts at step k of variant v once if any of the
 *	  user's events of v has step k's type (what count(DISTINCT user_id)
 *	  per variant and type gives, without its sort per group);
 *	ordered: a user is at step k once steps 1..k have been seen in that
 *	  order (the events of each user come in time order, id breaking ties;
 *	  each event that is the user's next step moves the user on: the
 *	  earliest completion), in the variant of the user's first such event.
 *
 * Events without a variant of the experiment count nowhere.  Each row of
 * the result gives the step's users and their percentage of step 1's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "common/stream.h"
#include "experiments/analytics.h"
#include "experiments/by_user.h"

static const StmtDef funnel_variants_stmt = {
	"analytics.funnel_variants",
	"SELECT v.id, v.key FROM experiments.variants v"
	" WHERE v.experiment_id = $1 ORDER BY v.is_control DESC, v.id",
	1, {INT8OID}
};

/* Columns of both: 1 variant id, 2 user id, 3 event type. */
static const StmtDef funnel_events_stmt = {
	"analytics.funnel_events",
	"SELECT e.variant_id, e.user_id, e.event_type"
	"  FROM experiments.events e"
	" WHERE e.experiment_id = $1 AND e.event_type = ANY ($2)"
	" ORDER BY " BY_USER_ORDER,
	2, {INT8OID, TEXTARRAYOID}
};

static const StmtDef funnel_events_timed_stmt = {
	"analytics.funnel_events_timed",
	"SELECT e.variant_id, e.user_id, e.event_type"
	"  FROM experiments.events e"
	" WHERE e.experiment_id = $1 AND e.event_type = ANY ($2)"
	" ORDER BY " BY_USER_ORDER ", e.created_at, e.id",
	2, {INT8OID, TEXTARRAYOID}
};

typedef struct Funnel
{
	int			nvar;
	int64	   *var_ids;		/* in result order */
	char	  **var_keys;
	int			last_var;		/* the index found last (a user's rows repeat it) */
	int			nsteps;
	char	  **steps;
	size_t		steplen[AN_MAX_STEPS];
	int64	   *reached;		/* [variant * nsteps + step] */
	uint64	   *stamp;			/* per step: the last user counted there */
	UserRuns	users;
	int			cur_var;		/* ordered: the current user's variant, or -1 */
	int			cur_step;		/* ordered: steps the current user completed */
} Funnel;

static int
funnel_variant(Funnel *f, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, 1, &isnull);
	int64		id;
	int			v;

	if (isnull)
		return -1;
	id = DatumGetInt64(d);
	if (f->last_var >= 0 && f->var_ids[f->last_var] == id)
		return f->last_var;
	for (v = 0; v < f->nvar; v++)
		if (f->var_ids[v] == id)
			return f->last_var = v;
	return -1;
}

static bool
funnel_is_step(Funnel *f, TupleTableSlot *slot, int k)
{
	bool		isnull;
	text	   *type = DatumGetTextPP(slot_getattr(slot, 3, &isnull));

	return VARSIZE_ANY_EXHDR(type) == f->steplen[k] &&
		memcmp(VARDATA_ANY(type), f->steps[k], f->steplen[k]) == 0;
}

static void
funnel_per_step_row(TupleTableSlot *slot, void *arg)
{
	Funnel	   *f = (Funnel *) arg;
	bool		isnull;
	int			v;
	int			k;

	(void) user_runs_next(&f->users, slot_getattr(slot, 2, &isnull));
	v = funnel_variant(f, slot);
	if (v < 0)
		return;
	for (k = 0; k < f->nsteps; k++)
		if (funnel_is_step(f, slot, k))
		{
			int			i = v * f->nsteps + k;

			if (f->stamp[i] != f->users.seq)
			{
				f->stamp[i] = f->users.seq;
				f->reached[i]++;
			}
			break;				/* the steps are distinct */
		}
}

/* The current user of the ordered funnel is done: count its steps. */
static void
funnel_ordered_flush(Funnel *f)
{
	int			k;

	if (f->cur_var >= 0)
		for (k = 0; k < f->cur_step; k++)
			f->reached[f->cur_var * f->nsteps + k]++;
}

static void
funnel_ordered_row(TupleTableSlot *slot, void *arg)
{
	Funnel	   *f = (Funnel *) arg;
	bool		isnull;

	if (user_runs_next(&f->users, slot_getattr(slot, 2, &isnull)))
	{
		funnel_ordered_flush(f);
		f->cur_var = funnel_variant(f, slot);
		f->cur_step = 0;
	}
	if (f->cur_step < f->nsteps && funnel_is_step(f, slot, f->cur_step))
		f->cur_step++;
}

/* One row per variant and step: users, and their share of step 1's. */
static void
funnel_emit(FunctionCallInfo fcinfo, Funnel *f)
{
	Datum		hundred = DirectFunctionCall3(numeric_in, CStringGetDatum("100.0"),
											  ObjectIdGetDatum(InvalidOid),
											  Int32GetDatum(-1));
	int			v,
				k;

	for (v = 0; v < f->nvar; v++)
		for (k = 0; k < f->nsteps; k++)
		{
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};
			int64		first = f->reached[v * f->nsteps];
			int64		here = f->reached[v * f->nsteps + k];

			values[0] = CStringGetTextDatum(f->var_keys[v]);
			values[1] = CStringGetTextDatum(f->steps[k]);
			values[2] = Int32GetDatum(k + 1);
			values[3] = Int64GetDatum(here);
			/* here * 100.0 / first, rounded to 2 places, as numeric */
			if (first > 0)
				values[4] =
					DirectFunctionCall2(numeric_round,
										DirectFunctionCall2(numeric_div,
															DirectFunctionCall2(numeric_mul,
																				DirectFunctionCall1(int8_numeric, Int64GetDatum(here)),
																				hundred),
															DirectFunctionCall1(int8_numeric, Int64GetDatum(first))),
										Int32GetDatum(2));
			else
				nulls[4] = true;
			srf_put(fcinfo, values, nulls);
		}
}

static void
funnel_count(FunctionCallInfo fcinfo, Datum *args, char **steps, int nsteps,
			 bool ordered)
{
	Funnel		f;
	int			v,
				k;

	memset(&f, 0, sizeof(f));
	stmt_run_opts(&funnel_variants_stmt, NULL, args, NULL, true, 0, SPI_OK_SELECT, 0);
	f.nvar = (int) SPI_processed;
	if (f.nvar == 0)
		return;					/* unknown experiment, or one without variants */
	f.var_ids = palloc(sizeof(int64) * f.nvar);
	f.var_keys = palloc(sizeof(char *) * f.nvar);
	for (v = 0; v < f.nvar; v++)
	{
		HeapTuple	tup = SPI_tuptable->vals[v];
		bool		isnull;

		f.var_ids[v] = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		f.var_keys[v] = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);
	}
	f.last_var = -1;
	f.nsteps = nsteps;
	f.steps = steps;
	for (k = 0; k < nsteps; k++)
		f.steplen[k] = strlen(steps[k]);
	f.reached = palloc0(sizeof(int64) * f.nvar * nsteps);
	f.stamp = palloc0(sizeof(uint64) * f.nvar * nsteps);
	f.cur_var = -1;
	user_runs_init(&f.users);

	if (ordered)
	{
		stmt_stream(&funnel_events_timed_stmt, NULL, args, NULL,
					CURSOR_OPT_PARALLEL_OK, funnel_ordered_row, &f);
		funnel_ordered_flush(&f);
	}
	else
		stmt_stream(&funnel_events_stmt, NULL, args, NULL,
					CURSOR_OPT_PARALLEL_OK, funnel_per_step_row, &f);
	funnel_emit(fcinfo, &f);
}

PG_FUNCTION_INFO_V1(experiments_get_funnel_metrics);
Datum
experiments_get_funnel_metrics(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[2];
	char	   *steps[AN_MAX_STEPS];
	int			nsteps;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	arg_not_null(fcinfo, 1, "p_funnel_steps");
	arg_not_null(fcinfo, 2, "p_ordered");
	nsteps = an_check_types(PG_GETARG_ARRAYTYPE_P(1), "p_funnel_steps", true, steps);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PointerGetDatum(PG_GETARG_ARRAYTYPE_P(1));

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	funnel_count(fcinfo, args, steps, nsteps, PG_GETARG_BOOL(2));
	api_spi_end(&guard);
	return (Datum) 0;
}
