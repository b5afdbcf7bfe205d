/*-------------------------------------------------------------------------
 *
 * hubs.c
 *	  initialize_schema() and cleanup_schema(): orchestration hubs.
 *
 * A hub is a schema holding the orchestration tables and functions; the
 * extension schema is the default hub.  initialize_schema(name) copies the
 * default hub into a new schema, from the catalog, so that there is one
 * definition of each table and function (sql/src/2*_orchestration*.sql):
 *
 *	- each table of orch_hub_tables: CREATE TABLE ... (LIKE experiments.t
 *	  INCLUDING ALL EXCLUDING INDEXES) WITH (its storage parameters) -
 *	  columns, defaults, identity (with a sequence of its own), comments -
 *	  then its primary key and unique
 *	  constraints (pg_get_constraintdef) and its other indexes, under the
 *	  same names;
 *	- each routine registered with domain 'orchestration' in
 *	  experiments.api_routines, except initialize_schema itself: a C
 *	  function of the same name, arguments (with defaults), result,
 *	  volatility and symbol.  The C code learns its hub from the schema of
 *	  the function called, so hub.fetch_orchestration_item touches only
 *	  hub's tables;
 *	- privileges: nothing for PUBLIC; each hub function is executable by the
 *	  roles that may execute its default-hub twin (grant_access).
 *
 * Run again on an existing hub, it adds what is missing (tables, functions
 * a newer version brought) and copies the privileges again - the way to
 * hand a hub to roles granted after it was made.  Every name is quoted
 * (format('%I'), quote_identifier); the hub name is never pasted raw.
 *
 * Hub DDL is serialized on the registry experiments.orchestration_hubs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/stmt.h"
#include "orchestration/orchestration.h"

/* The tables of a hub, in creation order. */
static const char *const orch_hub_tables[] = {
	"instances", "executions", "history", "orchestrator_queue", "worker_queue",
	"instance_locks", "sessions", "kv_store", "kv_delta", NULL
};

static const StmtDef lock_hubs = {
	"orchestration.hubs.lock",
	"LOCK TABLE experiments.orchestration_hubs IN SHARE ROW EXCLUSIVE MODE",
	0, {InvalidOid}
};

static const StmtDef find_hub = {
	"orchestration.hubs.find",
	"SELECT 1 FROM experiments.orchestration_hubs WHERE schema_name = $1",
	1, {TEXTOID}
};

static const StmtDef register_hub = {
	"orchestration.hubs.register",
	"INSERT INTO experiments.orchestration_hubs (schema_name) VALUES ($1)",
	1, {TEXTOID}
};

static const StmtDef unregister_hub = {
	"orchestration.hubs.unregister",
	"DELETE FROM experiments.orchestration_hubs WHERE schema_name = $1",
	1, {TEXTOID}
};

