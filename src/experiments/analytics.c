/*-------------------------------------------------------------------------
 *
 * analytics.c
 *	  The experiment analytics: get_experiment_metrics, get_daily_metrics,
 *	  get_funnel_metrics (per-step reach, or the ordered funnel), and
 *	  get_experiment_stats (seed 000); get_variant_stats and
 *	  get_conversion_timeline (seed 003); get_experiment_results, the one
 *	  call a decision needs.
 *
 * Every function reads only rows of one experiment (the shard key) and runs
 * in the caller's snapshot (STABLE).  An unknown experiment gives an empty
 * result, as the seed's SQL did.
 *
 * Statements go through the shared statement cache with
 * CURSOR_OPT_PARALLEL_OK (stmt_run_opts): these are scans of
 * millions of events, and a plain SPI_prepare plan never uses parallel
 * workers, so the same SELECT typed into psql could otherwise beat the
 * function.  The text is schema-qualified and runs under the guard (lookup
 * path pinned to pg_catalog), so operators resolve to pg_catalog.
 *
 * Events are attributed to variants by events.variant_id, which the event
 * writers copy from the user's assignment; no join to the assignments is
 * needed (the seed joined variants, assignments and events).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "experiments/analytics.h"
#include "experiments/experiments.h"
#include "experiments/stats.h"

#define AN_MAX_VARIANTS 64

/*
 * an_run: a read-only statement from the shared cache, prepared so that the
 * planner may use parallel workers (as the same query typed into psql may).
 */
static uint64
an_run(const StmtDef *st, Datum *values, const char *nulls)
{
	return stmt_run_opts(st, NULL, values, nulls, true, 0, SPI_OK_SELECT,
						 CURSOR_OPT_PARALLEL_OK);
}

/*
 * an_rows: the whole body of an analytics function that returns one
 * statement's rows as they are (arguments already checked).
 */
static Datum
an_rows(FunctionCallInfo fcinfo, const StmtDef *st, Datum *values)
{
	ApiGuard	guard;

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	an_run(st, values, NULL);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

static int64
an_int64(HeapTuple tup, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static double
an_float8(HeapTuple tup, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0.0 : DatumGetFloat8(d);
}

/* ------------------------------------------------------------------------
 * get_experiment_metrics
 * ------------------------------------------------------------------------
 */
static const StmtDef metrics_stmt = {
	"analytics.metrics",
	"SELECT v.id, v.key, v.name, v.is_control,"
	"       COALESCE(s.users, 0)::int8, COALESCE(s.events, 0)::int8,"
	"       COALESCE(s.conversions, 0)::int8,"
	"       CASE WHEN COALESCE(s.users, 0) > 0"
	"            THEN pg_catalog.round(s.conversions::numeric / s.users * 100, 4)"
	"            ELSE 0.0000 END,"
	"       pg_catalog.round(s.avg_value, 2)"
	"  FROM experiments.variants v"
	"  LEFT JOIN (SELECT e.variant_id,"
	"                    pg_catalog.count(DISTINCT e.user_id) AS users,"
	"                    pg_catalog.count(*) AS events,"
	"                    pg_catalog.count(*) FILTER (WHERE e.event_type = 'conversion')"
	"                        AS conversions,"
	"                    pg_catalog.avg(e.value) AS avg_value"
	"               FROM experiments.events e"
	"              WHERE e.experiment_id = $1"
	"                AND ($2::timestamptz IS NULL OR e.created_at >= $2)"
	"                AND ($3::timestamptz IS NULL OR e.created_at <= $3)"
	"                AND ($4::text[] IS NULL OR e.event_type = ANY ($4))"
	"              GROUP BY e.variant_id) s ON s.variant_id = v.id"
	" WHERE v.experiment_id = $1"
	" ORDER BY v.is_control DESC, v.id",
	4, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTARRAYOID}
};

/* The event types of a filter or funnel: 1..AN_MAX_STEPS valid, distinct names. */
int
an_check_types(ArrayType *arr, const char *name, bool distinct, char **out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				j;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", name)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name)));
	if (n > AN_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have at most %d elements, got %d", name, AN_MAX_STEPS, n)));
	for (i = 0; i < n; i++)
	{
		char	   *s;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL (element %d)", name, i + 1)));
		s = TextDatumGetCString(elems[i]);
		if (!exp_event_type_valid(s, strlen(s)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s element %d is not an event type: \"%s\"", name, i + 1, s),
					 errhint("Event types are 1 to 64 characters of a-z, 0-9, _ . : -")));
		if (distinct)
			for (j = 0; j < i; j++)
				if (strcmp(out[j], s) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s names step \"%s\" twice", name, s)));
		if (out)
			out[i] = s;
	}
	return n;
}

