/*-------------------------------------------------------------------------
 *
 * direct.h
 *	  The pieces shared by the write paths that bypass SQL (the campaign
 *	  charge, the segment append): looking tables up, judging whether a
 *	  table is still as the install script made it, planning its CHECK
 *	  constraints and column defaults once, and the executor state that
 *	  index insertion and constraint checks need.
 *
 * A direct write fires no triggers and applies no row-level security, so
 * every user of these helpers pairs them with a verdict: when a table has
 * anything a direct write would skip (a user trigger, a policy, generated
 * columns, a deferrable unique index, missing rights) the call goes back
 * to the SQL statement it replaces.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_DIRECT_H
#define EXPERIMENTS_DIRECT_H

#include "postgres.h"
#include "access/tableam.h"
#include "commands/trigger.h"
#include "nodes/execnodes.h"
#include "nodes/lockoptions.h"
#include "nodes/primnodes.h"
#include "storage/lockdefs.h"
#include "utils/acl.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

/*
 * What a direct path knows about its tables, kept per backend: the caller
 * embeds a DirectCache in its description and rebuilds the description when
 * direct_cache_fresh() says no.  Any relcache invalidation of one of the
 * tables (ALTER TABLE, CREATE TRIGGER, a policy, DROP...) makes it stale; one
 * that arrives while the description is built leaves it usable for the call
 * that built it but not kept.
 *
 *	if (!direct_cache_fresh(&my.cache, relids, 2))
 *	{
 *		old = direct_cache_begin(&my.cache, "experiments my tables", relids, 2);
 *		... fill my from the catalogue, allocating in CurrentMemoryContext ...
 *		direct_cache_end(&my.cache, old);
 *	}
 */
#define DIRECT_CACHE_RELS 4

typedef struct DirectCache
{
	bool		valid;
	int			nrels;
	Oid			relids[DIRECT_CACHE_RELS];
	MemoryContext cxt;			/* the description's memory */
	uint64		seen;			/* invalidations counted when building began */
	struct DirectCache *next;	/* every cache, for the invalidation callback */
} DirectCache;

extern bool direct_cache_fresh(const DirectCache *c, const Oid *relids, int n);
extern MemoryContext direct_cache_begin(DirectCache *c, const char *name,
										const Oid *relids, int n);
extern void direct_cache_end(DirectCache *c, MemoryContext old);

/*
 * A description kept per schema (an orchestration hub's tables) over the
 * tables rels[0..n-1] of that schema.  The caller's struct begins with a
 * DirectSchemaEntry; direct_schema_entry finds the one for schema in *list
 * (adding a zeroed one of size bytes) and, when it is stale, calls describe
 * to fill it in its memory context; describe returns NULL, or why the
 * tables must be left to SQL, which is kept in ineligible.
 */
typedef struct DirectSchemaEntry
{
	NameData	schema;
	struct DirectSchemaEntry *next;
	DirectCache cache;
	const char *ineligible;
} DirectSchemaEntry;

typedef const char *(*DirectDescribeFn) (DirectSchemaEntry *entry, Relation *rels);

extern DirectSchemaEntry *direct_schema_entry(DirectSchemaEntry **list, Size size,
											  const char *schema, const char *name,
											  Relation *rels, int n,
											  DirectDescribeFn describe);

/* In a describe function: att = rel's column name if of type, else return why not. */
#define DIRECT_REQUIRE_COLUMN(att, rel, name, type) \
	do { \
		(att) = direct_column(RelationGetDescr(rel), (name), (type), NULL); \
		if ((att) == 0) \
			return psprintf("column %s of %s is missing or of another type", (name), \
							RelationGetRelationName(rel)); \
	} while (0)

/*
 * Raise what the executor raises for a write (cmdname: "INSERT", "UPDATE")
 * in a read-only transaction -- READ ONLY, or any transaction of a hot
 * standby -- or in parallel mode: 25006.  Every direct write calls it first:
 * the table access method does not check.
 */
extern void direct_require_writable(const char *cmdname);

