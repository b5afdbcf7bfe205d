/*-------------------------------------------------------------------------
 *
 * ids.c
 *	  experiments.uuid_v7(): time-ordered uuids for the keys of the tables
 *	  that grow by one row per call.
 *
 * A random (version 4) primary key puts each new row's index entry on a
 * random leaf page: every insert dirties a page the last checkpoint may
 * not have seen, and the first change of such a page after a checkpoint
 * writes the whole page to the WAL.  A version-7 uuid starts with the time
 * in milliseconds, so new keys land at the right edge of the index, on the
 * same few pages.  The recording and cost-ledger keys default to it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/uuid.h"

#include "common/uuid.h"

PG_FUNCTION_INFO_V1(experiments_uuid_v7);

/* experiments.uuid_v7() -> uuid */
Datum
experiments_uuid_v7(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	PG_RETURN_UUID_P(uuid_time_ordered());
}