PG_FUNCTION_INFO_V1(experiments_get_experiment_metrics);
Datum
experiments_get_experiment_metrics(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	char	   *types[AN_MAX_STEPS];
	int			i;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	args[0] = PG_GETARG_DATUM(0);
	for (i = 1; i <= 3; i++)
	{
		if (PG_ARGISNULL(i))
		{
			args[i] = (Datum) 0;
			nulls[i] = 'n';
		}
		else
			args[i] = PG_GETARG_DATUM(i);
	}
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2) &&
		PG_GETARG_TIMESTAMPTZ(1) > PG_GETARG_TIMESTAMPTZ(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_start_date must not be after p_end_date"),
				 errdetail("The range is inverted: %s > %s.",
						   DatumGetCString(DirectFunctionCall1(timestamptz_out, args[1])),
						   DatumGetCString(DirectFunctionCall1(timestamptz_out, args[2])))));
	if (!PG_ARGISNULL(3))
		(void) an_check_types(PG_GETARG_ARRAYTYPE_P(3), "p_event_types", false, types);

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	an_run(&metrics_stmt, args, nulls);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * get_experiment_stats
 * ------------------------------------------------------------------------
 */
static const StmtDef exp_stats_stmt = {
	"analytics.experiment_stats",
	"SELECT a.users, a.enrolled, ev.events,"
	"       CASE WHEN a.users > 0"
	"            THEN pg_catalog.round(ev.events::numeric / a.users, 2)"
	"            ELSE 0::numeric END,"
	"       (CURRENT_DATE - ev.first_event::date)::int4,"
	"       x.status"
	"  FROM experiments.experiments x,"
	"       LATERAL (SELECT pg_catalog.count(*) AS users,"
	"                       pg_catalog.count(s.enrolled_at) AS enrolled"
	"                  FROM experiments.assignments s"
	"                 WHERE s.experiment_id = x.id) a,"
	"       LATERAL (SELECT pg_catalog.count(*) AS events,"
	"                       pg_catalog.min(e.created_at) AS first_event"
	"                  FROM experiments.events e"
	"                 WHERE e.experiment_id = x.id) ev"
	" WHERE x.id = $1",
	1, {INT8OID}
};

PG_FUNCTION_INFO_V1(experiments_get_experiment_stats);
Datum
experiments_get_experiment_stats(PG_FUNCTION_ARGS)
{
	Datum		args[1];

	arg_not_null(fcinfo, 0, "p_experiment_id");
	args[0] = PG_GETARG_DATUM(0);
	return an_rows(fcinfo, &exp_stats_stmt, args);
}

/* ------------------------------------------------------------------------
 * get_variant_stats: the maintained counters, O(variants)
 *
 * The totals of the view variant_totals (folded + striped deltas), read
 * with two index scans in the caller's snapshot (the variants of the
 * experiment by variants (experiment_id, key), then each one's stripes by
 * the key of variant_counters) instead of a statement: the call reads a few
 * rows, and a statement's executor start-up (the view's plan is a sort over
 * a nested loop of per-variant aggregates) cost more than the reads, which
 * made the function slower than the same SELECT sent by a client.
 * ------------------------------------------------------------------------
 */
typedef struct VarTotals
{
	int64		id;
	Datum		key;			/* text, copied */
	int64		allocations;
	int64		conversions;
} VarTotals;

static int
var_totals_cmp(const void *a, const void *b)
{
	int64		x = ((const VarTotals *) a)->id;
	int64		y = ((const VarTotals *) b)->id;

	return (x > y) - (x < y);
}

/* A relation or index of the extension's schema, by name. */
static Oid
an_relid(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		elog(ERROR, "experiments: relation \"%s\" is missing", name);
	return relid;
}

static AttrNumber
an_attnum(Oid relid, const char *name)
{
	AttrNumber	att = get_attnum(relid, name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "experiments: column \"%s\" of relation %u is missing", name, relid);
	return att;
}

/*
 * The relations, indexes and columns the counters are read from, looked up
 * once per backend and again whenever the extension's schema is another one
 * (the extension dropped and created again).
 */
