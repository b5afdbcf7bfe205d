/*-------------------------------------------------------------------------
 *
 * version.c
 *	  The library's identity: module magic and experiments.version().
 *
 * version() reports the version this shared library was built as next to
 * the version of the SQL objects installed in the database, so that a
 * library upgraded without ALTER EXTENSION ... UPDATE (or the reverse) is
 * visible at a glance.  It is the one routine PUBLIC may call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "common/compat.h"
#include "common/srf.h"

PG_MODULE_MAGIC;

#ifndef EXPERIMENTS_LIBRARY_VERSION
#error "EXPERIMENTS_LIBRARY_VERSION must be set by the Makefile"
#endif

/* extversion of the installed extension, or NULL when it is not installed. */
static text *
installed_sql_version(void)
{
	Oid			ext_oid = get_extension_oid("experiments", true);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	text	   *result = NULL;

	if (!OidIsValid(ext_oid))
		return NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext_oid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			result = DatumGetTextPCopy(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

PG_FUNCTION_INFO_V1(experiments_version);

/*
 * experiments_version returns (library_version, extension_version,
 * versions_match).
 */
Datum
experiments_version(PG_FUNCTION_ARGS)
{
	TupleDesc	desc = row_result_desc(fcinfo);
	text	   *sql_version = installed_sql_version();
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = CStringGetTextDatum(EXPERIMENTS_LIBRARY_VERSION);
	if (sql_version == NULL)
	{
		nulls[1] = true;
		values[2] = BoolGetDatum(false);
	}
	else
	{
		char	   *v = text_to_cstring(sql_version);

		values[1] = PointerGetDatum(sql_version);
		values[2] = BoolGetDatum(strcmp(v, EXPERIMENTS_LIBRARY_VERSION) == 0);
	}
	PG_RETURN_DATUM(row_result(desc, values, nulls));
}
