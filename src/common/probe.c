/*-------------------------------------------------------------------------
 *
 * probe.c
 *	  One-row lookups by a unique index, without SPI or the executor.
 *
 * What a probe resolves (namespace, table and index OIDs, attribute numbers,
 * the equality procedures and collations of the key columns) lives in a
 * per-backend hash keyed by the ProbeDef's address and the schema name.
 * Relcache and namespace invalidation callbacks mark entries stale, and a
 * counter bumped by every callback lets a resolution that raced with an
 * invalidation notice it and start over.  After the locks are taken (which
 * processes pending invalidations) an entry that is still valid names
 * relations that exist and match their names, because dropping or renaming
 * either one would have sent an invalidation for it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/probe.h"
#include "common/stmt.h"

typedef struct ProbeKey
{
	const ProbeDef *def;
	NameData	schema;
} ProbeKey;

typedef struct ProbeEntry
{
	ProbeKey	key;
	bool		valid;
	Oid			relid;
	Oid			indexid;
	AttrNumber	attnums[PROBE_MAX_COLS];
	RegProcedure eqproc[PROBE_MAX_KEYS];
	Oid			collation[PROBE_MAX_KEYS];
} ProbeEntry;

static HTAB *probe_cache = NULL;
static uint64 probe_inval_count = 0;

static void
probe_relcache_cb(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	ProbeEntry *e;

	(void) arg;
	probe_inval_count++;
	hash_seq_init(&seq, probe_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (!OidIsValid(relid) || e->relid == relid || e->indexid == relid)
			e->valid = false;
}

static void
probe_syscache_cb(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS seq;
	ProbeEntry *e;

	(void) arg;
	(void) cacheid;
	(void) hashvalue;
	probe_inval_count++;
	hash_seq_init(&seq, probe_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
		e->valid = false;
}

static void
probe_cache_init(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ProbeKey);
	ctl.entrysize = sizeof(ProbeEntry);
	ctl.hcxt = TopMemoryContext;
	probe_cache = hash_create("experiments probe cache", 32, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(probe_relcache_cb, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, probe_syscache_cb, (Datum) 0);
}

/*
 * Resolve def's names in schema into e, taking the AccessShareLocks on the
 * way (a caller probing next needs them anyway).  Errors leave e invalid.
 */
static void
probe_resolve(ProbeEntry *e, const ProbeDef *def, const char *schema)
{
	for (;;)
	{
		uint64		before = probe_inval_count;
		Oid			nspid;
		Oid			relid;
		Oid			indexid;
		Relation	index;
		int			i;

		e->valid = false;
		nspid = get_namespace_oid(schema, false);
		relid = get_relname_relid(def->relname, nspid);
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s.%s\" does not exist", schema, def->relname)));
		indexid = get_relname_relid(def->indexname, nspid);
		if (!OidIsValid(indexid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("index \"%s.%s\" does not exist", schema, def->indexname)));
		LockRelationOid(relid, AccessShareLock);
		index = index_open(indexid, AccessShareLock);
		if (index->rd_index->indrelid != relid ||
			index->rd_rel->relam != BTREE_AM_OID ||
			!index->rd_index->indisunique ||
			IndexRelationGetNumberOfKeyAttributes(index) != def->nkeys ||
			def->nkeys < 1 || def->nkeys > PROBE_MAX_KEYS ||
			def->ncols < 0 || def->ncols > PROBE_MAX_COLS)
			elog(ERROR, "index \"%s.%s\" is not a unique btree index of %d columns on \"%s\"",
				 schema, def->indexname, def->nkeys, def->relname);
		for (i = 0; i < def->nkeys; i++)
		{
			Oid			opno = get_opfamily_member(index->rd_opfamily[i],
												   index->rd_opcintype[i],
												   index->rd_opcintype[i],
												   BTEqualStrategyNumber);

			if (!OidIsValid(opno))
				elog(ERROR, "no equality operator for column %d of index \"%s\"",
					 i + 1, def->indexname);
			e->eqproc[i] = get_opcode(opno);
			e->collation[i] = index->rd_indcollation[i];
		}
		index_close(index, NoLock);
		for (i = 0; i < def->ncols; i++)
		{
			e->attnums[i] = get_attnum(relid, def->cols[i]);
			if (e->attnums[i] == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of relation \"%s.%s\" does not exist",
								def->cols[i], schema, def->relname)));
		}
		e->relid = relid;
		e->indexid = indexid;
		if (probe_inval_count == before)
		{
			e->valid = true;
			return;
		}
		/* something changed while we looked: look again */
	}
}