static struct
{
	Oid			nsp;
	Oid			variants;
	Oid			variants_by_experiment;
	Oid			counters;
	Oid			counters_key;
	AttrNumber	v_id, v_exp, v_key, v_alloc, v_conv, c_var, c_alloc, c_conv;
}			an_counters_rels;

static void
an_counters_lookup(void)
{
	Oid			nsp = experiments_schema_oid();

	if (an_counters_rels.nsp == nsp)
		return;
	an_counters_rels.nsp = InvalidOid;
	an_counters_rels.variants = an_relid(nsp, "variants");
	an_counters_rels.variants_by_experiment = an_relid(nsp, "variants_experiment_id_key_key");
	an_counters_rels.counters = an_relid(nsp, "variant_counters");
	an_counters_rels.counters_key = an_relid(nsp, "variant_counters_pkey");
	an_counters_rels.v_id = an_attnum(an_counters_rels.variants, "id");
	an_counters_rels.v_exp = an_attnum(an_counters_rels.variants, "experiment_id");
	an_counters_rels.v_key = an_attnum(an_counters_rels.variants, "key");
	an_counters_rels.v_alloc = an_attnum(an_counters_rels.variants, "total_allocations");
	an_counters_rels.v_conv = an_attnum(an_counters_rels.variants, "total_conversions");
	an_counters_rels.c_var = an_attnum(an_counters_rels.counters, "variant_id");
	an_counters_rels.c_alloc = an_attnum(an_counters_rels.counters, "allocations");
	an_counters_rels.c_conv = an_attnum(an_counters_rels.counters, "conversions");
	an_counters_rels.nsp = nsp;
}

static int64
an_heap_int64(HeapTuple tup, Relation rel, AttrNumber att)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * The live totals of an experiment's variants, ordered by id; returns how
 * many (0 for an unknown experiment).  Runs under the guard.  The stripes
 * of all the variants are read by one range scan of variant_counters' key,
 * from the smallest variant id to the largest.
 */
