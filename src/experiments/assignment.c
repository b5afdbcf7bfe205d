/*-------------------------------------------------------------------------
 *
 * assignment.c
 *	  get_or_create_assignment() and get_bulk_assignments(): sticky,
 *	  deterministic variant assignment.
 *
 * The hot path is a returning user: one statement reads the experiment's
 * status and the user's assignment with its variant, and nothing is locked
 * or written.  Its variant is read by scalar subqueries on the primary key,
 * so that the plan, generic after a few calls, never builds a hash table of
 * the variants for a one-row lookup.
 *
 * A first assignment reads the definition (one statement), chooses the
 * variant in C, then one statement locks the experiment FOR KEY SHARE,
 * re-checks its newest status (so a concurrent pause_experiment waits for
 * it, and one that committed first is seen), and writes the assignment, its
 * counter stripe and an outbox row.  The insert is ON CONFLICT DO NOTHING
 * on (experiment_id, user_id): of two concurrent first calls for one user,
 * the second waits for the first, inserts nothing, and then reads and
 * returns the row the first one made, so both agree.
 *
 * The counter stripe is the backend's own row of variant_counters, so
 * concurrent first assignments of one variant do not queue on one row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/probe.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "experiments/bucketing.h"
#include "experiments/experiments.h"

#define EXP_MAX_BULK 1000

/*
 * A returning user's lookup.  Columns: 1 status, 2 assignment id, 3 variant
 * id, 4 variant key, 5 variant name, 6 enrolled_at, 7 assigned_at (2..7 NULL
 * without an assignment).  The variant is a LATERAL lookup by primary key:
 * the plan, generic after a few calls, stays three small scans and never
 * builds a hash table for a one-row lookup.
 */
static const StmtDef lookup_assignment = {
	"experiments.assign.lookup",
	"SELECT e.status, a.id, a.variant_id, v.key, v.name, a.enrolled_at, a.assigned_at"
	"  FROM experiments.experiments e"
	"  LEFT JOIN experiments.assignments a"
	"         ON a.experiment_id = e.id AND a.user_id = $2"
	"  LEFT JOIN LATERAL (SELECT v.key, v.name FROM experiments.variants v"
	"                      WHERE v.id = a.variant_id) v ON true"
	" WHERE e.id = $1",
	2, {INT8OID, TEXTOID}
};

/*
 * The fast path's probes (src/common/probe.h): the experiment's status by
 * its primary key, the user's assignment by (experiment_id, user_id), the
 * variant's key and name by its primary key.
 */
static const ProbeDef probe_experiment = {
	"experiments", "experiments_pkey", 1, 1, {"status"}
};

static const ProbeDef probe_assignment = {
	"assignments", "assignments_experiment_id_user_id_key", 2,
	4, {"id", "variant_id", "enrolled_at", "assigned_at"}
};

static const ProbeDef probe_variant = {
	"variants", "variants_pkey", 1, 2, {"key", "name"}
};

static const StmtDef variant_by_key = {
	"experiments.assign.variant_by_key",
	"SELECT id FROM experiments.variants WHERE experiment_id = $1 AND key = $2",
	2, {INT8OID, TEXTOID}
};

/*
 * An experiment's definition.  Columns: 1 id, 2 status, 3 version, 4 seed,
 * 5 coverage, 6 bucketing, 7 variant ids, 8 keys, 9 names, 10 allocation
 * percentages (variants in id order, one aggregate over them).
 */
#define DEFINITION_COLUMNS \
	"SELECT e.id, e.status, e.version, e.seed, e.traffic_allocation::float8," \
	"       COALESCE(e.config OPERATOR(pg_catalog.->>) 'bucketing', 'mmh3')," \
	"       COALESCE(d.ids, '{}'), COALESCE(d.keys, '{}'), COALESCE(d.names, '{}')," \
	"       COALESCE(d.pcts, '{}')" \
	"  FROM experiments.experiments e," \
	"       LATERAL (SELECT pg_catalog.array_agg(v.id ORDER BY v.id) AS ids," \
	"                       pg_catalog.array_agg(v.key ORDER BY v.id) AS keys," \
	"                       pg_catalog.array_agg(v.name ORDER BY v.id) AS names," \
	"                       pg_catalog.array_agg(v.allocation_pct ORDER BY v.id) AS pcts" \
	"                  FROM experiments.variants v WHERE v.experiment_id = e.id) d"