/* $1 hub name, $2 hub oid, $3 table names: DDL for the tables it lacks. */
static const StmtDef table_ddl = {
	"orchestration.hubs.table_ddl",
	"WITH t AS ("
	"  SELECT c.oid, c.relname, c.reloptions, t.n"
	"    FROM pg_catalog.unnest($3::text[]) WITH ORDINALITY AS t(name, n)"
	"    JOIN pg_catalog.pg_class c"
	"      ON c.relname = t.name AND c.relnamespace = 'experiments'::regnamespace"
	"   WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class h"
	"                      WHERE h.relname = t.name AND h.relnamespace = $2))"
	" SELECT ddl FROM ("
	"  SELECT t.n, 1 AS step, ''::text AS name,"
	"         pg_catalog.format('CREATE TABLE %I.%I (LIKE experiments.%I"
	"                            INCLUDING ALL EXCLUDING INDEXES)%s',"
	"                           $1, t.relname, t.relname,"
	"                           CASE WHEN t.reloptions IS NULL THEN ''"
	"                                ELSE ' WITH (' || pg_catalog.array_to_string("
	"                                       t.reloptions, ', ') || ')' END) AS ddl"
	"    FROM t"
	"  UNION ALL"
	"  SELECT t.n, 2, k.conname::text,"
	"         pg_catalog.format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s',"
	"                           $1, t.relname, k.conname,"
	"                           pg_catalog.pg_get_constraintdef(k.oid))"
	"    FROM t JOIN pg_catalog.pg_constraint k"
	"      ON k.conrelid = t.oid AND k.contype IN ('p', 'u')"
	"  UNION ALL"
	"  SELECT t.n, 3, i.relname::text,"
	"         pg_catalog.format('CREATE %sINDEX %I ON %I.%I USING %I (%s)%s',"
	"                CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END,"
	"                i.relname, $1, t.relname, a.amname,"
	"                (SELECT pg_catalog.string_agg("
	"                          pg_catalog.pg_get_indexdef(x.indexrelid, k::int, true), ', '"
	"                          ORDER BY k)"
	"                   FROM pg_catalog.generate_series(1, x.indnkeyatts::int) AS k),"
	"                CASE WHEN x.indpred IS NULL THEN ''"
	"                     ELSE ' WHERE ' || pg_catalog.pg_get_expr(x.indpred, x.indrelid) END)"
	"    FROM t JOIN pg_catalog.pg_index x ON x.indrelid = t.oid"
	"           JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid"
	"           JOIN pg_catalog.pg_am a ON a.oid = i.relam"
	"   WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k"
	"                      WHERE k.conindid = x.indexrelid AND k.conrelid = t.oid)"
	" ) AS s ORDER BY s.n, s.step, s.name",
	3, {TEXTOID, OIDOID, TEXTARRAYOID}
};

/* The routines function_ddl reads, as a CTE prefix. */
#define HUB_ROUTINES_CTE \
	"WITH p AS (" \
	"  SELECT p.* FROM experiments.api_routines r" \
	"    JOIN pg_catalog.pg_proc p ON p.oid = pg_catalog.to_regprocedure(r.routine)" \
	"   WHERE r.domain = 'orchestration'" \
	"     AND p.pronamespace = 'experiments'::regnamespace" \
	"     AND p.proname <> 'initialize_schema'" \
	"     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc h" \
	"                      WHERE h.pronamespace = $2 AND h.proname = p.proname" \
	"                        AND h.proargtypes = p.proargtypes)) "

/*
 * $1 hub name, $2 hub oid: CREATE FUNCTION (and COMMENT) for each
 * orchestration routine of the default hub the hub lacks.
 */
static const StmtDef function_ddl = {
	"orchestration.hubs.function_ddl",
	HUB_ROUTINES_CTE
	"SELECT ddl FROM ("
	" SELECT p.proname, 1 AS step,"
	"        pg_catalog.format('CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE c %s %s%s AS %L, %L',"
	"               $1, p.proname, pg_catalog.pg_get_function_arguments(p.oid),"
	"               pg_catalog.pg_get_function_result(p.oid),"
	"               CASE p.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE'"
	"                                  ELSE 'VOLATILE' END,"
	"               CASE WHEN p.proisstrict THEN 'STRICT' ELSE 'CALLED ON NULL INPUT' END,"
	"               CASE WHEN p.proretset THEN ' ROWS ' || p.prorows::text ELSE '' END,"
	"               p.probin, p.prosrc) AS ddl"
	"   FROM p"
	" UNION ALL"
	" SELECT p.proname, 2,"
	"        pg_catalog.format('COMMENT ON FUNCTION %I.%I(%s) IS %L', $1, p.proname,"
	"               pg_catalog.pg_get_function_identity_arguments(p.oid), d.description)"
	"   FROM p JOIN pg_catalog.pg_description d"
	"     ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass"
	"    AND d.objsubid = 0"
	") AS s ORDER BY s.proname, s.step",
	2, {TEXTOID, OIDOID}
};

/*
 * $1 hub name, $2 hub oid: the privilege statements making each hub
 * function's EXECUTE grants those of its default-hub twin.
 */