static int
an_variant_totals(int64 experiment_id, VarTotals **out)
{
	Snapshot	snap = GetActiveSnapshot();
	Relation	vrel;
	Relation	crel;
	SysScanDesc scan;
	ScanKeyData key[2];
	HeapTuple	tup;
	VarTotals  *vars = NULL;
	int			nvar = 0;
	int			cap = 0;

	an_counters_lookup();
	vrel = table_open(an_counters_rels.variants, AccessShareLock);
	ScanKeyInit(&key[0], an_counters_rels.v_exp, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(experiment_id));
	scan = systable_beginscan(vrel, an_counters_rels.variants_by_experiment, true,
							  snap, 1, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		if (nvar == cap)
		{
			cap = cap ? cap * 2 : 8;
			vars = vars ? repalloc(vars, sizeof(VarTotals) * cap)
				: palloc(sizeof(VarTotals) * cap);
		}
		vars[nvar].id = an_heap_int64(tup, vrel, an_counters_rels.v_id);
		vars[nvar].key = PointerGetDatum(DatumGetTextPCopy(heap_getattr(tup, an_counters_rels.v_key,
																		 RelationGetDescr(vrel),
																		 &isnull)));
		vars[nvar].allocations = an_heap_int64(tup, vrel, an_counters_rels.v_alloc);
		vars[nvar].conversions = an_heap_int64(tup, vrel, an_counters_rels.v_conv);
		nvar++;
	}
	systable_endscan(scan);
	table_close(vrel, NoLock);
	if (nvar == 0)
	{
		*out = NULL;
		return 0;
	}
	if (nvar > 1)
		qsort(vars, nvar, sizeof(VarTotals), var_totals_cmp);

	crel = table_open(an_counters_rels.counters, AccessShareLock);
	ScanKeyInit(&key[0], an_counters_rels.c_var, BTGreaterEqualStrategyNumber, F_INT8GE,
				Int64GetDatum(vars[0].id));
	ScanKeyInit(&key[1], an_counters_rels.c_var, BTLessEqualStrategyNumber, F_INT8LE,
				Int64GetDatum(vars[nvar - 1].id));
	scan = systable_beginscan(crel, an_counters_rels.counters_key, true, snap, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		int64		id = an_heap_int64(tup, crel, an_counters_rels.c_var);
		int			lo = 0,
					hi = nvar - 1;

		/* the variant of this stripe, if it is one of ours */
		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (vars[mid].id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (vars[lo].id != id)
			continue;
		vars[lo].allocations += an_heap_int64(tup, crel, an_counters_rels.c_alloc);
		vars[lo].conversions += an_heap_int64(tup, crel, an_counters_rels.c_conv);
	}
	systable_endscan(scan);
	table_close(crel, NoLock);

	*out = vars;
	return nvar;
}

/*
 * round(conversions / greatest(allocations, 1), 6) as numeric, as the view
 * variant_totals computes it: in integers (rounded half away from zero)
 * for counts below 10^8, else with numeric arithmetic (whose division
 * rounds at 16 or more digits first; that changes the 6th decimal only
 * after a run of nine 9s from the 7th on, which no quotient of integers
 * below 10^8 has).
 */
static Datum
an_rate6(int64 conversions, int64 allocations)
{
	int64		den = Max(allocations, 1);

	if (conversions >= 0 && conversions < 100000000 && den < 100000000)
		return NumericGetDatum(int64_div_fast_to_numeric((conversions * 2000000 / den + 1) / 2, 6));
	return DirectFunctionCall2(numeric_round,
							   DirectFunctionCall2(numeric_div,
												   DirectFunctionCall1(int8_numeric, Int64GetDatum(conversions)),
												   DirectFunctionCall1(int8_numeric, Int64GetDatum(den))),
							   Int32GetDatum(6));
}

PG_FUNCTION_INFO_V1(experiments_get_variant_stats);
Datum
experiments_get_variant_stats(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	VarTotals  *vars;
	int			nvar;
	int			v;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	srf_begin(fcinfo);
	api_guard_enter(fcinfo, &guard);
	nvar = an_variant_totals(PG_GETARG_INT64(0), &vars);
	api_guard_leave(&guard);

	for (v = 0; v < nvar; v++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int64GetDatum(vars[v].id);
		values[1] = vars[v].key;
		values[2] = Int64GetDatum(vars[v].allocations);
		values[3] = Int64GetDatum(vars[v].conversions);
		values[4] = an_rate6(vars[v].conversions, vars[v].allocations);
		srf_put(fcinfo, values, nulls);
	}
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * get_conversion_timeline: hourly buckets of assignments, newest first
 *
 * GROUP BY date_trunc('hour', assigned_at) truncates every row in the
 * session's time zone and sorts (or hashes) them all.  Instead the hour
 * boundaries are computed here, once per hour, from the window's first to
 * its last assignment (one index probe each), and each hour is counted by
 * one range scan of assignments (experiment_id, assigned_at) INCLUDE
 * (converted_at): per row, only the index-only scan and the count.
 *
 * The boundaries are found by stepping 15 minutes from the first hour: a
 * new hour starts at a step whose truncation is the step itself.  In every
 * zone whose offsets (and DST shifts) are multiples of 15 minutes, all of
 * today's, the hours are exactly those of date_trunc('hour'); if a step
 * truncates to another instant (a local mean time of the past), the
 * function falls back to the GROUP BY statement.
 * ------------------------------------------------------------------------
 */
#define AN_TIMELINE_STEP (15 * USECS_PER_MINUTE)
/* two years of steps */
#define AN_TIMELINE_MAX_STEPS (2 * 366 * 24 * 4)

static const StmtDef timeline_stmt = {
	"analytics.timeline",
	"SELECT pg_catalog.date_trunc('hour', a.assigned_at),"
	"       pg_catalog.count(*), pg_catalog.count(a.converted_at),"
	"       pg_catalog.count(a.converted_at)::float8 / pg_catalog.count(*)::float8"
	"  FROM experiments.assignments a"
	" WHERE a.experiment_id = $1"
	"   AND a.assigned_at >= $2"
	" GROUP BY 1"
	" ORDER BY 1 DESC",
	2, {INT8OID, TIMESTAMPTZOID}
};

/* $1 experiment, $2 window start: the first and the last assignment in it */
static const StmtDef timeline_span_stmt = {
	"analytics.timeline_span",
	"SELECT pg_catalog.min(a.assigned_at), pg_catalog.max(a.assigned_at)"
	"  FROM experiments.assignments a"
	" WHERE a.experiment_id = $1 AND a.assigned_at >= $2",
	2, {INT8OID, TIMESTAMPTZOID}
};

/* $1 experiment, $2 hour labels, $3 lower and $4 upper bounds: newest first */
static const StmtDef timeline_hours_stmt = {
	"analytics.timeline_hours",
	"SELECT b.label, c.n, c.conv, c.conv::float8 / c.n::float8"
	"  FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))"
	"       WITH ORDINALITY AS b (label, lo, hi, ord),"
	"       LATERAL (SELECT pg_catalog.count(*) AS n, pg_catalog.count(a.converted_at) AS conv"
	"                  FROM experiments.assignments a"
	"                 WHERE a.experiment_id = $1"
	"                   AND a.assigned_at >= b.lo AND a.assigned_at < b.hi) c"
	" WHERE c.n > 0"
	" ORDER BY b.ord DESC",
	4, {INT8OID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID}
};

static TimestampTz
an_trunc_hour(TimestampTz t)
{
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_trunc,
												   PointerGetDatum(cstring_to_text("hour")),
												   TimestampTzGetDatum(t)));
}

