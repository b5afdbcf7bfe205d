/*-------------------------------------------------------------------------
 *
 * orchestration.h
 *	  Shared pieces of the orchestration domain (seed 001): the duroxide-pg
 *	  provider functions, per hub.
 *
 * Entry points live one concern per file:
 *	  hubs.c          initialize_schema, cleanup_schema
 *	  fetch_orch.c    fetch_orchestration_item
 *	  ack_orch.c      ack_orchestration_item
 *	  orch_queue.c    abandon_orchestration_item, renew_orchestration_item_lock,
 *	                  enqueue_orchestrator_work
 *	  worker.c        enqueue_worker_work, fetch_work_item, ack_worker,
 *	                  renew_work_item_lock, abandon_work_item
 *	  history.c       fetch_history, fetch_history_with_execution,
 *	                  append_history (and the history batch decoder of history.h)
 *	  workitem.c      reading WorkItem JSON (workitem.h)
 *	  lease.c         fetches' claims commit without waiting for the disk
 *	  hub.c           what this header declares
 *
 * Hubs.  Every function exists once per hub (the extension schema is the
 * default hub); the C code learns its hub from the schema of the function
 * called (orch_hub) and runs its statements there: statement texts say
 * @schema@ for the hub and the statement cache keeps one plan per hub.
 *
 * Lock order.  Whatever touches an instance's queue rows takes the
 * instance's instance_locks row first (fetch claims it with an upsert; ack,
 * abandon and renew lock it by token), then the queue rows.  Worker items:
 * the worker_queue row first, then its session row.  New code must keep
 * this order, or concurrent fetches and acks can deadlock.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCHESTRATION_H
#define EXPERIMENTS_ORCHESTRATION_H

#include "postgres.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "common/stmt.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"

/*
 * Epoch milliseconds accepted as times: 0 (1970) up to the start of the
 * year 10000, so that now + a timeout and the conversion to timestamptz can
 * neither overflow nor leave timestamptz's range.
 */
#define ORCH_MAX_MS INT64CONST(253402300800000)

/* The longest lock timeout or delay accepted: 100 years, in ms. */
#define ORCH_MAX_SPAN_MS INT64CONST(3155760000000)

/*
 * Every statement of the domain is planned once, generically: their plans do
 * not depend on parameter values (keys, tokens, times), and re-planning a
 * CTE statement per call would cost more than running it.
 */
#define orch_run(def, hub, values, nulls, read_only, count, expect_rc) \
	stmt_run_opts((def), (hub), (values), (nulls), (read_only), (count), (expect_rc), \
				  CURSOR_OPT_GENERIC_PLAN)

/* Longest instance id accepted where one is an argument (bytes; btree limit). */
#define ORCH_MAX_ID 1024

/* Error strings of the duroxide-pg contract (clients match on them). */
#define ORCH_ERR_INVALID_LOCK_TOKEN "Invalid lock token"
#define ORCH_ERR_RENEW_ORCH "Lock token invalid, expired, or already released"
#define ORCH_ERR_ACK_WORKER "Worker queue item not found or already processed"
#define ORCH_ERR_RENEW_WORKER "Lock token invalid, expired, or already acked"
#define ORCH_ERR_ABANDON_WORKER "Invalid lock token or already acked"

/*
 * Leases (lease.c): a fetch calls orch_lease_begin() before its first write
 * and orch_lease_end(that result) after its last; when the claim is all the
 * transaction writes, its commit does not wait for the WAL flush.
 */
extern bool orch_lease_begin(void);
extern void orch_lease_end(bool alone);

/* The hub (schema name) of the function being called. */
extern const char *orch_hub(FunctionCallInfo fcinfo);

/* Is this the default hub (the extension schema)? */
extern bool orch_hub_is_default(const char *hub);

/* Epoch milliseconds as a timestamptz, exactly (no float on the way). */
extern TimestampTz orch_ms_to_timestamptz(int64 ms);

/* Argument argno as epoch ms in [0, ORCH_MAX_MS] (22004 NULL, 22023 outside). */
extern int64 orch_arg_now_ms(FunctionCallInfo fcinfo, int argno, const char *name);

/* Argument argno as a span in [0, ORCH_MAX_SPAN_MS]; NULL gives dflt. */
extern int64 orch_arg_span_ms(FunctionCallInfo fcinfo, int argno, const char *name,
							  int64 dflt);

/* A lock token, "lock_" and a random UUID, as text. */
extern Datum orch_new_lock_token(void);

/*
 * A work item's token is a lock token, '.' and the item's id: the worker
 * queue has no index on lock_token (its lock must be a heap-only update),
 * so ack, renew and abandon find the item by its id, then compare the whole
 * token.  The id of such a token; false when token does not end in one.
 */
extern bool orch_token_item_id(text *token, int64 *id);

/* Raise 55000 with msg (the lock token was invalid, expired or used). */
extern void orch_lock_error(const char *msg) pg_attribute_noreturn();

/*
 * Check that text is a JSON object (22P02 when not JSON, 22023 when not an
 * object); what is stored as a work item must come back through ::jsonb.
 */
extern void orch_check_json_object(text *value, const char *name);

/*
 * Materialize mode for a function returning TABLE(one column): its result
 * type is the column's, not a row type, so srf_begin() does not apply.
 * Rows are then added with srf_put / srf_put_spi_rows as usual.
 */
extern void orch_srf_begin_scalar(FunctionCallInfo fcinfo, const char *column, Oid type);

#endif							/* EXPERIMENTS_ORCHESTRATION_H */