static const StmtDef definition = {
	"experiments.assign.definition",
	DEFINITION_COLUMNS " WHERE e.id = $1",
	1, {INT8OID}
};

static const StmtDef lock_active_definitions = {
	"experiments.bulk.definitions",
	DEFINITION_COLUMNS
	" WHERE e.id = ANY ($1) AND e.status = 'active' ORDER BY e.id FOR KEY SHARE OF e",
	1, {INT8ARRAYOID}
};

/*
 * $1 experiment, $2 user, $3 variant, $4 source, $5 enrol, $6 slot, $7 key.
 * The experiment row is locked FOR KEY SHARE and its newest status decides
 * (a pause that committed since the lookup is seen here).  Columns: 1 status,
 * 2 assignment id, 3 enrolled_at, 4 assigned_at; no row when the experiment
 * is gone; a NULL id when it is not active or the user was assigned
 * concurrently (ON CONFLICT DO NOTHING).
 */
static const StmtDef insert_assignment = {
	"experiments.assign.insert",
	"WITH e AS ("
	"  SELECT id, status, version FROM experiments.experiments"
	"   WHERE id = $1 FOR KEY SHARE),"
	" ins AS ("
	"  INSERT INTO experiments.assignments"
	"    (experiment_id, user_id, variant_id, version, source, enrolled_at)"
	"  SELECT e.id, $2, $3, e.version, $4, CASE WHEN $5 THEN pg_catalog.now() END"
	"    FROM e WHERE e.status = 'active'"
	"  ON CONFLICT (experiment_id, user_id) DO NOTHING"
	"  RETURNING id, enrolled_at, assigned_at),"
	" cnt AS ("
	"  INSERT INTO experiments.variant_counters AS c (variant_id, slot, allocations)"
	"  SELECT $3, $6, 1 FROM ins"
	"  ON CONFLICT (variant_id, slot) DO UPDATE SET allocations = c.allocations + 1),"
	" o AS ("
	"  INSERT INTO experiments.outbox_events"
	"    (aggregate_type, aggregate_id, event_type, payload)"
	"  SELECT 'assignment', ins.id::text, 'assignment_created',"
	"         pg_catalog.jsonb_build_object('assignment_id', ins.id, 'experiment_id', $1,"
	"                                       'user_id', $2, 'variant_key', $7,"
	"                                       'enrolled', $5)"
	"    FROM ins)"
	" SELECT e.status, ins.id, ins.enrolled_at, ins.assigned_at FROM e LEFT JOIN ins ON true",
	7, {INT8OID, TEXTOID, INT8OID, TEXTOID, BOOLOID, INT2OID, TEXTOID}
};

/* $1 assignment, $2 experiment, $3 user, $4 variant key. */
static const StmtDef enrol_assignment = {
	"experiments.assign.enrol",
	"WITH u AS ("
	"  UPDATE experiments.assignments SET enrolled_at = pg_catalog.now()"
	"   WHERE id = $1 AND enrolled_at IS NULL"
	"  RETURNING id, enrolled_at),"
	" o AS ("
	"  INSERT INTO experiments.outbox_events"
	"    (aggregate_type, aggregate_id, event_type, payload)"
	"  SELECT 'assignment', u.id::text, 'assignment_enrolled',"
	"         pg_catalog.jsonb_build_object('assignment_id', u.id, 'experiment_id', $2,"
	"                                       'user_id', $3, 'variant_key', $4)"
	"    FROM u)"
	" SELECT enrolled_at FROM u",
	4, {INT8OID, INT8OID, TEXTOID, TEXTOID}
};

static const StmtDef reread_enrolled = {
	"experiments.assign.reread_enrolled",
	"SELECT enrolled_at FROM experiments.assignments WHERE id = $1",
	1, {INT8OID}
};

/* Columns as get_bulk_assignments' result. */
/*
 * The user's existing assignments among the bulk call's experiments, by
 * probes under one snapshot: per experiment, the assignment by
 * (experiment_id, user_id), then its variant's key and name.  Row i gets
 * the result columns 1-7 (experiment_id, user_id, variant_id, variant_key,
 * variant_name, enrolled_at, created_at); found[i] says whether it exists.
 * Returns how many are missing.
 */
typedef struct BulkRow
{
	bool		found;
	Datum		values[7];
	bool		nulls[7];
} BulkRow;