static Datum
an_ts_array(TimestampTz *ts, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = TimestampTzGetDatum(ts[i]);
	return PointerGetDatum(construct_array(d, n, TIMESTAMPTZOID, sizeof(TimestampTz),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(experiments_get_conversion_timeline);
Datum
experiments_get_conversion_timeline(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[4];
	int32		hours;
	TimestampTz lower;
	TimestampTz first;
	TimestampTz last;
	TimestampTz step;
	TimestampTz *labels;
	TimestampTz *los;
	TimestampTz *his;
	int			n = 0;
	int			cap;
	bool		isnull1,
				isnull2;
	bool		exact = true;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	hours = arg_int32_in(fcinfo, 1, "p_hours", 1, 876000);
	lower = GetCurrentTransactionStartTimestamp() - (int64) hours * USECS_PER_HOUR;
	args[0] = PG_GETARG_DATUM(0);
	args[1] = TimestampTzGetDatum(lower);

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	an_run(&timeline_span_stmt, args, NULL);
	first = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull1));
	last = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull2));
	if (isnull1 || isnull2)
	{
		/* no assignment in the window */
		api_spi_end(&guard);
		return (Datum) 0;
	}

	/*
	 * The hours from the first assignment's to the last one's; a span of
	 * more than AN_TIMELINE_MAX_STEPS steps (future-dated rows) is left to
	 * the GROUP BY statement.
	 */
	cap = 64;
	labels = palloc(sizeof(TimestampTz) * cap);
	labels[n++] = an_trunc_hour(first);
	if ((last - labels[0]) / AN_TIMELINE_STEP > AN_TIMELINE_MAX_STEPS)
		exact = false;
	for (step = labels[0] + AN_TIMELINE_STEP; step <= last && exact; step += AN_TIMELINE_STEP)
	{
		TimestampTz h;

		CHECK_FOR_INTERRUPTS();
		h = an_trunc_hour(step);
		if (h == labels[n - 1])
			continue;
		if (h != step)
			exact = false;	/* an hour not starting on a 15-minute step */
		else
		{
			if (n == cap)
			{
				cap *= 2;
				labels = repalloc(labels, sizeof(TimestampTz) * cap);
			}
			labels[n++] = h;
		}
	}

	if (exact)
	{
		int			i;

		los = palloc(sizeof(TimestampTz) * n);
		his = palloc(sizeof(TimestampTz) * n);
		for (i = 0; i < n; i++)
		{
			los[i] = (i == 0) ? Max(labels[0], lower) : labels[i];
			his[i] = (i + 1 < n) ? labels[i + 1] : DT_NOEND;
		}
		args[1] = an_ts_array(labels, n);
		args[2] = an_ts_array(los, n);
		args[3] = an_ts_array(his, n);
		an_run(&timeline_hours_stmt, args, NULL);
	}
	else
		an_run(&timeline_stmt, args, NULL);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

/* ------------------------------------------------------------------------
 * get_experiment_results
 * ------------------------------------------------------------------------
 */
static const StmtDef results_variants_stmt = {
	"analytics.results_variants",
	"SELECT t.variant_id, t.variant_key, v.is_control, v.allocation_pct::float8,"
	"       t.total_allocations::int8, t.total_conversions::int8"
	"  FROM experiments.variant_totals t"
	"  JOIN experiments.variants v ON v.id = t.variant_id"
	" WHERE t.experiment_id = $1"
	" ORDER BY v.is_control DESC, v.id",
	1, {INT8OID}
};

