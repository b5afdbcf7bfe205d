/*-------------------------------------------------------------------------
 *
 * events.c
 *	  record_event, record_batch_events, record_conversion and
 *	  fold_variant_counters (cleanup_old_events is in retention.c).
 *
 * Every event is written with its outbox row ("event_recorded") in the same
 * statement.  A batch is decoded in C once; elements that are malformed are
 * reported without running any SQL for them, and all the well-formed ones
 * are written by one set-based statement that also reports the elements
 * whose user has no assignment.  So one bad element costs nothing to the
 * others, and no subtransaction is needed.
 *
 * A conversion is assignment-level (seed 003): the first one sets
 * converted_at and the value and adds one to the variant's conversion
 * stripe; the UPDATE's "converted_at IS NULL" is re-checked on the newest
 * row version, so of two concurrent conversions of one user exactly one
 * counts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_build.h"
#include "common/jsonb_read.h"
#include "common/probe.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "experiments/experiments.h"

/*
 * record_event reads the user's assignment and its variant's key by index
 * probes (src/common/probe.h), then writes the event and its outbox row
 * with one statement of two plain inserts: no join for the executor to
 * build per call.  $1 experiment, $2 user, $3 type, $4 properties, $5
 * value, $6 assignment, $7 variant, $8 variant key.
 */
static const StmtDef insert_event = {
	"experiments.event.insert",
	"WITH ev AS ("
	"  INSERT INTO experiments.events"
	"    (experiment_id, user_id, assignment_id, variant_id, event_type, properties, value)"
	"  VALUES ($1, $2, $6, $7, $3, $4, $5)"
	"  RETURNING id, created_at),"
	" o AS ("
	"  INSERT INTO experiments.outbox_events"
	"    (aggregate_type, aggregate_id, event_type, payload)"
	"  SELECT 'event', ev.id::text, 'event_recorded',"
	"         pg_catalog.jsonb_build_object('event_id', ev.id, 'experiment_id', $1,"
	"                                       'user_id', $2, 'event_type', $3,"
	"                                       'variant_key', $8, 'properties', $4,"
	"                                       'value', $5)"
	"    FROM ev)"
	" SELECT ev.id, ev.created_at FROM ev",
	8, {INT8OID, TEXTOID, TEXTOID, JSONBOID, NUMERICOID, INT8OID, INT8OID, TEXTOID}
};

static const StmtDef experiment_exists = {
	"experiments.event.experiment_exists",
	"SELECT 1 FROM experiments.experiments WHERE id = $1",
	1, {INT8OID}
};

static const ProbeDef probe_event_assignment = {
	"assignments", "assignments_experiment_id_user_id_key", 2, 2, {"id", "variant_id"}
};

static const ProbeDef probe_event_variant = {
	"variants", "variants_pkey", 1, 1, {"key"}
};

static const ProbeDef probe_event_experiment = {
	"experiments", "experiments_pkey", 1, 1, {"id"}
};

/*
 * $1..$8: index, experiment, user, type, properties, value, session, request.
 * Writes the events of assigned users with their outbox rows; returns the
 * elements whose user has no assignment.
 */