static int
bulk_read_existing(const int64 *ids, int n, Datum user_id, BulkRow *rows)
{
	ProbeSnapshot ps;
	int			missing = 0;
	int			i;

	probe_snapshot_begin(&ps);
	for (i = 0; i < n; i++)
	{
		Datum		keys[2];
		Datum		a[4];
		bool		anulls[4];
		Datum		v[2];
		bool		vnulls[2];

		if (rows[i].found)
			continue;
		keys[0] = Int64GetDatum(ids[i]);
		keys[1] = user_id;
		if (!probe_fetch(&probe_assignment, NULL, &ps, keys, a, anulls))
		{
			missing++;
			continue;
		}
		keys[0] = a[1];
		if (!probe_fetch(&probe_variant, NULL, &ps, keys, v, vnulls))
			elog(ERROR, "variant " INT64_FORMAT " of an assignment not found",
				 DatumGetInt64(a[1]));
		rows[i].found = true;
		rows[i].values[0] = Int64GetDatum(ids[i]);
		rows[i].values[1] = user_id;
		rows[i].values[2] = a[1];
		rows[i].values[3] = v[0];
		rows[i].values[4] = v[1];
		rows[i].values[5] = a[2];
		rows[i].values[6] = a[3];
		memset(rows[i].nulls, false, sizeof(rows[i].nulls));
		rows[i].nulls[4] = vnulls[1];
		rows[i].nulls[5] = anulls[2];
	}
	probe_snapshot_end(&ps);
	return missing;
}

/* $1 experiments, $2 user, $3 variants, $4 versions, $5 keys, $6 slot. */
static const StmtDef bulk_insert = {
	"experiments.bulk.insert",
	"WITH t AS ("
	"  SELECT * FROM unnest($1::int8[], $3::int8[], $4::int4[], $5::text[])"
	"         AS t (experiment_id, variant_id, version, variant_key)),"
	" ins AS ("
	"  INSERT INTO experiments.assignments"
	"    (experiment_id, user_id, variant_id, version, source)"
	"  SELECT t.experiment_id, $2, t.variant_id, t.version, 'hash'"
	"    FROM t ORDER BY t.experiment_id"
	"  ON CONFLICT (experiment_id, user_id) DO NOTHING"
	"  RETURNING id, experiment_id, variant_id),"
	" cnt AS ("
	"  INSERT INTO experiments.variant_counters AS c (variant_id, slot, allocations)"
	"  SELECT ins.variant_id, $6, 1 FROM ins"
	"  ON CONFLICT (variant_id, slot) DO UPDATE SET allocations = c.allocations + 1),"
	" o AS ("
	"  INSERT INTO experiments.outbox_events"
	"    (aggregate_type, aggregate_id, event_type, payload)"
	"  SELECT 'assignment', ins.id::text, 'assignment_created',"
	"         pg_catalog.jsonb_build_object('assignment_id', ins.id,"
	"                                       'experiment_id', ins.experiment_id,"
	"                                       'user_id', $2, 'variant_key', t.variant_key,"
	"                                       'enrolled', false)"
	"    FROM ins JOIN t ON t.experiment_id = ins.experiment_id)"
	" SELECT ins.experiment_id FROM ins",
	6, {INT8ARRAYOID, TEXTOID, INT8ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, INT2OID}
};

/* One experiment's definition, read from a row of DEFINITION_COLUMNS. */
typedef struct Definition
{
	int64		id;
	char	   *status;
	int32		version;
	char	   *seed;
	double		coverage;
	BucketingMode mode;
	int			nvariants;
	Datum	   *variant_ids;
	Datum	   *keys;
	Datum	   *names;
	int32	   *pcts;
} Definition;

static Datum *
array_elems(HeapTuple tup, TupleDesc desc, int col, Oid elemtype, int *n)
{
	bool		isnull;
	ArrayType  *arr = DatumGetArrayTypeP(SPI_getbinval(tup, desc, col, &isnull));
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, NULL, n);
	return elems;
}

