/*-------------------------------------------------------------------------
 *
 * complete.c
 *	  sp_complete_recording(): mark a recording done, store its segments
 *	  and charge its seconds to the cycle, in one statement.
 *
 * Order of work:
 *	1. NULL checks (22004).
 *	2. Lock the recording FOR UPDATE: unknown -> P0002, not 'processing'
 *	   -> 55000.  A concurrent completion of the same recording waits here
 *	   and then finds it done.
 *	3. Check in_duration_ms and decode in_segments (22023).
 *	4. The segments are appended without SQL (src/common/append.c): the
 *	   lock of step 2 holds the guarantee their foreign key checks would
 *	   take, one query per segment.  Then one statement updates the
 *	   recording and the subscription's used_seconds.  When the segments
 *	   table is not as shipped (a user trigger, row-level security...),
 *	   one statement does all three: the recording's UPDATE, the
 *	   segments' INSERT from unnest() of four arrays, and used_seconds.
 *
 * A failure in step 3 marks the recording 'failed' with the reason in
 * meta.error -- but a mark written in the caller's transaction would be
 * rolled back with it (the seed's defect), so the mark is only written when
 * the procedure may commit on its own: CALLed outside a transaction block.
 * Then step 3 runs in a subtransaction, the mark is committed, and the
 * error is raised in the fresh transaction that follows.  Inside a
 * transaction block the error is raised as is and nothing is written.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "common/append.h"
#include "common/args.h"
#include "common/guard.h"
#include "common/stmt.h"
#include "common/subxact.h"
#include "common/uuid.h"
#include "quota/complete.h"
#include "quota/nonatomic.h"
#include "quota/quota.h"
#include "quota/segments.h"

static const StmtDef lock_recording = {
	"quota.complete.lock_recording",
	"SELECT status FROM experiments.recordings WHERE id = $1 FOR UPDATE",
	1, {UUIDOID}
};

static const StmtDef complete_recording = {
	"quota.complete.complete_recording",
	"WITH r AS ("
	"  UPDATE experiments.recordings"
	"     SET status = 'done', duration_ms = $2, completed_at = pg_catalog.now()"
	"   WHERE id = $1"
	"  RETURNING user_id),"
	" s AS ("
	"  INSERT INTO experiments.segments (recording_id, idx, start_ms, end_ms, text)"
	"  SELECT $1, u.idx, u.start_ms, u.end_ms, u.text"
	"    FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4),"
	"                    pg_catalog.unnest($5), pg_catalog.unnest($6))"
	"         AS u (idx, start_ms, end_ms, text)),"
	" c AS ("
	"  UPDATE experiments.user_subscriptions sub"
	"     SET used_seconds = LEAST(sub.used_seconds::int8 + $7, 2147483647)::int4"
	"    FROM r"
	"   WHERE sub.user_id = r.user_id)"
	" SELECT r.user_id FROM r",
	7, {UUIDOID, INT4OID, INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, INT8OID}
};

static const StmtDef finish_recording = {
	"quota.complete.finish_recording",
	"WITH r AS ("
	"  UPDATE experiments.recordings"
	"     SET status = 'done', duration_ms = $2, completed_at = pg_catalog.now()"
	"   WHERE id = $1"
	"  RETURNING user_id)"
	" UPDATE experiments.user_subscriptions sub"
	"    SET used_seconds = LEAST(sub.used_seconds::int8 + $3, 2147483647)::int4"
	"   FROM r"
	"  WHERE sub.user_id = r.user_id",
	3, {UUIDOID, INT4OID, INT8OID}
};

/* The segments, appended by the recording it belongs to (locked in step 2). */
static const AppendDef segment_rows = {
	"segments", 5, {"recording_id", "idx", "start_ms", "end_ms", "text"},
	{UUIDOID, INT4OID, INT4OID, INT4OID, TEXTOID},
	"recording_id", "recordings", "id", NULL, InvalidOid
};

static const StmtDef mark_failed = {
	"quota.complete.mark_failed",
	"UPDATE experiments.recordings"
	"   SET status = 'failed',"
	"       meta = meta || pg_catalog.jsonb_build_object('error',"
	"                pg_catalog.jsonb_build_object('sqlstate', $2, 'message', $3,"
	"                                              'detail', $4,"
	"                                              'failed_at', pg_catalog.now()))"
	" WHERE id = $1 AND status = 'processing'",
	4, {UUIDOID, TEXTOID, TEXTOID, TEXTOID}
};

typedef struct CompleteInput
{
	FunctionCallInfo fcinfo;
	Jsonb	   *segments_arg;
	int32		duration_ms;
	QuotaSegments segments;
} CompleteInput;