static const StmtDef results_type_exists_stmt = {
	"analytics.results_type_exists",
	"SELECT 1 FROM experiments.events e"
	" WHERE e.experiment_id = $1 AND e.event_type = $2 LIMIT 1",
	2, {INT8OID, TEXTOID}
};

static const StmtDef results_type_stmt = {
	"analytics.results_type",
	"SELECT e.variant_id, pg_catalog.count(DISTINCT e.user_id)"
	"  FROM experiments.events e"
	" WHERE e.experiment_id = $1 AND e.event_type = $2"
	" GROUP BY 1",
	2, {INT8OID, TEXTOID}
};

static const StmtDef results_value_stmt = {
	"analytics.results_value",
	"SELECT u.variant_id, pg_catalog.sum(u.total)::float8,"
	"       pg_catalog.sum(u.total * u.total)::float8"
	"  FROM (SELECT e.variant_id, e.user_id, pg_catalog.sum(e.value) AS total"
	"          FROM experiments.events e"
	"         WHERE e.experiment_id = $1 AND e.value IS NOT NULL"
	"         GROUP BY 1, 2) u"
	" GROUP BY 1",
	1, {INT8OID}
};

typedef struct ResVariant
{
	int64		id;
	char	   *key;
	bool		is_control;
	double		weight;
	int64		users;
	int64		conversions;	/* or users with the event type */
	double		sum;			/* value metric */
	double		sumsq;
} ResVariant;