static void
read_definition(HeapTuple tup, TupleDesc desc, int base, Definition *d)
{
	bool		isnull;
	Datum	   *pcts;
	int			n;
	int			i;
	char	   *mode;

	d->id = DatumGetInt64(SPI_getbinval(tup, desc, base + 0, &isnull));
	d->status = TextDatumGetCString(SPI_getbinval(tup, desc, base + 1, &isnull));
	d->version = DatumGetInt32(SPI_getbinval(tup, desc, base + 2, &isnull));
	d->seed = TextDatumGetCString(SPI_getbinval(tup, desc, base + 3, &isnull));
	d->coverage = DatumGetFloat8(SPI_getbinval(tup, desc, base + 4, &isnull));
	mode = TextDatumGetCString(SPI_getbinval(tup, desc, base + 5, &isnull));
	if (!exp_bucketing_mode(mode, &d->mode))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("experiment " INT64_FORMAT " has an unknown bucketing mode \"%s\"",
						d->id, mode),
				 errhint("config->>'bucketing' must be \"mmh3\" or \"growthbook\".")));
	d->variant_ids = array_elems(tup, desc, base + 6, INT8OID, &d->nvariants);
	d->keys = array_elems(tup, desc, base + 7, TEXTOID, &n);
	d->names = array_elems(tup, desc, base + 8, TEXTOID, &n);
	pcts = array_elems(tup, desc, base + 9, INT4OID, &n);
	d->pcts = palloc(sizeof(int32) * (n + 1));
	for (i = 0; i < n; i++)
		d->pcts[i] = DatumGetInt32(pcts[i]);
}

/* The variant index for a user: forced by key, bucketed, or -1. */
static int
choose(const Definition *d, const char *user_id, const char *forced_key)
{
	int			i;

	if (forced_key != NULL)
	{
		for (i = 0; i < d->nvariants; i++)
			if (strcmp(TextDatumGetCString(d->keys[i]), forced_key) == 0)
				return i;
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("variant \"%s\" not found for experiment " INT64_FORMAT,
						forced_key, d->id)));
	}
	return exp_choose_variant(d->mode, d->id, user_id, d->seed, d->coverage,
							  d->nvariants, d->pcts);
}

static void
raise_not_active(int64 experiment_id, const char *status)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("experiment " INT64_FORMAT " is not active", experiment_id),
			 errdetail("Its status is \"%s\".", status)));
}

/*
 * The returning user's fast path: three index probes under one snapshot,
 * no SPI, no executor.  FAST_FOUND (values[0], [3..7] and rnulls[6] filled)
 * when the user has an assignment that the call only has to return;
 * FAST_NO_ASSIGNMENT when the experiment is active and the user has none
 * yet (the caller goes straight to a first assignment, whose insert
 * re-checks both under a lock); FAST_GENERAL when the general path must
 * decide (an enrolment to write).  An unknown or inactive experiment is an
 * error here, with the general path's messages.
 */
typedef enum FastResult
{
	FAST_FOUND,					/* values filled: return them */
	FAST_NO_ASSIGNMENT,			/* active, no assignment: a first one */
	FAST_GENERAL				/* anything else: the general path */
} FastResult;

static FastResult
existing_fast(int64 experiment_id, Datum user_id, bool enroll,
			  Datum *values, bool *rnulls)
{
	ProbeSnapshot ps;
	Datum		keys[2];
	Datum		out[4];
	bool		onulls[4];
	Datum		vout[2];
	bool		vnulls[2];
	char	   *status;

	probe_snapshot_begin(&ps);
	keys[0] = Int64GetDatum(experiment_id);
	if (!probe_fetch(&probe_experiment, NULL, &ps, keys, out, onulls))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("experiment " INT64_FORMAT " not found", experiment_id)));
	status = TextDatumGetCString(out[0]);
	if (strcmp(status, "active") != 0)
		raise_not_active(experiment_id, status);

	keys[1] = user_id;
	if (!probe_fetch(&probe_assignment, NULL, &ps, keys, out, onulls))
	{
		probe_snapshot_end(&ps);
		return FAST_NO_ASSIGNMENT;
	}
	if (enroll && onulls[2])
	{
		probe_snapshot_end(&ps);
		return FAST_GENERAL;
	}
	keys[0] = out[1];
	if (!probe_fetch(&probe_variant, NULL, &ps, keys, vout, vnulls))
	{
		/* cannot happen (a foreign key); let the general path decide */
		probe_snapshot_end(&ps);
		return FAST_GENERAL;
	}
	probe_snapshot_end(&ps);

	values[0] = out[0];
	values[3] = out[1];
	values[4] = vout[0];
	values[5] = vout[1];
	values[6] = out[2];
	rnulls[6] = onulls[2];
	values[7] = out[3];
	return FAST_FOUND;
}

