/*-------------------------------------------------------------------------
 *
 * history.h
 *	  Decoding a batch of history events (ack_orchestration_item's
 *	  p_history_delta, append_history's p_events) into rows: C arrays for a
 *	  direct append, and on demand the SQL arrays one INSERT ... SELECT
 *	  FROM unnest(...) writes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCH_HISTORY_H
#define EXPERIMENTS_ORCH_HISTORY_H

#include "postgres.h"
#include "utils/jsonb.h"

typedef struct HistoryBatch
{
	int			n;
	Datum	   *ids;			/* per event: bigint */
	Datum	   *types;			/* text */
	Datum	   *datas;			/* text */
	/* filled by history_arrays() */
	Datum		event_ids;		/* bigint[] */
	Datum		event_types;	/* text[] */
	Datum		event_datas;	/* text[] */
} HistoryBatch;

/*
 * Decode [{"event_id": n, "event_type": "...", "event_data": "<Event JSON>"}].
 * event_id must be a positive integer, event_data a JSON object as text;
 * the stored event_type is the event's own "type" (the kind), or the
 * element's event_type when the event has none.  22023 / 22P02 otherwise;
 * a bad event_id says "Invalid event_id in <routine>".
 */
extern void history_decode(Jsonb *events, const char *ctx, const char *routine,
						   HistoryBatch *out);

/* Build b's three SQL arrays from its rows. */
extern void history_arrays(HistoryBatch *b);

#endif							/* EXPERIMENTS_ORCH_HISTORY_H */
