/*-------------------------------------------------------------------------
 *
 * selftest.c
 *	  Entry points that let the test suites drive the shared C layer.
 *
 * The install script does not declare these; a test that wants one runs
 * CREATE FUNCTION ... AS 'experiments', 'experiments_selftest_...' itself
 * (which needs a superuser, as every C-language declaration does).  They
 * give the readers, builders, subtransaction runner and statement cache of
 * src/common tests of their own, before any domain uses them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/jsonb_build.h"
#include "common/jsonb_read.h"
#include "common/stmt.h"
#include "common/subxact.h"

/* Read one key of obj as the named type and add it to the result object. */
static void
read_one(JbBuilder *b, const JbObject *obj, const char *key, const char *type)
{
	bool		required = true;
	size_t		len = strlen(type);
	char		plain[16];

	if (len > 0 && type[len - 1] == '?')
	{
		required = false;
		len--;
	}
	if (len >= sizeof(plain))
		len = sizeof(plain) - 1;
	memcpy(plain, type, len);
	plain[len] = '\0';

	jbb_key(b, key);
	if (strcmp(plain, "text") == 0)
	{
		char	   *v;

		jbr_text(obj, key, required, &v) ? jbb_text(b, v) : jbb_null(b);
	}
	else if (strcmp(plain, "int32") == 0)
	{
		int32		v;

		jbr_int32(obj, key, required, &v) ? jbb_int64(b, v) : jbb_null(b);
	}
	else if (strcmp(plain, "int64") == 0)
	{
		int64		v;

		jbr_int64(obj, key, required, &v) ? jbb_int64(b, v) : jbb_null(b);
	}
	else if (strcmp(plain, "float8") == 0)
	{
		double		v;

		jbr_float8(obj, key, required, &v) ? jbb_float8(b, v) : jbb_null(b);
	}
	else if (strcmp(plain, "numeric") == 0)
	{
		Numeric		v;

		jbr_numeric(obj, key, required, &v) ? jbb_numeric(b, v) : jbb_null(b);
	}
	else if (strcmp(plain, "bool") == 0)
	{
		bool		v;

		jbr_bool(obj, key, required, &v) ? jbb_bool(b, v) : jbb_null(b);
	}
	else if (strcmp(plain, "jsonb") == 0)
	{
		Jsonb	   *v;

		jbr_jsonb(obj, key, required, &v) ? jbb_jsonb(b, v) : jbb_null(b);
	}
	else if (strcmp(plain, "object") == 0)
	{
		JbObject	sub;

		if (jbr_sub_object(obj, key, required, &sub))
			jbb_text(b, sub.ctx);
		else
			jbb_null(b);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown reader type \"%s\"", type)));
}

PG_FUNCTION_INFO_V1(experiments_selftest_read);

/*
 * experiments_selftest_read(spec jsonb, doc jsonb) reads doc by spec
 * ({"key": "int32", "other": "text?", ...}) and returns what it read.
 * doc may be an object or an array of objects (read element-wise).
 */
Datum
experiments_selftest_read(PG_FUNCTION_ARGS)
{
	Jsonb	   *spec_jb;
	Jsonb	   *doc;
	JbObject	spec;
	JbBuilder	b = {0};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *keys = NIL;
	List	   *types = NIL;
	ListCell   *lk;
	ListCell   *lt;

	arg_not_null(fcinfo, 0, "spec");
	arg_not_null(fcinfo, 1, "doc");
	spec_jb = PG_GETARG_JSONB_P(0);
	doc = PG_GETARG_JSONB_P(1);
	spec = jbr_object(spec_jb, "spec");

	it = JsonbIteratorInit(spec.c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			char	   *type;
			JbObject	s = spec;

			jbr_text(&s, key, true, &type);
			keys = lappend(keys, key);
			types = lappend(types, type);
		}
	}

	if (JB_ROOT_IS_ARRAY(doc) && !JB_ROOT_IS_SCALAR(doc))
	{
		JsonbContainer *array;
		int			n = jbr_array(doc, "doc", &array);
		int			i;

		jbb_begin_array(&b);
		for (i = 0; i < n; i++)
		{
			JbObject	obj = jbr_element_object(array, "doc", i);

			jbb_begin_object(&b);
			forboth(lk, keys, lt, types)
				read_one(&b, &obj, lfirst(lk), lfirst(lt));
			jbb_end_object(&b);
		}
		jbb_end_array(&b);
	}
	else
	{
		JbObject	obj = jbr_object(doc, "doc");

		jbb_begin_object(&b);
		forboth(lk, keys, lt, types)
			read_one(&b, &obj, lfirst(lk), lfirst(lt));
		jbb_end_object(&b);
	}
	PG_RETURN_JSONB_P(jbb_finish(&b));
}

typedef struct RunSql
{
	const char *sql;
	uint64		rows;
} RunSql;

static void
run_sql(void *arg)
{
	RunSql	   *run = arg;

	if (SPI_execute(run->sql, false, 0) < 0)
		elog(ERROR, "SPI_execute failed");
	run->rows = SPI_processed;
}

PG_FUNCTION_INFO_V1(experiments_selftest_subxact);

/*
 * experiments_selftest_subxact(sql text[]) runs each statement in its own
 * subtransaction and returns one result object per statement:
 * {"ok": true, "rows": n} or {"ok": false, "sqlstate", "message", "detail"}.
 */
Datum
experiments_selftest_subxact(PG_FUNCTION_ARGS)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	JbBuilder	b = {0};
	MemoryContext caller = CurrentMemoryContext;
	Jsonb	   *result;

	arg_not_null(fcinfo, 0, "sql");
	arr = PG_GETARG_ARRAYTYPE_P(0);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(caller);
	jbb_begin_array(&b);
	for (i = 0; i < n; i++)
	{
		RunSql		run;
		CaughtError err;

		run.sql = nulls[i] ? "SELECT NULL" : TextDatumGetCString(elems[i]);
		run.rows = 0;
		jbb_begin_object(&b);
		if (subxact_run(run_sql, &run, &err))
		{
			jbb_key_bool(&b, "ok", true);
			jbb_key_int64(&b, "rows", (int64) run.rows);
		}
		else
		{
			jbb_key_bool(&b, "ok", false);
			jbb_key_text(&b, "sqlstate", err.sqlstate);
			jbb_key_text(&b, "message", err.message);
			jbb_key_text(&b, "detail", err.detail);
		}
		jbb_end_object(&b);
	}
	jbb_end_array(&b);
	result = jbb_finish(&b);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

static const StmtDef count_routines = {
	"selftest.count_routines",
	"SELECT count(*) FROM @schema@.api_routines WHERE domain = $1",
	1, {TEXTOID}
};

PG_FUNCTION_INFO_V1(experiments_selftest_stmt);

/*
 * experiments_selftest_stmt(domain text) runs one cached statement under
 * the call guard and returns (rows counted, plans this backend holds), so a
 * test can see that repeated calls prepare once.
 */
Datum
experiments_selftest_stmt(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		arg;
	int64		count;
	bool		isnull;
	char		buf[64];

	arg_not_null(fcinfo, 0, "domain");
	arg = PG_GETARG_DATUM(0);
	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&count_routines, NULL, &arg, NULL, true, 0, SPI_OK_SELECT);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	api_spi_end(&guard);
	snprintf(buf, sizeof(buf), INT64_FORMAT " rows, %ld plans", count,
			 stmt_cached_count());
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