static ProbeEntry *
probe_entry(const ProbeDef *def, const char *schema)
{
	ProbeKey	key;
	ProbeEntry *e;
	bool		found;

	if (probe_cache == NULL)
		probe_cache_init();
	memset(&key, 0, sizeof(key));
	key.def = def;
	namestrcpy(&key.schema, schema);
	e = hash_search(probe_cache, &key, HASH_ENTER, &found);
	if (!found)
		e->valid = false;

	for (;;)
	{
		if (!e->valid)
			probe_resolve(e, def, schema);
		/* already held after a resolution; otherwise this sees pending DDL */
		LockRelationOid(e->relid, AccessShareLock);
		LockRelationOid(e->indexid, AccessShareLock);
		if (e->valid)
			return e;
	}
}

void
probe_snapshot_begin(ProbeSnapshot *ps)
{
	/* what SPI does before each statement of a non-read-only call */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	ps->snapshot = GetActiveSnapshot();
	ps->pushed = true;
}

void
probe_snapshot_end(ProbeSnapshot *ps)
{
	if (!ps->pushed)
		return;
	PopActiveSnapshot();
	ps->pushed = false;
	ps->snapshot = NULL;
}

/* SELECT on the table, or on every column the probe reads, as a query would need. */
static void
probe_check_rights(Relation heap, const ProbeEntry *e, const ProbeDef *def,
				   Relation index)
{
	Oid			relid = RelationGetRelid(heap);
	Oid			user = GetUserId();
	int			i;

	if (pg_class_aclcheck(relid, user, ACL_SELECT) == ACLCHECK_OK)
		return;
	for (i = 0; i < def->ncols; i++)
		if (pg_attribute_aclcheck(relid, e->attnums[i], user, ACL_SELECT) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(heap->rd_rel->relkind),
						   RelationGetRelationName(heap));
	for (i = 0; i < def->nkeys; i++)
		if (pg_attribute_aclcheck(relid, index->rd_index->indkey.values[i], user,
								  ACL_SELECT) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(heap->rd_rel->relkind),
						   RelationGetRelationName(heap));
}

bool
probe_fetch(const ProbeDef *def, const char *schema, const ProbeSnapshot *ps,
			const Datum *keys, Datum *values, bool *nulls)
{
	ProbeEntry *e;
	Relation	heap;
	Relation	index;
	ScanKeyData sk[PROBE_MAX_KEYS];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found;
	int			i;

	if (ps == NULL || !ps->pushed)
		elog(ERROR, "probe_fetch needs a ProbeSnapshot from probe_snapshot_begin");
	if (schema == NULL)
		schema = STMT_SCHEMA_DEFAULT;
	e = probe_entry(def, schema);

	heap = table_open(e->relid, NoLock);
	index = index_open(e->indexid, NoLock);
	if (heap->rd_rel->relkind != RELKIND_RELATION)
		elog(ERROR, "probe on \"%s\": not a plain table", RelationGetRelationName(heap));
	if (heap->rd_rel->relrowsecurity)
		elog(ERROR, "probe on \"%s\": the table has row-level security enabled",
			 RelationGetRelationName(heap));
	if (!index->rd_index->indisvalid || !index->rd_index->indisready)
		elog(ERROR, "probe on \"%s\": index \"%s\" is not valid",
			 RelationGetRelationName(heap), RelationGetRelationName(index));
	probe_check_rights(heap, e, def, index);

	for (i = 0; i < def->nkeys; i++)
		ScanKeyEntryInitialize(&sk[i], 0, i + 1, BTEqualStrategyNumber, InvalidOid,
							   e->collation[i], e->eqproc[i], keys[i]);

	slot = table_slot_create(heap, NULL);
	scan = index_beginscan(heap, index, ps->snapshot, def->nkeys, 0);
	index_rescan(scan, sk, def->nkeys, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
	{
		TupleDesc	desc = RelationGetDescr(heap);

		slot_getallattrs(slot);
		for (i = 0; i < def->ncols; i++)
		{
			AttrNumber	att = e->attnums[i];
			Form_pg_attribute a = TupleDescAttr(desc, att - 1);

			nulls[i] = slot->tts_isnull[att - 1];
			if (nulls[i])
				values[i] = (Datum) 0;
			else if (a->attlen == -1)
				values[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(slot->tts_values[att - 1]));
			else
				values[i] = datumCopy(slot->tts_values[att - 1], a->attbyval, a->attlen);
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(heap, NoLock);
	return found;
}

void
probe_cache_stats(long *entries, long *valid)
{
	HASH_SEQ_STATUS seq;
	ProbeEntry *e;

	*entries = 0;
	*valid = 0;
	if (probe_cache == NULL)
		return;
	hash_seq_init(&seq, probe_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		(*entries)++;
		if (e->valid)
			(*valid)++;
	}
}
