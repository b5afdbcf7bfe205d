/*-------------------------------------------------------------------------
 *
 * heapcount.c
 *	  Exact row counts of heap tables, page by page (see heapcount.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "common/heapcount.h"

bool
heap_countable(Relation rel)
{
	return rel->rd_rel->relkind == RELKIND_RELATION &&
		rel->rd_rel->relam == HEAP_TABLE_AM_OID;
}

/* The rows of one locked page the snapshot sees. */
static int64
page_visible_rows(Relation rel, Buffer buffer, BlockNumber block, Snapshot snapshot)
{
	Page		page = BufferGetPage(buffer);
	OffsetNumber max;
	OffsetNumber off;
	bool		all_visible;
	int64		n = 0;

	if (PageIsNew(page))
		return 0;
	max = PageGetMaxOffsetNumber(page);
	/* what heapgetpage() trusts too: no tuple of the page needs a check */
	all_visible = PageIsAllVisible(page) && !snapshot->takenDuringRecovery;
	for (off = FirstOffsetNumber; off <= max; off = OffsetNumberNext(off))
	{
		ItemId		lp = PageGetItemId(page, off);
		HeapTupleData tuple;

		if (!ItemIdIsNormal(lp))
			continue;			/* unused, dead or a HOT redirect */
		if (all_visible)
		{
			n++;
			continue;
		}
		tuple.t_data = (HeapTupleHeader) PageGetItem(page, lp);
		tuple.t_len = ItemIdGetLength(lp);
		tuple.t_tableOid = RelationGetRelid(rel);
		ItemPointerSet(&tuple.t_self, block, off);
		if (HeapTupleSatisfiesVisibility(&tuple, snapshot, buffer))
			n++;
	}
	return n;
}

int64
heap_visible_rows(Relation rel, Snapshot snapshot)
{
	BufferAccessStrategy strategy;
	BlockNumber nblocks;
	BlockNumber block;
	int64		n = 0;

	if (!heap_countable(rel))
		elog(ERROR, "heap_visible_rows: \"%s\" is not a heap table",
			 RelationGetRelationName(rel));
	if (snapshot == NULL || !IsMVCCSnapshot(snapshot))
		elog(ERROR, "heap_visible_rows needs an MVCC snapshot");

	/* a ring of buffers, as a sequential scan of a large table uses */
	strategy = GetAccessStrategy(BAS_BULKREAD);
	nblocks = RelationGetNumberOfBlocks(rel);
	for (block = 0; block < nblocks; block++)
	{
		Buffer		buffer;

		CHECK_FOR_INTERRUPTS();
		buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
		LockBuffer(buffer, BUFFER_LOCK_SHARE);
		n += page_visible_rows(rel, buffer, block, snapshot);
		UnlockReleaseBuffer(buffer);
	}
	FreeAccessStrategy(strategy);
	return n;
}
