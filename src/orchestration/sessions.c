/*-------------------------------------------------------------------------
 *
 * sessions.c
 *	  renew_session_lock(), cleanup_orphaned_sessions().
 *
 * Lock order (orchestration.h): a worker item's fetch and ack take its
 * worker_queue row, then its session row.  These two take session rows
 * only, in session id order, so they cannot join a cycle with them.
 *
 * cleanup_orphaned_sessions skips a session row another transaction holds
 * (SKIP LOCKED): such a row is being claimed or touched by a worker right
 * now - the race of a cleanup with a worker about to use the session - and
 * a session in use is not an orphan.  Its deletion is re-checked against
 * the row as it is when deleted, so a session renewed meanwhile survives.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/stmt.h"
#include "orchestration/management.h"
#include "orchestration/orchestration.h"

/* $1 owners, $2 now_ms, $3 extend ms, $4 idle timeout ms */
static const StmtDef renew_sessions = {
	"orchestration.renew_session_lock",
	"WITH s AS ("
	"  SELECT s.session_id FROM @schema@.sessions s"
	"   WHERE s.worker_id = ANY ($1) AND s.locked_until > $2"
	"     AND s.last_activity_at > $2 - $4"
	"   ORDER BY s.session_id FOR UPDATE),"
	" u AS ("
	"  UPDATE @schema@.sessions t SET locked_until = $2 + $3"
	"    FROM s WHERE t.session_id = s.session_id"
	"     AND t.worker_id = ANY ($1) AND t.locked_until > $2"
	"     AND t.last_activity_at > $2 - $4"
	"  RETURNING 1)"
	" SELECT count(*) FROM u",
	4, {TEXTARRAYOID, INT8OID, INT8OID, INT8OID}
};

/* $1 now_ms */
static const StmtDef cleanup_sessions = {
	"orchestration.cleanup_orphaned_sessions",
	"WITH c AS ("
	"  SELECT s.session_id FROM @schema@.sessions s"
	"   WHERE s.locked_until < $1"
	"     AND NOT EXISTS (SELECT 1 FROM @schema@.worker_queue q"
	"                      WHERE q.session_id = s.session_id)"
	"   ORDER BY s.session_id FOR UPDATE OF s SKIP LOCKED),"
	" d AS ("
	"  DELETE FROM @schema@.sessions t USING c"
	"   WHERE t.session_id = c.session_id AND t.locked_until < $1"
	"  RETURNING 1)"
	" SELECT count(*) FROM d",
	1, {INT8OID}
};

PG_FUNCTION_INFO_V1(experiments_orch_renew_session_lock);

/*
 * renew_session_lock(p_owner_ids, p_now_ms, p_extend_ms, p_idle_timeout_ms)
 * -> bigint: sessions of these owners still locked and active within the
 * idle timeout get locked_until = now + extend (milliseconds, unlike the
 * item lock renewals' seconds, as upstream).
 */
Datum
experiments_orch_renew_session_lock(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[4];
	ArrayType  *owners;
	int64		now_ms;
	int64		extend_ms;
	int64		idle_ms;
	Datum		result;
	bool		isnull;

	arg_not_null(fcinfo, 0, "p_owner_ids");
	now_ms = orch_arg_now_ms(fcinfo, 1, "p_now_ms");
	arg_not_null(fcinfo, 2, "p_extend_ms");
	extend_ms = orch_arg_span_ms(fcinfo, 2, "p_extend_ms", 0);
	arg_not_null(fcinfo, 3, "p_idle_timeout_ms");
	idle_ms = orch_arg_span_ms(fcinfo, 3, "p_idle_timeout_ms", 0);
	owners = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(owners) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_owner_ids must be a one-dimensional array")));
	if (ArrayGetNItems(ARR_NDIM(owners), ARR_DIMS(owners)) == 0)
		PG_RETURN_INT64(0);

	api_spi_begin(fcinfo, &guard);
	args[0] = PointerGetDatum(owners);
	args[1] = Int64GetDatum(now_ms);
	args[2] = Int64GetDatum(extend_ms);
	args[3] = Int64GetDatum(idle_ms);
	result = mgmt_scalar(&renew_sessions, hub, args, NULL, false, &isnull);
	api_spi_end(&guard);
	return result;
}

PG_FUNCTION_INFO_V1(experiments_orch_cleanup_orphaned_sessions);

/* cleanup_orphaned_sessions(p_now_ms) -> bigint: sessions deleted */
Datum
experiments_orch_cleanup_orphaned_sessions(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];
	Datum		result;
	bool		isnull;

	args[0] = Int64GetDatum(orch_arg_now_ms(fcinfo, 0, "p_now_ms"));
	api_spi_begin(fcinfo, &guard);
	result = mgmt_scalar(&cleanup_sessions, hub, args, NULL, false, &isnull);
	api_spi_end(&guard);
	return result;
}
