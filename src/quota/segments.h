/*-------------------------------------------------------------------------
 *
 * segments.h
 *	  Decode and check the in_segments argument of sp_complete_recording.
 *
 *	QuotaSegments segs;
 *	quota_decode_segments(PG_GETARG_JSONB_P(2), "in_segments", &segs);
 *	quota_segments_arrays(&segs);
 *	... INSERT ... SELECT ... FROM unnest(segs.idx, segs.start_ms,
 *	                                      segs.end_ms, segs.text) ...
 *
 * The argument must be a JSON array of at most QUOTA_MAX_SEGMENTS objects
 * {idx, start_ms, end_ms, text}: integers idx >= 0, 0 <= start_ms <= end_ms,
 * a string text (other keys are ignored), and no idx twice.  Anything else
 * is 22023 naming the element and the key.  The result is the four
 * columns' values, and on request four arrays ready to be bound to one
 * set-based INSERT.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_SEGMENTS_H
#define EXPERIMENTS_QUOTA_SEGMENTS_H

#include "postgres.h"
#include "utils/jsonb.h"

#define QUOTA_MAX_SEGMENTS 100000

typedef struct QuotaSegments
{
	int			count;
	/* the decoded elements, count of each */
	int32	   *v_idx;
	int32	   *v_start_ms;
	int32	   *v_end_ms;
	Datum	   *v_text;			/* text */
	/* the same as arrays, once quota_segments_arrays() has built them */
	Datum		idx;			/* int4[] */
	Datum		start_ms;		/* int4[] */
	Datum		end_ms;			/* int4[] */
	Datum		text;			/* text[] */
} QuotaSegments;

extern void quota_decode_segments(Jsonb *segments, const char *ctx,
								  QuotaSegments *out);

/* Build segs->idx .. segs->text for a set-based INSERT from unnest(). */
extern void quota_segments_arrays(QuotaSegments *segs);

#endif							/* EXPERIMENTS_QUOTA_SEGMENTS_H */