PG_FUNCTION_INFO_V1(experiments_get_or_create_assignment);

/*
 * get_or_create_assignment(p_experiment_id, p_user_id, p_variant_key,
 * p_enroll) -> the assignment (one row), or no row for a user outside the
 * traffic allocation.
 */
Datum
experiments_get_or_create_assignment(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	int64		experiment_id;
	char	   *user_id;
	char	   *forced_key = NULL;
	bool		enroll;
	Datum		args[8];
	char		nulls[8];
	Datum		values[9];
	bool		rnulls[9];
	bool		isnull;
	bool		is_new = false;
	HeapTuple	tup;
	TupleDesc	desc;
	char	   *status;
	int			attempt;
	FastResult	fast = FAST_GENERAL;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	experiment_id = PG_GETARG_INT64(0);
	user_id = exp_user_id_arg(fcinfo, 1);
	if (!PG_ARGISNULL(2))
		forced_key = text_to_cstring(PG_GETARG_TEXT_PP(2));
	arg_not_null(fcinfo, 3, "p_enroll");
	enroll = PG_GETARG_BOOL(3);

	srf_begin(fcinfo);
	memset(nulls, ' ', sizeof(nulls));
	memset(rnulls, false, sizeof(rnulls));
	values[1] = Int64GetDatum(experiment_id);
	values[2] = CStringGetTextDatum(user_id);

	/* a returning user without a forced key: index probes only */
	if (forced_key == NULL)
	{
		api_guard_enter(fcinfo, &guard);
		fast = existing_fast(experiment_id, values[2], enroll, values, rnulls);
		if (fast == FAST_FOUND)
		{
			values[8] = BoolGetDatum(false);
			srf_put(fcinfo, values, rnulls);
			api_guard_leave(&guard);
			return (Datum) 0;
		}
		api_guard_leave(&guard);
	}

	api_spi_begin(fcinfo, &guard);

	/* at most twice: the second look follows a concurrent first assignment */
	for (attempt = 0;; attempt++)
	{
		args[0] = Int64GetDatum(experiment_id);
		args[1] = values[2];
		/* the probes just saw an active experiment and no assignment */
		if (attempt == 0 && fast == FAST_NO_ASSIGNMENT)
			goto first_assignment;
		if (stmt_run(&lookup_assignment, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("experiment " INT64_FORMAT " not found", experiment_id)));
		tup = SPI_tuptable->vals[0];
		desc = SPI_tuptable->tupdesc;
		status = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		if (strcmp(status, "active") != 0)
			raise_not_active(experiment_id, status);
		values[0] = SPI_getbinval(tup, desc, 2, &isnull);
		if (!isnull)
		{
			if (forced_key)
			{
				/* the stored variant wins, but the key must exist */
				Datum		kargs[2];
				SPITupleTable *found = SPI_tuptable;

				kargs[0] = Int64GetDatum(experiment_id);
				kargs[1] = CStringGetTextDatum(forced_key);
				if (stmt_run(&variant_by_key, NULL, kargs, NULL, false, 0, SPI_OK_SELECT) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_NO_DATA_FOUND),
							 errmsg("variant \"%s\" not found for experiment " INT64_FORMAT,
									forced_key, experiment_id)));
				tup = found->vals[0];
				desc = found->tupdesc;
			}
			/* an existing assignment: its stored variant wins */
			values[3] = SPI_getbinval(tup, desc, 3, &isnull);
			values[4] = SPI_getbinval(tup, desc, 4, &isnull);
			values[5] = SPI_getbinval(tup, desc, 5, &isnull);
			values[6] = SPI_getbinval(tup, desc, 6, &rnulls[6]);
			values[7] = SPI_getbinval(tup, desc, 7, &isnull);
			if (enroll && rnulls[6])
			{
				Datum		eargs[4];

				eargs[0] = values[0];
				eargs[1] = values[1];
				eargs[2] = values[2];
				eargs[3] = values[4];
				if (stmt_run(&enrol_assignment, NULL, eargs, NULL, false, 0,
							 SPI_OK_SELECT) > 0)
					exp_notify_outbox();
				else
					(void) stmt_run(&reread_enrolled, NULL, eargs, NULL, false, 0,
									SPI_OK_SELECT);
				values[6] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										  1, &rnulls[6]);
			}
			break;
		}
		if (attempt > 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("the assignment of user \"%s\" in experiment " INT64_FORMAT
							" was removed while it was being created",
							user_id, experiment_id),
					 errhint("Try again.")));

		/* a first assignment */
