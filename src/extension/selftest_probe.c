/*-------------------------------------------------------------------------
 *
 * selftest_probe.c
 *	  Self-test entry points of src/common/probe.h.
 *
 * Like the others in selftest.c, these are never declared by the install
 * script; test/sql/common_probe.sql declares them as a superuser.  They
 * probe two fixed shapes of table, "probe_items" in whatever schema the
 * caller names:
 *
 *	probe_items (id int PRIMARY KEY, k1 text, k2 int, note text,
 *				 CONSTRAINT probe_items_k_key UNIQUE (k1, k2))
 *
 * and run without the call guard, so the caller's own rights apply.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "common/args.h"
#include "common/probe.h"

static const ProbeDef items_by_id = {
	"probe_items", "probe_items_pkey", 1, 2, {"note", "k1"}
};

static const ProbeDef items_by_pair = {
	"probe_items", "probe_items_k_key", 2, 2, {"id", "note"}
};

PG_FUNCTION_INFO_V1(experiments_selftest_probe_id);

/*
 * experiments_selftest_probe_id(schema text, id int) -> text: "note|k1" of
 * the row (a NULL shown as <null>), or NULL when there is none.
 */
Datum
experiments_selftest_probe_id(PG_FUNCTION_ARGS)
{
	char	   *schema;
	ProbeSnapshot ps;
	Datum		key;
	Datum		out[2];
	bool		nulls[2];
	bool		found;

	schema = arg_cstring(fcinfo, 0, "schema");
	arg_not_null(fcinfo, 1, "id");
	key = PG_GETARG_DATUM(1);
	probe_snapshot_begin(&ps);
	found = probe_fetch(&items_by_id, schema, &ps, &key, out, nulls);
	probe_snapshot_end(&ps);
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s|%s",
											  nulls[0] ? "<null>" : TextDatumGetCString(out[0]),
											  nulls[1] ? "<null>" : TextDatumGetCString(out[1]))));
}

PG_FUNCTION_INFO_V1(experiments_selftest_probe_pair);

/*
 * experiments_selftest_probe_pair(schema text, k1 text, k2 int) -> text:
 * "id|note" of the row, or NULL when there is none.
 */
Datum
experiments_selftest_probe_pair(PG_FUNCTION_ARGS)
{
	char	   *schema;
	ProbeSnapshot ps;
	Datum		keys[2];
	Datum		out[2];
	bool		nulls[2];
	bool		found;

	schema = arg_cstring(fcinfo, 0, "schema");
	arg_not_null(fcinfo, 1, "k1");
	arg_not_null(fcinfo, 2, "k2");
	keys[0] = PG_GETARG_DATUM(1);
	keys[1] = PG_GETARG_DATUM(2);
	probe_snapshot_begin(&ps);
	found = probe_fetch(&items_by_pair, schema, &ps, keys, out, nulls);
	probe_snapshot_end(&ps);
	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%d|%s", DatumGetInt32(out[0]),
											  nulls[1] ? "<null>" : TextDatumGetCString(out[1]))));
}

PG_FUNCTION_INFO_V1(experiments_selftest_probe_cache);

/* experiments_selftest_probe_cache() -> text: "N entries, M valid". */
Datum
experiments_selftest_probe_cache(PG_FUNCTION_ARGS)
{
	long		entries;
	long		valid;

	probe_cache_stats(&entries, &valid);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%ld entries, %ld valid", entries, valid)));
}
