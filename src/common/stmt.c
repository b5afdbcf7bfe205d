/*-------------------------------------------------------------------------
 *
 * stmt.c
 *	  Prepare each statement once per backend and schema, then reuse it.
 *
 * The cache is a dynahash in TopMemoryContext keyed by the address of the
 * static StmtDef and the schema name.  A plan is entered only after
 * SPI_keepplan() succeeded, so an error while preparing leaves no dangling
 * entry; it is simply prepared again next time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "common/stmt.h"

typedef struct StmtKey
{
	const StmtDef *def;
	NameData	schema;
} StmtKey;

typedef struct StmtEntry
{
	StmtKey		key;
	SPIPlanPtr	plan;
} StmtEntry;

static HTAB *stmt_cache = NULL;

static void
stmt_cache_init(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(StmtKey);
	ctl.entrysize = sizeof(StmtEntry);
	ctl.hcxt = TopMemoryContext;
	stmt_cache = hash_create("experiments statement cache", 128, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Replace every @schema@ in the statement text with the quoted schema name. */
static char *
stmt_expand(const char *sql, const char *schema)
{
	static const char token[] = "@schema@";
	const char *quoted = quote_identifier(schema);
	StringInfoData buf;
	const char *p = sql;
	const char *hit;

	initStringInfo(&buf);
	while ((hit = strstr(p, token)) != NULL)
	{
		appendBinaryStringInfo(&buf, p, hit - p);
		appendStringInfoString(&buf, quoted);
		p = hit + sizeof(token) - 1;
	}
	appendStringInfoString(&buf, p);
	return buf.data;
}

SPIPlanPtr
stmt_plan(const StmtDef *def, const char *schema)
{
	return stmt_plan_opts(def, schema, 0);
}

SPIPlanPtr
stmt_plan_opts(const StmtDef *def, const char *schema, int cursor_options)
{
	StmtKey		key;
	StmtEntry  *entry;
	bool		found;
	SPIPlanPtr	plan;
	char	   *sql;

	if (stmt_cache == NULL)
		stmt_cache_init();
	if (schema == NULL)
		schema = STMT_SCHEMA_DEFAULT;

	memset(&key, 0, sizeof(key));
	key.def = def;
	namestrcpy(&key.schema, schema);

	entry = hash_search(stmt_cache, &key, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->plan;

	sql = stmt_expand(def->sql, schema);
	plan = SPI_prepare_cursor(sql, def->nargs, (Oid *) def->argtypes,
							  cursor_options);
	if (plan == NULL)
		elog(ERROR, "could not prepare statement %s: %s",
			 def->name, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep plan of statement %s", def->name);
	pfree(sql);

	entry = hash_search(stmt_cache, &key, HASH_ENTER, &found);
	entry->plan = plan;
	return plan;
}

uint64
stmt_run(const StmtDef *def, const char *schema, Datum *values,
		 const char *nulls, bool read_only, long count, int expect_rc)
{
	return stmt_run_opts(def, schema, values, nulls, read_only, count, expect_rc, 0);
}

uint64
stmt_run_opts(const StmtDef *def, const char *schema, Datum *values,
			  const char *nulls, bool read_only, long count, int expect_rc,
			  int cursor_options)
{
	SPIPlanPtr	plan = stmt_plan_opts(def, schema, cursor_options);
	int			rc;

	rc = SPI_execute_plan(plan, values, nulls, read_only, count);
	if (rc != expect_rc)
		elog(ERROR, "statement %s returned %s, expected %s", def->name,
			 SPI_result_code_string(rc), SPI_result_code_string(expect_rc));
	return SPI_processed;
}

long
stmt_cached_count(void)
{
	return stmt_cache == NULL ? 0 : hash_get_num_entries(stmt_cache);
}