static const StmtDef privilege_ddl = {
	"orchestration.hubs.privilege_ddl",
	"WITH f AS ("
	"  SELECT h.oid, h.proname, pg_catalog.pg_get_function_identity_arguments(h.oid) AS args,"
	"         h.proacl, h.proowner, p.proacl AS twin_acl, p.proowner AS twin_owner"
	"    FROM pg_catalog.pg_proc h"
	"    JOIN pg_catalog.pg_proc p"
	"      ON p.pronamespace = 'experiments'::regnamespace AND p.proname = h.proname"
	"     AND p.proargtypes = h.proargtypes"
	"   WHERE h.pronamespace = $2)"
	" SELECT ddl FROM ("
	"  SELECT 1 AS step, f.proname::text AS name,"
	"         pg_catalog.format('REVOKE ALL ON FUNCTION %I.%I(%s) FROM PUBLIC',"
	"                           $1, f.proname, f.args) AS ddl"
	"    FROM f"
	"  UNION ALL"
	"  SELECT 2, f.proname::text || ' ' || r.rolname::text,"
	"         pg_catalog.format('REVOKE ALL ON FUNCTION %I.%I(%s) FROM %I',"
	"                           $1, f.proname, f.args, r.rolname)"
	"    FROM f, pg_catalog.aclexplode(f.proacl) AS a"
	"    JOIN pg_catalog.pg_roles r ON r.oid = a.grantee"
	"   WHERE a.grantee <> f.proowner"
	"  UNION ALL"
	"  SELECT 3, f.proname::text || ' ' || r.rolname::text,"
	"         pg_catalog.format('GRANT EXECUTE ON FUNCTION %I.%I(%s) TO %I',"
	"                           $1, f.proname, f.args, r.rolname)"
	"    FROM f, pg_catalog.aclexplode(f.twin_acl) AS a"
	"    JOIN pg_catalog.pg_roles r ON r.oid = a.grantee"
	"   WHERE a.grantee <> f.twin_owner AND a.privilege_type = 'EXECUTE'"
	" ) AS s ORDER BY s.step, s.name",
	2, {TEXTOID, OIDOID}
};

/* $1 hub name, $2 hub oid, $3 tables: the statements dropping a hub. */
static const StmtDef drop_ddl = {
	"orchestration.hubs.drop_ddl",
	"SELECT ddl FROM ("
	"  SELECT 1 AS step,"
	"         'DROP TABLE ' || pg_catalog.string_agg(pg_catalog.format('%I.%I', $1, c.relname),"
	"                                                ', ' ORDER BY c.relname) AS ddl"
	"    FROM pg_catalog.pg_class c"
	"   WHERE c.relnamespace = $2 AND c.relkind = 'r' AND c.relname = ANY ($3)"
	"  HAVING count(*) > 0"
	"  UNION ALL"
	"  SELECT 2, 'DROP FUNCTION ' || pg_catalog.string_agg("
	"              pg_catalog.format('%I.%I(%s)', $1, p.proname,"
	"                   pg_catalog.pg_get_function_identity_arguments(p.oid)),"
	"              ', ' ORDER BY p.proname)"
	"    FROM pg_catalog.pg_proc p"
	"    JOIN pg_catalog.pg_proc t"
	"      ON t.pronamespace = 'experiments'::regnamespace AND t.proname = p.proname"
	"     AND t.proargtypes = p.proargtypes AND t.prosrc = p.prosrc"
	"   WHERE p.pronamespace = $2"
	"  HAVING count(*) > 0"
	"  UNION ALL"
	"  SELECT 3, pg_catalog.format('DROP SCHEMA %I', $1)"
	" ) AS s ORDER BY s.step",
	3, {TEXTOID, OIDOID, TEXTARRAYOID}
};

