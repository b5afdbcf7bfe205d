/*-------------------------------------------------------------------------
 *
 * probe.h
 *	  One-row lookups by a unique index, without SPI or the executor.
 *
 * A hot path that only needs "the row whose key is K" pays, through SPI,
 * for executor start-up and shut-down and whatever join the plan chose,
 * which for a tiny table can be a hash build per call.  A probe does what
 * the index scan node at the bottom of such a plan does and nothing else:
 *
 *	static const ProbeDef experiment_status = {
 *		"experiments", "experiments_pkey", 1, 1, {"status"}
 *	};
 *
 *	ProbeSnapshot ps;
 *	Datum	key = Int64GetDatum(id), out[1];
 *	bool	nulls[1];
 *
 *	probe_snapshot_begin(&ps);
 *	found = probe_fetch(&experiment_status, NULL, &ps, &key, out, nulls);
 *	probe_snapshot_end(&ps);
 *
 * Semantics, the same as a SELECT run through SPI from a VOLATILE function:
 *
 * - Snapshot: probe_snapshot_begin advances the command counter and takes
 *   GetTransactionSnapshot() with the current command id, as SPI does before
 *   each statement of a non-read-only call: a new snapshot per call in READ
 *   COMMITTED, the transaction's snapshot in REPEATABLE READ and
 *   SERIALIZABLE, and in every case the calling transaction's own earlier
 *   writes are seen.  Several probes under one ProbeSnapshot see one state.
 * - Locks: AccessShareLock on the table and the index, kept to the end of
 *   the transaction, as a SELECT takes them.
 * - Rights: SELECT on the table is checked for the current user (under the
 *   guard, the routine's owner), with the usual 42501 error.  A table with
 *   row-level security enabled is refused (an internal error): a probe does
 *   not apply policies, so it must not be pointed at such a table.
 * - Names: the table, the index and the columns are named, and resolved
 *   to OIDs and attribute numbers once per backend; a relcache or namespace
 *   invalidation (DROP/CREATE EXTENSION, ALTER TABLE, REINDEX...) throws the
 *   resolution away, so the next call resolves again.
 * - Equality: each key column is compared with the btree equality operator
 *   of the index's operator class, under the index column's collation; the
 *   key Datums must be of the index column's type.
 *
 * - SERIALIZABLE: the btree and heap access methods take their predicate
 *   locks themselves, as for any index scan under an MVCC snapshot.
 * - Values: copied out whole (a toasted value is fetched), so they outlive
 *   the snapshot and the scan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_PROBE_H
#define EXPERIMENTS_PROBE_H

#include "postgres.h"
#include "utils/snapshot.h"

#define PROBE_MAX_KEYS 4
#define PROBE_MAX_COLS 16

typedef struct ProbeDef
{
	const char *relname;		/* table, in the schema given to probe_fetch */
	const char *indexname;		/* a unique btree index of it, same schema */
	int			nkeys;			/* its key columns, all of them */
	int			ncols;			/* columns copied out */
	const char *cols[PROBE_MAX_COLS];
} ProbeDef;

typedef struct ProbeSnapshot
{
	Snapshot	snapshot;
	bool		pushed;
} ProbeSnapshot;

extern void probe_snapshot_begin(ProbeSnapshot *ps);
extern void probe_snapshot_end(ProbeSnapshot *ps);

/*
 * Look up the row of def's table whose index key equals keys[0..nkeys-1]
 * (none may be NULL) in schema (NULL = the extension schema).  Found: true,
 * with the def->cols values copied into CurrentMemoryContext in
 * values/nulls.  Not found (or not visible to the snapshot): false.
 */
extern bool probe_fetch(const ProbeDef *def, const char *schema,
						const ProbeSnapshot *ps, const Datum *keys,
						Datum *values, bool *nulls);

/* How many resolutions this backend holds and how many are valid (tests). */
extern void probe_cache_stats(long *entries, long *valid);

#endif							/* EXPERIMENTS_PROBE_H */
