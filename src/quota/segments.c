/*-------------------------------------------------------------------------
 *
 * segments.c
 *	  in_segments -> four columns of values, checked element by element.
 *
 * Decoding reads each element once with the shared jsonb readers; the
 * duplicate check sorts (idx, position) pairs, so it is O(n log n) and names
 * both elements that share an idx.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "common/jsonb_read.h"
#include "quota/segments.h"

typedef struct IdxPos
{
	int32		idx;
	int			pos;
} IdxPos;

static int
idxpos_cmp(const void *a, const void *b)
{
	const IdxPos *x = (const IdxPos *) a;
	const IdxPos *y = (const IdxPos *) b;

	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->pos < y->pos ? -1 : (x->pos > y->pos ? 1 : 0);
}

static Datum
int4_array(const int32 *values, int n)
{
	Datum	   *elems;
	Datum		array;
	int			i;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(INT4OID));
	elems = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
		elems[i] = Int32GetDatum(values[i]);
	array = PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32),
											true, TYPALIGN_INT));
	pfree(elems);
	return array;
}

void
quota_decode_segments(Jsonb *segments, const char *ctx, QuotaSegments *out)
{
	JsonbContainer *array;
	int			n = jbr_array(segments, ctx, &array);
	int32	   *idx;
	int32	   *start_ms;
	int32	   *end_ms;
	Datum	   *text;
	IdxPos	   *order;
	int			i;

	if (n > QUOTA_MAX_SEGMENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has %d segments; at most %d are allowed",
						ctx, n, QUOTA_MAX_SEGMENTS)));

	/* palloc(0) is fine, but keep every array non-empty for construct_array */
	idx = palloc(sizeof(int32) * (n + 1));
	start_ms = palloc(sizeof(int32) * (n + 1));
	end_ms = palloc(sizeof(int32) * (n + 1));
	text = palloc(sizeof(Datum) * (n + 1));
	order = palloc(sizeof(IdxPos) * (n + 1));

	for (i = 0; i < n; i++)
	{
		JbObject	seg = jbr_element_object(array, ctx, i);
		int32		v_idx;
		int32		v_start;
		int32		v_end;
		char	   *v_text;

		(void) jbr_int32(&seg, "idx", true, &v_idx);
		(void) jbr_int32(&seg, "start_ms", true, &v_start);
		(void) jbr_int32(&seg, "end_ms", true, &v_end);
		(void) jbr_text(&seg, "text", true, &v_text);

		if (v_idx < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key \"idx\" of %s[%d] must not be negative", ctx, i),
					 errdetail("The value given was %d.", v_idx)));
		if (v_start < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key \"start_ms\" of %s[%d] must not be negative", ctx, i),
					 errdetail("The value given was %d.", v_start)));
		if (v_end < v_start)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] ends before it starts", ctx, i),
					 errdetail("start_ms is %d, end_ms is %d.", v_start, v_end)));

		idx[i] = v_idx;
		start_ms[i] = v_start;
		end_ms[i] = v_end;
		text[i] = CStringGetTextDatum(v_text);
		pfree(v_text);
		order[i].idx = v_idx;
		order[i].pos = i;
	}

	if (n > 1)
	{
		qsort(order, n, sizeof(IdxPos), idxpos_cmp);
		for (i = 1; i < n; i++)
			if (order[i].idx == order[i - 1].idx)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s[%d] repeats idx %d of %s[%d]",
								ctx, order[i].pos, order[i].idx,
								ctx, order[i - 1].pos)));
	}
	pfree(order);

	memset(out, 0, sizeof(*out));
	out->count = n;
	out->v_idx = idx;
	out->v_start_ms = start_ms;
	out->v_end_ms = end_ms;
	out->v_text = text;
}

void
quota_segments_arrays(QuotaSegments *segs)
{
	int			n = segs->count;

	segs->idx = int4_array(segs->v_idx, n);
	segs->start_ms = int4_array(segs->v_start_ms, n);
	segs->end_ms = int4_array(segs->v_end_ms, n);
	segs->text = n == 0 ? PointerGetDatum(construct_empty_array(TEXTOID)) :
		PointerGetDatum(construct_array(segs->v_text, n, TEXTOID, -1, false,
										TYPALIGN_INT));
}
