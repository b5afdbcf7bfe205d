/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  sp_cleanup_old_recordings(): delete a batch of old 'done' recordings
 *	  and their segments.
 *
 * The seed's DELETE ... LIMIT is not PostgreSQL; here the batch is chosen
 * by id (oldest first, through the partial index on created_at of 'done'
 * recordings), locked with SKIP LOCKED so a cleanup never waits for a
 * recording someone holds, and its segments and the recordings are deleted
 * by that same id set in one statement: both counts are exact.  Calling it
 * again until it returns zeros drains the backlog in short transactions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "quota/retention.h"

static const StmtDef cleanup = {
	"quota.retention.cleanup",
	"WITH v AS ("
	"  SELECT r.id FROM experiments.recordings r"
	"   WHERE r.status = 'done'"
	"     AND r.created_at < pg_catalog.now() - pg_catalog.make_interval(days => $1)"
	"   ORDER BY r.created_at"
	"   LIMIT $2"
	"     FOR UPDATE SKIP LOCKED),"
	" g AS ("
	"  DELETE FROM experiments.segments"
	"   WHERE recording_id IN (SELECT v.id FROM v)"
	"  RETURNING 1),"
	" d AS ("
	"  DELETE FROM experiments.recordings"
	"   WHERE id IN (SELECT v.id FROM v)"
	"  RETURNING 1)"
	" SELECT (SELECT pg_catalog.count(*) FROM d)::int4,"
	"        (SELECT pg_catalog.count(*) FROM g)::int4",
	2, {INT4OID, INT8OID}
};

PG_FUNCTION_INFO_V1(experiments_sp_cleanup_old_recordings);

/*
 * experiments_sp_cleanup_old_recordings(in_retention_days, in_batch_size)
 * -> TABLE(deleted_recordings int, deleted_segments int): one row.
 */
Datum
experiments_sp_cleanup_old_recordings(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[2];

	args[0] = Int32GetDatum(arg_int32_in(fcinfo, 0, "in_retention_days",
										 0, QUOTA_MAX_RETENTION_DAYS));
	args[1] = Int64GetDatum((int64) arg_int32_in(fcinfo, 1, "in_batch_size",
												 1, QUOTA_MAX_CLEANUP_BATCH));
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&cleanup, NULL, args, NULL, false, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}
