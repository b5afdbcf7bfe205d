/*-------------------------------------------------------------------------
 *
 * append.h
 *	  Append a set of rows to one table without SQL, vouching for one
 *	  foreign key whose referenced row the caller holds locked.
 *
 * An INSERT of n child rows checks its foreign key n times, each check a
 * query that locks the parent row FOR KEY SHARE.  A routine that has just
 * locked the parent itself (FOR UPDATE, say, to change its status) already
 * holds the guarantee those checks would obtain: the parent exists, and it
 * can neither be deleted nor change its key before we commit.  append_rows
 * writes the rows as the INSERT would -- column defaults (identity values
 * included), NOT NULL and CHECK constraints, heap and index entries with
 * their uniqueness checks, SERIALIZABLE's conflict checks -- in batches,
 * and skips that one check.
 *
 *	static const AppendDef segment_rows = {
 *		"segments", 5, {"recording_id", "idx", "start_ms", "end_ms", "text"},
 *		{UUIDOID, INT4OID, INT4OID, INT4OID, TEXTOID},
 *		"recording_id", "recordings", "id"
 *	};
 *
 *	why = append_rows(&segment_rows, n, fill_one_segment, &state, NULL);
 *	if (why != NULL)
 *		... the table is not as shipped: run the INSERT statement instead ...
 *
 * The caller's promise: every row's fk_col holds the key of a row of
 * ref_relname that this transaction has locked (FOR KEY SHARE or stronger)
 * and read under that lock.
 *
 * A table without such a key (fk_col NULL) is appended to only while it has
 * no trigger at all but the referenced side of some key.
 *
 * Anything the direct write would skip sends the call back (a non-NULL
 * reason, nothing written): a trigger other than that foreign key's own or
 * the referenced side of some key, another foreign key, row-level security,
 * generated columns, a deferrable unique index, a missing INSERT right, or
 * a named column that is missing or of another type.  The table's
 * description is built once per backend and dropped by any relcache
 * invalidation of the table or of ref_relname.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_APPEND_H
#define EXPERIMENTS_APPEND_H

#include "postgres.h"

#define APPEND_MAX_COLS 8

typedef struct AppendDef
{
	const char *relname;		/* the table, in the extension's schema or the
								 * one append_rows_in names */
	int			ncols;			/* the columns the caller fills */
	const char *cols[APPEND_MAX_COLS];
	Oid			types[APPEND_MAX_COLS];
	const char *fk_col;			/* one of cols: the key the caller vouches for,
								 * or NULL (then ref_* are unused) */
	const char *ref_relname;	/* the table it references, same schema */
	const char *ref_col;		/* the referenced column */
	const char *returning;		/* NULL, or a column whose value in the first
								 * row append_rows hands back (its default,
								 * say: a generated key) */
	Oid			returning_type;
} AppendDef;

/*
 * Fill values[0..ncols-1] and isnull[] of row number row (0-based), in the
 * order of def->cols.  Called in a short-lived memory context.
 */
typedef void (*AppendRowFn) (void *arg, int row, Datum *values, bool *isnull);

/*
 * Append nrows rows.  NULL when they are written, else why the table
 * cannot be written directly (and nothing was written).  With
 * def->returning set and nrows >= 1, *returned gets that column of the
 * first row (never NULL: a NULL there is an error), copied into the
 * caller's memory.  Errors -- a
 * violated constraint, a duplicate key, a serialization failure -- are
 * raised as the INSERT would raise them.
 */
extern const char *append_rows(const AppendDef *def, int nrows, AppendRowFn fill,
							   void *arg, Datum *returned);

/*
 * The same for the table of that name in schema (NULL: the extension's),
 * e.g. an orchestration hub.  Descriptions are kept per (def, schema).
 */
extern const char *append_rows_in(const AppendDef *def, const char *schema, int nrows,
								  AppendRowFn fill, void *arg, Datum *returned);

/* Why the last append_rows() went back to SQL, or "" (for tests). */
extern char append_last_fallback[128];

#endif							/* EXPERIMENTS_APPEND_H */