first_assignment:
		{
			Definition	d;
			int			chosen;

			if (stmt_run(&definition, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_NO_DATA_FOUND),
						 errmsg("experiment " INT64_FORMAT " not found", experiment_id)));
			read_definition(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &d);
			if (d.nvariants == 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("experiment " INT64_FORMAT " has no variants", experiment_id)));
			chosen = choose(&d, user_id, forced_key);
			if (chosen < 0)
			{
				/* outside the traffic allocation: no assignment, no row */
				api_spi_end(&guard);
				return (Datum) 0;
			}

			args[0] = Int64GetDatum(experiment_id);
			args[1] = values[2];
			args[2] = d.variant_ids[chosen];
			args[3] = CStringGetTextDatum(forced_key ? "override" : "hash");
			args[4] = BoolGetDatum(enroll);
			args[5] = Int16GetDatum(exp_counter_slot());
			args[6] = d.keys[chosen];
			memset(nulls, ' ', sizeof(nulls));
			if (stmt_run(&insert_assignment, NULL, args, nulls, false, 0,
						 SPI_OK_SELECT) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_NO_DATA_FOUND),
						 errmsg("experiment " INT64_FORMAT " not found", experiment_id)));
			tup = SPI_tuptable->vals[0];
			desc = SPI_tuptable->tupdesc;
			status = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
			if (strcmp(status, "active") != 0)
				raise_not_active(experiment_id, status);	/* paused meanwhile */
			values[0] = SPI_getbinval(tup, desc, 2, &isnull);
			if (isnull)
				continue;		/* a concurrent call made it: read that one */

			values[3] = d.variant_ids[chosen];
			values[4] = d.keys[chosen];
			values[5] = d.names[chosen];
			values[6] = SPI_getbinval(tup, desc, 3, &rnulls[6]);
			values[7] = SPI_getbinval(tup, desc, 4, &isnull);
			is_new = true;
			exp_notify_outbox();
			break;
		}
	}

	values[8] = BoolGetDatum(is_new);
	srf_put(fcinfo, values, rnulls);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_get_bulk_assignments);

/*
 * get_bulk_assignments(p_user_id, p_experiment_ids, p_create) -> one row per
 * experiment the user is assigned in, in the order of p_experiment_ids.
 * With p_create, the missing assignments of active experiments are created
 * (set-based); unknown and inactive experiments give no row.
 */