static const StmtDef insert_batch = {
	"experiments.event.batch",
	"WITH i AS ("
	"  SELECT * FROM unnest($1::int4[], $2::int8[], $3::text[], $4::text[],"
	"                       $5::jsonb[], $6::numeric[], $7::text[], $8::text[])"
	"         AS i (idx, experiment_id, user_id, event_type, properties, value,"
	"               session_id, request_id)),"
	" j AS ("
	"  SELECT i.*, a.id AS assignment_id, a.variant_id"
	"    FROM i JOIN experiments.assignments a"
	"      ON a.experiment_id = i.experiment_id AND a.user_id = i.user_id),"
	" ev AS ("
	"  INSERT INTO experiments.events"
	"    (experiment_id, user_id, assignment_id, variant_id, event_type, properties,"
	"     value, session_id, request_id)"
	"  SELECT experiment_id, user_id, assignment_id, variant_id, event_type, properties,"
	"         value, session_id, request_id"
	"    FROM j ORDER BY idx"
	"  RETURNING id, experiment_id, user_id, variant_id, event_type, properties, value),"
	" o AS ("
	"  INSERT INTO experiments.outbox_events"
	"    (aggregate_type, aggregate_id, event_type, payload)"
	"  SELECT 'event', ev.id::text, 'event_recorded',"
	"         pg_catalog.jsonb_build_object('event_id', ev.id,"
	"                                       'experiment_id', ev.experiment_id,"
	"                                       'user_id', ev.user_id,"
	"                                       'event_type', ev.event_type,"
	"                                       'variant_key', v.key,"
	"                                       'properties', ev.properties,"
	"                                       'value', ev.value)"
	"    FROM ev JOIN experiments.variants v ON v.id = ev.variant_id"
	"   ORDER BY ev.id)"
	" SELECT i.idx, i.user_id, i.experiment_id FROM i"
	"  WHERE NOT EXISTS (SELECT 1 FROM j WHERE j.idx = i.idx)"
	"  ORDER BY i.idx",
	8, {INT4ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, JSONBARRAYOID,
	1231 /* numeric[] */ , TEXTARRAYOID, TEXTARRAYOID}
};

/* $1 experiment, $2 user, $3 value, $4 metadata, $5 slot. */
static const StmtDef convert_assignment = {
	"experiments.conversion",
	"WITH a AS ("
	"  SELECT a.id, v.key"
	"    FROM experiments.assignments a"
	"    JOIN experiments.variants v ON v.id = a.variant_id"
	"   WHERE a.experiment_id = $1 AND a.user_id = $2),"
	" u AS ("
	"  UPDATE experiments.assignments"
	"     SET converted_at = pg_catalog.now(), conversion_value = $3,"
	"         metadata = metadata OPERATOR(pg_catalog.||) $4"
	"   WHERE experiment_id = $1 AND user_id = $2 AND converted_at IS NULL"
	"  RETURNING id, variant_id, converted_at),"
	" cnt AS ("
	"  INSERT INTO experiments.variant_counters AS c (variant_id, slot, conversions)"
	"  SELECT u.variant_id, $5, 1 FROM u"
	"  ON CONFLICT (variant_id, slot) DO UPDATE SET conversions = c.conversions + 1),"
	" o AS ("
	"  INSERT INTO experiments.outbox_events"
	"    (aggregate_type, aggregate_id, event_type, payload)"
	"  SELECT 'assignment', u.id::text, 'assignment_converted',"
	"         pg_catalog.jsonb_build_object('assignment_id', u.id, 'experiment_id', $1,"
	"                                       'user_id', $2, 'variant_key', a.key,"
	"                                       'value', $3, 'metadata', $4)"
	"    FROM u, a)"
	" SELECT u.id IS NOT NULL, a.id, a.key FROM a LEFT JOIN u ON true",
	5, {INT8OID, TEXTOID, NUMERICOID, JSONBOID, INT2OID}
};

static const StmtDef fold_counters = {
	"experiments.fold_counters",
	"WITH d AS ("
	"  DELETE FROM experiments.variant_counters c"
	"   WHERE $1 IS NULL OR c.variant_id IN"
	"         (SELECT v.id FROM experiments.variants v WHERE v.experiment_id = $1)"
	"  RETURNING c.variant_id, c.allocations, c.conversions),"
	" s AS ("
	"  SELECT variant_id, pg_catalog.sum(allocations)::int8 AS a,"
	"         pg_catalog.sum(conversions)::int8 AS c"
	"    FROM d GROUP BY variant_id),"
	" u AS ("
	"  UPDATE experiments.variants v"
	"     SET total_allocations = v.total_allocations + s.a,"
	"         total_conversions = v.total_conversions + s.c,"
	"         conversion_rate = pg_catalog.round((v.total_conversions + s.c)::numeric"
	"                           / pg_catalog.int8larger(v.total_allocations + s.a, 1), 6),"
	"         updated_at = pg_catalog.now()"
	"    FROM s WHERE v.id = s.variant_id"
	"  RETURNING v.id)"
	" SELECT pg_catalog.count(*) FROM u",
	1, {INT8OID}
};