/* Step 3: the checks of the payload (a SubxactBody). */
static void
check_payload(void *arg)
{
	CompleteInput *in = (CompleteInput *) arg;

	in->duration_ms = arg_int32_in(in->fcinfo, 1, "in_duration_ms", 0, PG_INT32_MAX);
	quota_decode_segments(in->segments_arg, "in_segments", &in->segments);
}

/* Row number row of the segments (an AppendRowFn). */
static void
segment_row(void *arg, int row, Datum *values, bool *isnull)
{
	CompleteInput *in = (CompleteInput *) arg;

	values[0] = in->fcinfo->args[0].value;
	values[1] = Int32GetDatum(in->segments.v_idx[row]);
	values[2] = Int32GetDatum(in->segments.v_start_ms[row]);
	values[3] = Int32GetDatum(in->segments.v_end_ms[row]);
	values[4] = in->segments.v_text[row];
	memset(isnull, 0, sizeof(bool) * 5);
}

PG_FUNCTION_INFO_V1(experiments_sp_complete_recording);

/*
 * experiments_sp_complete_recording(in_recording_id, in_duration_ms,
 * in_segments): PROCEDURE.
 */
Datum
experiments_sp_complete_recording(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	ApiGuard	guard;
	CompleteInput in;
	bool		nonatomic = quota_call_is_nonatomic(fcinfo);
	Datum		args[7];
	char		nulls[7];
	char	   *status;
	CaughtError err;

	arg_not_null(fcinfo, 0, "in_recording_id");
	arg_not_null(fcinfo, 1, "in_duration_ms");
	arg_not_null(fcinfo, 2, "in_segments");
	memset(&in, 0, sizeof(in));
	in.fcinfo = fcinfo;
	/* detoasted into the call's memory, which outlives a commit */
	in.segments_arg = PG_GETARG_JSONB_P(2);

	if (nonatomic)
		quota_spi_begin_nonatomic(fcinfo, &guard);
	else
		api_spi_begin(fcinfo, &guard);

	args[0] = PG_GETARG_DATUM(0);
	if (stmt_run(&lock_recording, NULL, args, NULL, false, 0, SPI_OK_SELECT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("recording %s not found", uuid_cstring(args[0]))));
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (strcmp(status, "processing") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 strcmp(status, "done") == 0 ?
				 errmsg("recording is already completed") :
				 errmsg("recording has failed"),
				 errdetail("Recording %s has status \"%s\"; only a recording in status \"processing\" can be completed.",
						   uuid_cstring(args[0]), status)));

	if (!nonatomic)
		check_payload(&in);
	else if (!subxact_run(check_payload, &in, &err))
	{
		/* the error must outlive SPI's memory, which SPI_finish frees */
		err.message = MemoryContextStrdup(caller, err.message);
		if (err.detail != NULL)
			err.detail = MemoryContextStrdup(caller, err.detail);
		if (err.hint != NULL)
			err.hint = MemoryContextStrdup(caller, err.hint);

		memset(nulls, ' ', sizeof(nulls));
		args[1] = CStringGetTextDatum(err.sqlstate);
		args[2] = CStringGetTextDatum(err.message);
		if (err.detail != NULL)
			args[3] = CStringGetTextDatum(err.detail);
		else
		{
			args[3] = (Datum) 0;
			nulls[3] = 'n';
		}
		(void) stmt_run(&mark_failed, NULL, args, nulls, false, 0, SPI_OK_UPDATE);
		quota_commit(&guard);
		api_spi_end(&guard);
		ereport(ERROR,
				(errcode(err.sqlerrcode),
				 errmsg_internal("%s", err.message),
				 err.detail ? errdetail_internal("%s", err.detail) : 0,
				 err.hint ? errhint("%s", err.hint) : 0,
				 errcontext("recording %s was marked failed",
							uuid_cstring(PG_GETARG_DATUM(0)))));
	}

	args[1] = Int32GetDatum(in.duration_ms);
	if (append_rows(&segment_rows, in.segments.count, segment_row, &in, NULL) == NULL)
	{
		args[2] = Int64GetDatum(QUOTA_CHARGED_SECONDS(in.duration_ms));
		(void) stmt_run(&finish_recording, NULL, args, NULL, false, 0, SPI_OK_UPDATE);
	}
	else
	{
		quota_segments_arrays(&in.segments);
		args[2] = in.segments.idx;
		args[3] = in.segments.start_ms;
		args[4] = in.segments.end_ms;
		args[5] = in.segments.text;
		args[6] = Int64GetDatum(QUOTA_CHARGED_SECONDS(in.duration_ms));
		(void) stmt_run(&complete_recording, NULL, args, NULL, false, 0, SPI_OK_SELECT);
	}

	api_spi_end(&guard);
	PG_RETURN_VOID();
}