Datum
experiments_get_bulk_assignments(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	char	   *user_id;
	ArrayType  *ids_arr;
	Datum	   *ids;
	bool	   *id_nulls;
	int			nids;
	int			n;
	bool		create;
	Datum		args[6];
	int64	   *uniq;
	int			nuniq = 0;
	bool	   *is_new;
	BulkRow    *rows;
	int			i,
				j;
	uint64		k;
	int			pass;

	user_id = exp_user_id_arg(fcinfo, 0);
	arg_not_null(fcinfo, 1, "p_experiment_ids");
	ids_arr = PG_GETARG_ARRAYTYPE_P(1);
	arg_not_null(fcinfo, 2, "p_create");
	create = PG_GETARG_BOOL(2);
	if (ARR_NDIM(ids_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_experiment_ids must be a one-dimensional array")));
	deconstruct_array(ids_arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &ids, &id_nulls, &nids);
	if (nids > EXP_MAX_BULK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_experiment_ids has %d elements; at most %d are allowed",
						nids, EXP_MAX_BULK)));
	uniq = palloc(sizeof(int64) * (nids + 1));
	for (i = 0; i < nids; i++)
	{
		int64		id;

		if (id_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("p_experiment_ids must not contain nulls")));
		id = DatumGetInt64(ids[i]);
		for (j = 0; j < nuniq && uniq[j] != id; j++)
			;
		if (j == nuniq)
			uniq[nuniq++] = id;
	}
	is_new = palloc0(sizeof(bool) * (nuniq + 1));
	rows = palloc0(sizeof(BulkRow) * (nuniq + 1));

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	{
		Datum	   *d = palloc(sizeof(Datum) * (nuniq + 1));
		int			dims[1] = {nuniq};
		int			lbs[1] = {1};

		for (i = 0; i < nuniq; i++)
			d[i] = Int64GetDatum(uniq[i]);
		args[0] = PointerGetDatum(construct_md_array(d, NULL, 1, dims, lbs, INT8OID, 8,
													 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	args[1] = CStringGetTextDatum(user_id);

	for (pass = 0; pass < 2; pass++)
	{
		int			missing = bulk_read_existing(uniq, nuniq, args[1], rows);

		if (!create || missing == 0 || pass > 0)
			break;

		/* create the missing ones, for the active experiments among them */
		{
			Datum	   *mids = palloc(sizeof(Datum) * (missing + 1));
			Datum	   *e_ids = palloc(sizeof(Datum) * (missing + 1));
			Datum	   *v_ids = palloc(sizeof(Datum) * (missing + 1));
			Datum	   *vers = palloc(sizeof(Datum) * (missing + 1));
			Datum	   *keys = palloc(sizeof(Datum) * (missing + 1));
			int			dims[1];
			int			lbs[1] = {1};
			Datum		dargs[1];
			int			ncreate = 0;
			SPITupleTable *defs;
			uint64		ndefs;

			n = 0;
			for (i = 0; i < nuniq; i++)
				if (!rows[i].found)
					mids[n++] = Int64GetDatum(uniq[i]);
			dims[0] = n;
			dargs[0] = PointerGetDatum(construct_md_array(mids, NULL, 1, dims, lbs, INT8OID,
														  8, FLOAT8PASSBYVAL,
														  TYPALIGN_DOUBLE));
			ndefs = stmt_run(&lock_active_definitions, NULL, dargs, NULL, false, 0,
							 SPI_OK_SELECT);
			defs = SPI_tuptable;
			for (k = 0; k < ndefs; k++)
			{
				Definition	d;
				int			chosen;

				read_definition(defs->vals[k], defs->tupdesc, 1, &d);
				if (d.nvariants == 0)
					continue;
				chosen = choose(&d, user_id, NULL);
				if (chosen < 0)
					continue;
				e_ids[ncreate] = Int64GetDatum(d.id);
				v_ids[ncreate] = d.variant_ids[chosen];
				vers[ncreate] = Int32GetDatum(d.version);
				keys[ncreate] = d.keys[chosen];
				ncreate++;
			}
			if (ncreate == 0)
				break;

			{
				Datum		iargs[6];
				uint64		created;

				dims[0] = ncreate;
				iargs[0] = PointerGetDatum(construct_md_array(e_ids, NULL, 1, dims, lbs,
															  INT8OID, 8, FLOAT8PASSBYVAL,
															  TYPALIGN_DOUBLE));
				iargs[1] = args[1];
				iargs[2] = PointerGetDatum(construct_md_array(v_ids, NULL, 1, dims, lbs,
															  INT8OID, 8, FLOAT8PASSBYVAL,
															  TYPALIGN_DOUBLE));
				iargs[3] = PointerGetDatum(construct_md_array(vers, NULL, 1, dims, lbs,
															  INT4OID, 4, true, TYPALIGN_INT));
				iargs[4] = PointerGetDatum(construct_md_array(keys, NULL, 1, dims, lbs,
															  TEXTOID, -1, false, TYPALIGN_INT));
				iargs[5] = Int16GetDatum(exp_counter_slot());
				created = stmt_run(&bulk_insert, NULL, iargs, NULL, false, 0, SPI_OK_SELECT);
				for (k = 0; k < created; k++)
				{
					bool		isnull;
					int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k],
																 SPI_tuptable->tupdesc,
																 1, &isnull));

					for (i = 0; i < nuniq; i++)
						if (uniq[i] == id)
							is_new[i] = true;
				}
				if (created > 0)
					exp_notify_outbox();
			}
		}
	}

	for (i = 0; i < nuniq; i++)
	{
		Datum		values[8];
		bool		nulls[8];

		if (!rows[i].found)
			continue;
		memcpy(values, rows[i].values, sizeof(rows[i].values));
		memcpy(nulls, rows[i].nulls, sizeof(rows[i].nulls));
		values[7] = BoolGetDatum(is_new[i]);
		nulls[7] = false;
		srf_put(fcinfo, values, nulls);
	}

	api_spi_end(&guard);
	return (Datum) 0;
}
