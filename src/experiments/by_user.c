/*-------------------------------------------------------------------------
 *
 * by_user.c
 *	  Telling where one user's events end in a stream grouped by user
 *	  (see by_user.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/memutils.h"

#include "experiments/by_user.h"

void
user_runs_init(UserRuns *runs)
{
	runs->seq = 0;
	runs->id = NULL;
	runs->len = 0;
	runs->cap = 0;
	runs->cxt = CurrentMemoryContext;
}

bool
user_runs_next(UserRuns *runs, Datum user)
{
	text	   *t = DatumGetTextPP(user);
	Size		len = VARSIZE_ANY_EXHDR(t);

	if (runs->seq > 0 && len == runs->len &&
		memcmp(runs->id, VARDATA_ANY(t), len) == 0)
		return false;
	if (len > runs->cap)
	{
		if (runs->id != NULL)
			pfree(runs->id);
		runs->cap = Max(len, 64);
		runs->id = MemoryContextAlloc(runs->cxt, runs->cap);
	}
	memcpy(runs->id, VARDATA_ANY(t), len);
	runs->len = len;
	runs->seq++;
	return true;
}