static Jsonb *
empty_object(void)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
}

/* An optional object argument: {} when NULL, 22023 when not an object. */
static Jsonb *
object_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	Jsonb	   *jb;

	if (PG_ARGISNULL(argno))
		return empty_object();
	jb = PG_GETARG_JSONB_P(argno);
	(void) jbr_object(jb, name);
	return jb;
}

static void
raise_no_assignment(const char *user_id, int64 experiment_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("no assignment found for user %s in experiment " INT64_FORMAT,
					user_id, experiment_id)));
}

PG_FUNCTION_INFO_V1(experiments_record_event);

/* record_event(p_experiment_id, p_user_id, p_event_type, p_properties, p_value). */
Datum
experiments_record_event(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	int64		experiment_id;
	char	   *user_id;
	char	   *event_type;
	Datum		args[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	ProbeSnapshot ps;
	Datum		keys[2];
	Datum		found[2];
	bool		fnulls[2];
	Datum		vkey[1];
	bool		vnull[1];

	arg_not_null(fcinfo, 0, "p_experiment_id");
	experiment_id = PG_GETARG_INT64(0);
	user_id = exp_user_id_arg(fcinfo, 1);
	event_type = arg_cstring(fcinfo, 2, "p_event_type");
	exp_check_event_type(event_type, "p_event_type");
	args[3] = JsonbPGetDatum(object_arg(fcinfo, 3, "p_properties"));

	srf_begin(fcinfo);
	api_guard_enter(fcinfo, &guard);

	/* the assignment and its variant's key, under one snapshot */
	probe_snapshot_begin(&ps);
	keys[0] = Int64GetDatum(experiment_id);
	keys[1] = PG_GETARG_DATUM(1);
	if (!probe_fetch(&probe_event_assignment, NULL, &ps, keys, found, fnulls))
	{
		if (!probe_fetch(&probe_event_experiment, NULL, &ps, keys, vkey, vnull))
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("experiment " INT64_FORMAT " not found", experiment_id)));
		raise_no_assignment(user_id, experiment_id);
	}
	keys[0] = found[1];
	if (!probe_fetch(&probe_event_variant, NULL, &ps, keys, vkey, vnull))
		elog(ERROR, "variant " INT64_FORMAT " of assignment " INT64_FORMAT " not found",
			 DatumGetInt64(found[1]), DatumGetInt64(found[0]));
	probe_snapshot_end(&ps);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = Int64GetDatum(experiment_id);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_GETARG_DATUM(2);
	arg_datum_or_null(fcinfo, 4, &args[4], &nulls[4]);
	args[5] = found[0];
	args[6] = found[1];
	args[7] = vkey[0];
	if (stmt_run(&insert_event, NULL, args, nulls, false, 0, SPI_OK_SELECT) != 1)
		elog(ERROR, "record_event wrote no event");
	{
		Datum		values[4];
		bool		rnulls[4] = {false, false, false, false};
		bool		isnull;

		values[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		values[1] = found[0];
		values[2] = vkey[0];
		values[3] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		srf_put(fcinfo, values, rnulls);
	}
	exp_notify_outbox();
	api_spi_end(&guard);
	return (Datum) 0;
}

/* One element's failure, for the errors array. */
typedef struct BatchError
{
	int			index;
	char	   *user_id;		/* NULL when absent or not a string */
	bool		has_experiment;
	int64		experiment_id;
	const char *sqlstate;
	char	   *message;
} BatchError;

/* The value of key in obj, or false when absent or JSON null. */
static bool
get_key(JsonbContainer *obj, const char *key, JsonbValue *out)
{
	if (getKeyJsonValueFromContainer(obj, key, strlen(key), out) == NULL)
		return false;
	return out->type != jbvNull;
}