/* Open a table of the extension's schema with ROW EXCLUSIVE, as DML would. */
extern Relation direct_open(const char *name);

/* The same with another lock (ROW SHARE for a table only locked FOR KEY SHARE). */
extern Relation direct_open_locked(const char *name, LOCKMODE mode);

/* A table of another schema (an orchestration hub's), locked in mode. */
extern Relation direct_open_in(const char *schema, const char *name, LOCKMODE mode);

/* The attribute called name if it has type typid (its typmod in *typmod); else 0. */
extern AttrNumber direct_column(TupleDesc desc, const char *name, Oid typid,
								int32 *typmod);

/*
 * The OID of an index of rel that finds a row by att alone -- a valid,
 * immediate, unique btree on that one column, without a predicate -- or
 * InvalidOid.  The primary key is preferred when it qualifies.
 */
extern Oid	direct_key_index(Relation rel, AttrNumber att);

/*
 * A valid btree index of rel whose leading key columns are atts[0..n-1],
 * ascending, without expressions or predicate; InvalidOid if none.
 */
extern Oid	direct_prefix_index(Relation rel, const AttrNumber *atts, int n);

/* A scan key's comparison: the operator's function and the column's collation. */
typedef struct DirectKeyProc
{
	RegProcedure proc;
	Oid			collation;
} DirectKeyProc;

/*
 * The function of btree strategy (BTEqualStrategyNumber...) for key column
 * col (from 0) of index, for its own input type, with the column's
 * collation; false if the operator family has none.
 */
extern bool direct_key_proc(Oid indexid, int col, int strategy, DirectKeyProc *kp);

/* kp's comparison of a and b */
extern bool direct_key_test(const DirectKeyProc *kp, Datum a, Datum b);

/* Planned CHECK expressions of rel, in the order of its constraint array. */
extern Expr **direct_plan_checks(Relation rel, int *ncheck);

/*
 * The planned default of one attribute, or NULL when it has none -- except
 * that a column of a domain type without a default gets NULL coerced to the
 * domain, so that its constraints are checked as an INSERT checks them.
 */
extern Expr *direct_plan_default(Relation rel, AttrNumber att);

/*
 * Why rel cannot be written directly whatever its triggers, or NULL: not a
 * plain table, stored generated columns, a deferrable unique index.
 */
extern const char *direct_shape_verdict(Relation rel);

/* Why rel's triggers forbid a direct write (what: "the direct claim"), or NULL. */
extern const char *direct_trigger_verdict(Relation rel, const char *what);

/*
 * Is t the referencing side's check of the single-column foreign key
 * fk_col -> confrelid(pk_col)?
 */
extern bool direct_is_foreign_key(const Trigger *t, AttrNumber fk_col, Oid confrelid,
								  AttrNumber pk_col);

/*
 * Why the current user may not write rel directly with the rights in mode,
 * or NULL: row-level security applies, or a table-level right is missing
 * (the SQL path then reports it, or honours column rights and policies).
 */
extern const char *direct_rights_verdict(Relation rel, AclMode mode);

/* An executor state whose range table holds rels[0..n-1] at ROW EXCLUSIVE. */
extern EState *direct_estate(Relation *rels, int n);

/* A result relation of rel (range table index rti) with its indexes open. */
extern ResultRelInfo *direct_result_rel(EState *estate, Relation rel, Index rti,
										Expr **checks, int ncheck);

/* The open index of rri whose OID is indexid (an internal error if none). */
extern Relation direct_index(ResultRelInfo *rri, Oid indexid);

/*
 * Find the row of rel that index (a unique btree whose first key column is
 * rel's attribute keycol, compared with eqproc) gives for key under
 * snapshot, and lock its newest version in mode, waiting for a concurrent
 * writer under lock_timeout and deadlock detection.  In READ COMMITTED a
 * row updated meanwhile is followed to its newest version, which must still
 * carry the key; in REPEATABLE READ and SERIALIZABLE a concurrent update or
 * delete is a serialization failure (40001), as for UPDATE.  false when
 * there is no such row (any more); else the locked version is in slot.
 */
