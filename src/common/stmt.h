/*-------------------------------------------------------------------------
 *
 * stmt.h
 *	  Per-backend cache of prepared, schema-qualified SPI statements.
 *
 * A statement is declared once, statically, next to the code that runs it:
 *
 *	static const StmtDef find_user = {
 *		"quota.find_user",
 *		"SELECT id FROM @schema@.users WHERE id = $1",
 *		1, {UUIDOID}
 *	};
 *
 * "@schema@" stands for the schema the statement runs against, quoted: the
 * extension schema for most domains, the hub for orchestration.  The first
 * stmt_plan() for a (statement, schema) pair prepares and keeps the plan; every
 * later one in the backend is a hash lookup.  PostgreSQL's plan cache
 * re-plans kept statements by itself after DDL on the objects they use.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_STMT_H
#define EXPERIMENTS_STMT_H

#include "postgres.h"
#include "executor/spi.h"

#define STMT_MAX_ARGS 32

typedef struct StmtDef
{
	const char *name;			/* "domain.what", shown in errors */
	const char *sql;			/* may contain @schema@ */
	int			nargs;
	Oid			argtypes[STMT_MAX_ARGS];
} StmtDef;

/* The schema the non-hub domains use. */
#define STMT_SCHEMA_DEFAULT "experiments"

/* The kept plan for def against schema (NULL = the extension schema). */
extern SPIPlanPtr stmt_plan(const StmtDef *def, const char *schema);

/*
 * Run def with values/nulls (nulls uses SPI's ' '/'n' convention, NULL for
 * none) and return SPI_processed.  expect_rc is the SPI result code the
 * statement must give (SPI_OK_SELECT, SPI_OK_INSERT_RETURNING, ...); any
 * other code is an internal error.  count limits rows as in SPI_execute_plan.
 */
extern uint64 stmt_run(const StmtDef *def, const char *schema,
					   Datum *values, const char *nulls,
					   bool read_only, long count, int expect_rc);

/*
 * The same with SPI_prepare_cursor options for the first preparation (the
 * plan is then kept and reused like any other): CURSOR_OPT_GENERIC_PLAN for
 * a statement whose best plan does not depend on its parameter values, so
 * that the plan cache never re-plans it per call.
 */
extern SPIPlanPtr stmt_plan_opts(const StmtDef *def, const char *schema,
								 int cursor_options);
extern uint64 stmt_run_opts(const StmtDef *def, const char *schema,
							Datum *values, const char *nulls,
							bool read_only, long count, int expect_rc,
							int cursor_options);

/* How many plans this backend holds (for tests of the cache itself). */
extern long stmt_cached_count(void);

#endif							/* EXPERIMENTS_STMT_H */
