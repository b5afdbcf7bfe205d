/*-------------------------------------------------------------------------
 *
 * heapcount.h
 *	  The exact number of rows of a heap table a snapshot sees, read page
 *	  by page without the executor.
 *
 * SELECT count(*) FROM t reads every tuple through a scan node, a slot and
 * an aggregate; for a table about to be dropped (cleanup_old_events counts
 * each daily partition it drops) only the number matters.  This reads each
 * page once: on a page marked all-visible every normal line pointer is a
 * row every snapshot sees, so the page is counted without looking at its
 * tuples (as a sequential scan's page mode does); on any other page each
 * tuple is checked against the snapshot.
 *
 * The caller locks the table (the count is exact for the snapshot only
 * while nobody else can write it: cleanup holds ACCESS EXCLUSIVE) and
 * passes the snapshot of probe_snapshot_begin (probe.h), so that the count
 * sees what a SELECT run at that point would.  Tables of another access
 * method than heap are refused (an internal error): the caller counts
 * those with SQL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_HEAPCOUNT_H
#define EXPERIMENTS_HEAPCOUNT_H

#include "postgres.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

/* true when rel is a heap table heap_visible_rows can count */
extern bool heap_countable(Relation rel);

extern int64 heap_visible_rows(Relation rel, Snapshot snapshot);

#endif							/* EXPERIMENTS_HEAPCOUNT_H */