PG_FUNCTION_INFO_V1(experiments_get_experiment_results);
Datum
experiments_get_experiment_results(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[2];
	char	   *metric;
	char	   *engine;
	double		alpha;
	double		tuning;
	enum
	{
		M_CONVERSION, M_VALUE, M_EVENT
	}			mkind;
	enum
	{
		E_FREQ, E_SEQ, E_BAYES
	}			ekind;
	ResVariant *vars;
	int			nvar,
				v,
				control = 0;
	int64	   *observed;
	double	   *weights;
	double		srm = 0.0;
	bool		has_srm;
	MemoryContext caller = CurrentMemoryContext;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	metric = arg_cstring(fcinfo, 1, "p_metric");
	engine = arg_cstring(fcinfo, 2, "p_engine");
	alpha = stat_arg_alpha(fcinfo, 3);
	tuning = stat_arg_tuning(fcinfo, 4);

	if (strcmp(engine, "frequentist") == 0)
		ekind = E_FREQ;
	else if (strcmp(engine, "sequential") == 0)
		ekind = E_SEQ;
	else if (strcmp(engine, "bayesian") == 0)
		ekind = E_BAYES;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown engine \"%s\"", engine),
				 errhint("Engines are frequentist, sequential and bayesian.")));
	if (ekind == E_SEQ && tuning <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("engine \"sequential\" needs p_sequential_tuning"),
				 errhint("GrowthBook's default tuning is 5000.")));
	if (ekind != E_SEQ && tuning > 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_sequential_tuning applies only to engine \"sequential\"")));

	if (strcmp(metric, "conversion") == 0)
		mkind = M_CONVERSION;
	else if (strcmp(metric, "value") == 0)
		mkind = M_VALUE;
	else if (exp_event_type_valid(metric, strlen(metric)))
		mkind = M_EVENT;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown metric \"%s\"", metric),
				 errhint("A metric is conversion, value, or an event type recorded for the experiment.")));

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(metric);

	an_run(&results_variants_stmt, args, NULL);
	nvar = (int) SPI_processed;
	if (nvar == 0)
	{
		/* unknown experiment (or one without variants): no rows */
		api_spi_end(&guard);
		return (Datum) 0;
	}
	vars = MemoryContextAllocZero(caller, sizeof(ResVariant) * nvar);
	for (v = 0; v < nvar; v++)
	{
		HeapTuple	tup = SPI_tuptable->vals[v];
		bool		isnull;

		vars[v].id = an_int64(tup, 1);
		vars[v].key = MemoryContextStrdup(caller,
										  SPI_getvalue(tup, SPI_tuptable->tupdesc, 2));
		vars[v].is_control = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
		vars[v].weight = an_float8(tup, 4);
		vars[v].users = an_int64(tup, 5);
		vars[v].conversions = an_int64(tup, 6);
	}
	/* the control: the variant marked so (ordered first), else the first by id */

	if (mkind == M_EVENT)
	{
		uint64		i;

		if (an_run(&results_type_exists_stmt, args, NULL) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown metric \"%s\"", metric),
					 errdetail("No event of type \"%s\" was recorded for experiment " INT64_FORMAT ".",
							   metric, PG_GETARG_INT64(0)),
					 errhint("A metric is conversion, value, or an event type recorded for the experiment.")));
		an_run(&results_type_stmt, args, NULL);
		for (v = 0; v < nvar; v++)
			vars[v].conversions = 0;
		for (i = 0; i < SPI_processed; i++)
		{
			int64		id = an_int64(SPI_tuptable->vals[i], 1);

			for (v = 0; v < nvar; v++)
				if (vars[v].id == id)
					vars[v].conversions = an_int64(SPI_tuptable->vals[i], 2);
		}
	}
	else if (mkind == M_VALUE)
	{
		uint64		i;

		an_run(&results_value_stmt, args, NULL);
		for (i = 0; i < SPI_processed; i++)
		{
			int64		id = an_int64(SPI_tuptable->vals[i], 1);

			for (v = 0; v < nvar; v++)
				if (vars[v].id == id)
				{
					vars[v].sum = an_float8(SPI_tuptable->vals[i], 2);
					vars[v].sumsq = an_float8(SPI_tuptable->vals[i], 3);
				}
		}
	}

	/* SRM: assigned users against the allocation weights */
	observed = palloc(sizeof(int64) * nvar);
	weights = palloc(sizeof(double) * nvar);
	for (v = 0; v < nvar; v++)
	{
		observed[v] = vars[v].users;
		weights[v] = vars[v].weight;
	}
	has_srm = stat_srm(nvar, observed, weights, &srm);

	/* per-arm sufficient statistics */
	{
		StatArm    *arms = palloc(sizeof(StatArm) * nvar);

		for (v = 0; v < nvar; v++)
		{
			double		n = (double) vars[v].users;

			arms[v].n = n;
			if (mkind == M_VALUE)
			{
				arms[v].mean = (n > 0) ? vars[v].sum / n : 0.0;
				arms[v].var = (n > 1) ?
					Max(0.0, (vars[v].sumsq - vars[v].sum * arms[v].mean) / (n - 1.0)) : 0.0;
			}
			else
			{
				/* counters can run ahead of each other only through bad data */
				double		x = Min((double) vars[v].conversions, n);

				arms[v].mean = (n > 0) ? x / n : 0.0;
				arms[v].var = arms[v].mean * (1.0 - arms[v].mean);
			}
		}

		for (v = 0; v < nvar; v++)
		{
			Datum		values[11];
			bool		nulls[11];
			StatResult	r;
			int			c;

			memset(nulls, 0, sizeof(nulls));
			memset(&r, 0, sizeof(r));
			if (v != control)
			{
				if (ekind == E_BAYES)
					stat_bayesian(&arms[control], &arms[v], true, alpha, 0.0, 0.0, &r);
				else
					stat_frequentist(&arms[control], &arms[v], true, alpha,
									 ekind == E_SEQ ? tuning : 0.0, &r);
			}
			values[0] = CStringGetTextDatum(vars[v].key);
			values[1] = BoolGetDatum(v == control);
			values[2] = Int64GetDatum(vars[v].users);
			values[3] = Float8GetDatum(arms[v].mean);
			nulls[3] = (arms[v].n < 1.0);
			values[4] = Float8GetDatum(arms[control].mean);
			nulls[4] = (arms[control].n < 1.0);
			values[5] = Float8GetDatum(r.expected);
			nulls[5] = !r.has_expected;
			values[6] = Float8GetDatum(r.ci_low);
			values[7] = Float8GetDatum(r.ci_high);
			nulls[6] = nulls[7] = !r.has_stats;
			values[8] = Float8GetDatum(r.p_value);
			nulls[8] = !r.has_stats || ekind == E_BAYES;
			values[9] = Float8GetDatum(r.chance_to_win);
			nulls[9] = !r.has_stats || ekind != E_BAYES;
			values[10] = Float8GetDatum(srm);
			nulls[10] = !has_srm;
			for (c = 0; c < 11; c++)
				if (!nulls[c] && c >= 3 && c != 10 &&
					!isfinite(DatumGetFloat8(values[c])))
					nulls[c] = true;
			srf_put(fcinfo, values, nulls);
		}
	}
	api_spi_end(&guard);
	return (Datum) 0;
}