extern bool direct_lock_by_key(Relation rel, Relation index, AttrNumber keycol,
							   RegProcedure eqproc, Datum key, Snapshot snapshot,
							   CommandId cid, LockTupleMode mode, TupleTableSlot *slot);

/* Start newer, cleared, as a copy of every column of older (not yet stored). */
extern void direct_copy_row(TupleTableSlot *newer, TupleTableSlot *older);

/*
 * Replace the row locked in locked by the new version in newer: constraints
 * checked, the heap updated (heap-only when it can be), index entries added
 * when it is not.
 */
extern void direct_update(EState *estate, ResultRelInfo *rri, TupleTableSlot *locked,
						  TupleTableSlot *newer, Snapshot snapshot);

/*
 * Delete the row at tid (found under snapshot) as DELETE does: waiting for
 * a concurrent writer; in READ COMMITTED a row updated meanwhile is locked
 * in its newest version (in scratch, a slot of rel) and deleted if
 * still_matches(scratch, arg) says so (NULL: always), and a row deleted
 * meanwhile is passed over; in REPEATABLE READ and SERIALIZABLE either is
 * a serialization failure (40001).  A row already changed by this command
 * is left alone.  Deletes touch no index, so no executor state is needed.
 * true if the row was deleted.
 */
/*
 * Lock the row version at tid (found under snapshot) in mode, as the
 * executor locks a row it is about to change: with wait (block or skip);
 * when follow is set and the transaction is in READ COMMITTED, a version
 * updated meanwhile is followed to the newest one (*followed then says so,
 * and the caller tests it again).  Under a transaction snapshot (REPEATABLE
 * READ, SERIALIZABLE) a concurrent update or delete is 40001.  Returns
 * TM_Ok (the locked version in slot), or what stopped it: TM_WouldBlock
 * (skipped), TM_SelfModified (changed by this very command), TM_Updated or
 * TM_Deleted (READ COMMITTED only).
 */
extern TM_Result direct_lock_version(Relation rel, ItemPointer tid, Snapshot snapshot,
									 CommandId cid, LockTupleMode mode, LockWaitPolicy wait,
									 bool follow, TupleTableSlot *slot, bool *followed);

/* 40001 "could not serialize access due to concurrent <what>" */
extern void direct_serialization_failure(const char *what) pg_attribute_noreturn();

typedef bool (*DirectRowTest) (TupleTableSlot *slot, void *arg);

extern bool direct_delete(Relation rel, ItemPointer tid, Snapshot snapshot, CommandId cid,
						  TupleTableSlot *scratch, DirectRowTest still_matches, void *arg);

/*
 * INSERT ... ON CONFLICT (arbiter) DO UPDATE for the one row in slot, as
 * the executor runs it: constraints checked; a pre-check of the arbiter (a
 * unique index of rri); if free, a speculative insertion, retried when a
 * concurrent one wins; if taken, the existing row locked FOR NO KEY UPDATE
 * (waiting for its holder; in READ COMMITTED a row changed meanwhile means
 * starting again, under a transaction snapshot it is 40001, as is a row the
 * snapshot cannot see), then on_conflict(existing, newer, arg) sets the
 * columns of newer -- which starts as a copy of existing -- and says
 * whether to update at all (DO UPDATE ... WHERE).
 */
typedef bool (*DirectConflictFn) (TupleTableSlot *existing, TupleTableSlot *newer, void *arg);

typedef enum DirectUpsertResult
{
	DIRECT_INSERTED,
	DIRECT_UPDATED,
	DIRECT_KEPT					/* the existing row, locked, unchanged */
} DirectUpsertResult;

extern DirectUpsertResult direct_upsert(EState *estate, ResultRelInfo *rri, Oid arbiter,
						  TupleTableSlot *slot, Snapshot snapshot,
						  DirectConflictFn on_conflict, void *arg);

/* Close what direct_result_rel opened and free the executor state. */
extern void direct_estate_end(EState *estate, ResultRelInfo **rris, int n);

#endif							/* EXPERIMENTS_DIRECT_H */