static char *
jv_string(const JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static bool
jv_int64(const JsonbValue *v, int64 *out)
{
	char	   *s;
	char	   *end;
	long long	n;

	if (v->type != jbvNumeric)
		return false;
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return false;
	*out = (int64) n;
	return true;
}

static bool
blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

PG_FUNCTION_INFO_V1(experiments_record_batch_events);

/*
 * record_batch_events(p_events jsonb) -> TABLE(success_count, error_count,
 * errors): errors is [{index, user_id, experiment_id, error, sqlstate}] in
 * index order.
 */
Datum
experiments_record_batch_events(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	JsonbContainer *arr;
	int			n;
	int			i;
	int			ngood = 0;
	int			nerr = 0;
	BatchError *errs;
	Datum	   *c_idx, *c_exp, *c_user, *c_type, *c_props, *c_value, *c_sess, *c_req;
	bool	   *n_value, *n_sess, *n_req;
	Datum		args[8];
	int			dims[1];
	int			lbs[1] = {1};
	uint64		missing = 0;
	BatchError *miss = NULL;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	MemoryContext caller = CurrentMemoryContext;
	JbBuilder	b = {0};
	int			mi,
				ei;

	arg_not_null(fcinfo, 0, "p_events");
	n = jbr_array(PG_GETARG_JSONB_P(0), "p_events", &arr);
	if (n > EXP_MAX_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_events has %d elements; at most %d are allowed",
						n, EXP_MAX_BATCH)));

	errs = palloc(sizeof(BatchError) * (n + 1));
	c_idx = palloc(sizeof(Datum) * (n + 1));
	c_exp = palloc(sizeof(Datum) * (n + 1));
	c_user = palloc(sizeof(Datum) * (n + 1));
	c_type = palloc(sizeof(Datum) * (n + 1));
	c_props = palloc(sizeof(Datum) * (n + 1));
	c_value = palloc(sizeof(Datum) * (n + 1));
	c_sess = palloc(sizeof(Datum) * (n + 1));
	c_req = palloc(sizeof(Datum) * (n + 1));
	n_value = palloc(sizeof(bool) * (n + 1));
	n_sess = palloc(sizeof(bool) * (n + 1));
	n_req = palloc(sizeof(bool) * (n + 1));

	/* decode and check every element; none of this can throw */
	for (i = 0; i < n; i++)
	{
		JsonbValue *el = getIthJsonbValueFromContainer(arr, i);
		JsonbContainer *obj;
		JsonbValue	v;
		BatchError *e = &errs[nerr];
		char	   *user_id = NULL;
		char	   *type;
		int64		experiment_id = 0;
		bool		has_experiment = false;

		e->index = i;
		e->user_id = NULL;
		e->has_experiment = false;
		e->sqlstate = "22023";
		e->message = NULL;

		if (el->type != jbvBinary || !JsonContainerIsObject(el->val.binary.data))
		{
			e->message = "element is not a JSON object";
			nerr++;
			continue;
		}
		obj = el->val.binary.data;

		if (get_key(obj, "user_id", &v) && v.type == jbvString)
			user_id = e->user_id = jv_string(&v);
		if (get_key(obj, "experiment_id", &v) && jv_int64(&v, &experiment_id))
			e->has_experiment = has_experiment = true;
		e->experiment_id = experiment_id;

		/* in the order of record_event's parameters */
		if (!get_key(obj, "experiment_id", &v))
		{
			e->sqlstate = "22004";
			e->message = "experiment_id must not be null";
		}
		else if (!has_experiment)
			e->message = "experiment_id must be an integer";
		else if (!get_key(obj, "user_id", &v))
		{
			e->sqlstate = "22004";
			e->message = "user_id must not be null";
		}
		else if (user_id == NULL)
			e->message = "user_id must be a string";
		else if (blank(user_id))
			e->message = "user_id must not be empty";
		else if (strlen(user_id) > EXP_MAX_TEXT)
			e->message = psprintf("user_id is longer than %d bytes", EXP_MAX_TEXT);
		else if (!get_key(obj, "event_type", &v))
		{
			e->sqlstate = "22004";
			e->message = "event_type must not be null";
		}
		else if (v.type != jbvString)
			e->message = "event_type must be a string";
		else if (!exp_event_type_valid(v.val.string.val, v.val.string.len))
			e->message = psprintf("event_type \"%s\" is not a valid event type",
								  jv_string(&v));
		if (e->message)
		{
			nerr++;
			continue;
		}
		type = jv_string(&v);

		if (get_key(obj, "properties", &v))
		{
			if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			{
				e->message = "properties must be a JSON object";
				nerr++;
				continue;
			}
			c_props[ngood] = JsonbPGetDatum(JsonbValueToJsonb(&v));
		}
		else
			c_props[ngood] = JsonbPGetDatum(empty_object());

		n_value[ngood] = true;
		c_value[ngood] = (Datum) 0;
		if (get_key(obj, "value", &v))
		{
			if (v.type != jbvNumeric)
			{
				e->message = "value must be a number";
				nerr++;
				continue;
			}
			c_value[ngood] = NumericGetDatum(v.val.numeric);
			n_value[ngood] = false;
		}

		n_sess[ngood] = !get_key(obj, "session_id", &v);
		if (!n_sess[ngood])
		{
			if (v.type != jbvString || v.val.string.len > EXP_MAX_TEXT)
			{
				e->message = psprintf("session_id must be a string of at most %d bytes",
									  EXP_MAX_TEXT);
				nerr++;
				continue;
			}
			c_sess[ngood] = CStringGetTextDatum(jv_string(&v));
		}
		n_req[ngood] = !get_key(obj, "request_id", &v);
		if (!n_req[ngood])
		{
			if (v.type != jbvString || v.val.string.len > EXP_MAX_TEXT)
			{
				e->message = psprintf("request_id must be a string of at most %d bytes",
									  EXP_MAX_TEXT);
				nerr++;
				continue;
			}
			c_req[ngood] = CStringGetTextDatum(jv_string(&v));
		}

		c_idx[ngood] = Int32GetDatum(i);
		c_exp[ngood] = Int64GetDatum(experiment_id);
		c_user[ngood] = CStringGetTextDatum(user_id);
		c_type[ngood] = CStringGetTextDatum(type);
		ngood++;
	}

	api_spi_begin(fcinfo, &guard);
	if (ngood > 0)
	{
		dims[0] = ngood;
		args[0] = PointerGetDatum(construct_md_array(c_idx, NULL, 1, dims, lbs, INT4OID,
													 4, true, TYPALIGN_INT));
		args[1] = PointerGetDatum(construct_md_array(c_exp, NULL, 1, dims, lbs, INT8OID,
													 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[2] = PointerGetDatum(construct_md_array(c_user, NULL, 1, dims, lbs, TEXTOID,
													 -1, false, TYPALIGN_INT));
		args[3] = PointerGetDatum(construct_md_array(c_type, NULL, 1, dims, lbs, TEXTOID,
													 -1, false, TYPALIGN_INT));
		args[4] = PointerGetDatum(construct_md_array(c_props, NULL, 1, dims, lbs, JSONBOID,
													 -1, false, TYPALIGN_INT));
		args[5] = PointerGetDatum(construct_md_array(c_value, n_value, 1, dims, lbs,
													 NUMERICOID, -1, false, TYPALIGN_INT));
		args[6] = PointerGetDatum(construct_md_array(c_sess, n_sess, 1, dims, lbs, TEXTOID,
													 -1, false, TYPALIGN_INT));
		args[7] = PointerGetDatum(construct_md_array(c_req, n_req, 1, dims, lbs, TEXTOID,
													 -1, false, TYPALIGN_INT));
		missing = stmt_run(&insert_batch, NULL, args, NULL, false, 0, SPI_OK_SELECT);
		if (missing < (uint64) ngood)
			exp_notify_outbox();

		/* the rows of the elements without an assignment, in the caller's memory */
		MemoryContextSwitchTo(caller);
		miss = palloc(sizeof(BatchError) * (missing + 1));
		for (mi = 0; mi < (int) missing; mi++)
		{
			HeapTuple	t = SPI_tuptable->vals[mi];
			TupleDesc	d = SPI_tuptable->tupdesc;
			bool		isnull;

			miss[mi].index = DatumGetInt32(SPI_getbinval(t, d, 1, &isnull));
			miss[mi].user_id = TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull));
			miss[mi].experiment_id = DatumGetInt64(SPI_getbinval(t, d, 3, &isnull));
			miss[mi].has_experiment = true;
			miss[mi].sqlstate = "P0002";
			miss[mi].message = psprintf("no assignment found for user %s in experiment "
										INT64_FORMAT, miss[mi].user_id,
										miss[mi].experiment_id);
		}
	}

	/* errors: both lists merged in index order */
	MemoryContextSwitchTo(caller);
	jbb_begin_array(&b);
	for (mi = 0, ei = 0; mi < (int) missing || ei < nerr;)
	{
		BatchError *e;

		if (ei < nerr && (mi >= (int) missing || errs[ei].index < miss[mi].index))
			e = &errs[ei++];
		else
			e = &miss[mi++];
		jbb_begin_object(&b);
		jbb_key_int64(&b, "index", e->index);
		jbb_key_text(&b, "user_id", e->user_id);
		if (e->has_experiment)
			jbb_key_int64(&b, "experiment_id", e->experiment_id);
		else
			jbb_key_null(&b, "experiment_id");
		jbb_key_text(&b, "error", e->message);
		jbb_key_text(&b, "sqlstate", e->sqlstate);
		jbb_end_object(&b);
	}
	jbb_end_array(&b);
	values[0] = Int32GetDatum(ngood - (int) missing);
	values[1] = Int32GetDatum(nerr + (int) missing);
	values[2] = JsonbPGetDatum(jbb_finish(&b));
	api_spi_end(&guard);

	srf_begin(fcinfo);
	srf_put(fcinfo, values, nulls);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_record_conversion);