static Datum
hub_tables_array(void)
{
	Datum		names[16];
	int			n;

	for (n = 0; orch_hub_tables[n] != NULL; n++)
		names[n] = CStringGetTextDatum(orch_hub_tables[n]);
	return PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * Run the statements a generator returns (one text column), in order.  The
 * generator's rows are copied first: running them replaces SPI_tuptable.
 */
static void
run_generated(const StmtDef *def, Datum *args, int nargs)
{
	uint64		n;
	uint64		i;
	char	  **ddl;

	(void) nargs;
	n = stmt_run(def, NULL, args, NULL, false, 0, SPI_OK_SELECT);
	ddl = palloc(sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++)
		ddl[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	for (i = 0; i < n; i++)
	{
		int			rc = SPI_execute(ddl[i], false, 0);

		if (rc < 0)
			elog(ERROR, "could not run hub statement: %s", SPI_result_code_string(rc));
	}
}

PG_FUNCTION_INFO_V1(experiments_orch_initialize_schema);

/* initialize_schema(p_schema_name) -> void */
Datum
experiments_orch_initialize_schema(PG_FUNCTION_ARGS)
{
	char	   *hub = arg_text_bounded(fcinfo, 0, "p_schema_name", NAMEDATALEN - 1);
	ApiGuard	guard;
	Datum		args[3];
	Oid			hub_oid;
	bool		registered;

	if (orch_hub_is_default(hub))
		PG_RETURN_VOID();		/* the extension schema is the default hub */
	if (strncmp(hub, "pg_", 3) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("unacceptable hub name \"%s\"", hub),
				 errdetail("The prefix \"pg_\" is reserved for system schemas.")));

	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&lock_hubs, NULL, NULL, NULL, false, 0, SPI_OK_UTILITY);
	args[0] = CStringGetTextDatum(hub);
	registered = stmt_run(&find_hub, NULL, args, NULL, false, 0, SPI_OK_SELECT) > 0;
	hub_oid = get_namespace_oid(hub, true);

	if (!registered)
	{
		char	   *sql;

		if (OidIsValid(hub_oid))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_SCHEMA),
					 errmsg("schema \"%s\" already exists and is not an orchestration hub",
							hub),
					 errhint("Choose another name, or drop the schema first.")));
		sql = psprintf("CREATE SCHEMA %s", quote_identifier(hub));
		if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not create schema for hub");
		sql = psprintf("GRANT USAGE ON SCHEMA %s TO PUBLIC", quote_identifier(hub));
		if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not grant usage on hub schema");
		(void) stmt_run(&register_hub, NULL, args, NULL, false, 0, SPI_OK_INSERT);
		CommandCounterIncrement();
		hub_oid = get_namespace_oid(hub, false);
	}
	else if (!OidIsValid(hub_oid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("orchestration hub \"%s\" is registered but its schema is missing", hub),
				 errhint("Delete its row from experiments.orchestration_hubs and try again.")));

	args[1] = ObjectIdGetDatum(hub_oid);
	args[2] = hub_tables_array();
	run_generated(&table_ddl, args, 3);
	CommandCounterIncrement();
	run_generated(&function_ddl, args, 2);
	CommandCounterIncrement();
	run_generated(&privilege_ddl, args, 2);

	api_spi_end(&guard);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(experiments_orch_cleanup_schema);

/*
 * cleanup_schema() -> void: drop the hub the called function lives in -
 * its tables, its functions (this one too) and the schema.  Objects others
 * put in the schema, or that depend on its tables, make it fail (2BP01)
 * with nothing dropped.
 */
Datum
experiments_orch_cleanup_schema(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	char	   *hub_copy;
	ApiGuard	guard;
	Datum		args[3];

	if (orch_hub_is_default(hub))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cleanup_schema cannot drop the default hub \"%s\"", hub),
				 errhint("Call it in a hub made by experiments.initialize_schema.")));
	hub_copy = pstrdup(hub);

	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&lock_hubs, NULL, NULL, NULL, false, 0, SPI_OK_UTILITY);
	args[0] = CStringGetTextDatum(hub_copy);
	if (stmt_run(&find_hub, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" is not an orchestration hub", hub_copy)));
	args[1] = ObjectIdGetDatum(api_routine(fcinfo)->schema_oid);
	args[2] = hub_tables_array();
	run_generated(&drop_ddl, args, 3);
	(void) stmt_run(&unregister_hub, NULL, args, NULL, false, 0, SPI_OK_DELETE);
	api_spi_end(&guard);
	PG_RETURN_VOID();
}