/* record_conversion(p_experiment_id, p_user_id, p_value, p_metadata). */
Datum
experiments_record_conversion(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	int64		experiment_id;
	char	   *user_id;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	experiment_id = PG_GETARG_INT64(0);
	user_id = exp_user_id_arg(fcinfo, 1);
	args[3] = JsonbPGetDatum(object_arg(fcinfo, 3, "p_metadata"));

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = Int64GetDatum(experiment_id);
	args[1] = PG_GETARG_DATUM(1);
	arg_datum_or_null(fcinfo, 2, &args[2], &nulls[2]);
	args[4] = Int16GetDatum(exp_counter_slot());
	if (stmt_run(&convert_assignment, NULL, args, nulls, false, 0, SPI_OK_SELECT) == 0)
	{
		if (stmt_run(&experiment_exists, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("experiment " INT64_FORMAT " not found", experiment_id)));
		raise_no_assignment(user_id, experiment_id);
	}
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		exp_notify_outbox();
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_fold_variant_counters);

/*
 * fold_variant_counters(p_experiment_id) -> bigint: moves the striped counter
 * deltas into variants.total_* (one experiment, or all when NULL); returns
 * the number of variants changed.
 */
Datum
experiments_fold_variant_counters(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[1];
	char		nulls[1];
	bool		isnull;
	int64		folded;

	api_spi_begin(fcinfo, &guard);
	arg_datum_or_null(fcinfo, 0, &args[0], &nulls[0]);
	(void) stmt_run(&fold_counters, NULL, args, nulls, false, 0, SPI_OK_SELECT);
	folded = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										 1, &isnull));
	api_spi_end(&guard);
	PG_RETURN_INT64(folded);
}
