/*-------------------------------------------------------------------------
 *
 * management.h
 *	  Shared pieces of the orchestration domain's part 2 (status, KV,
 *	  statistics, management, deletion, pruning, session maintenance).
 *
 * Entry points, one concern per file:
 *	  sessions.c      renew_session_lock, cleanup_orphaned_sessions
 *	  status_kv.c     get_custom_status, get_kv_value, get_kv_all_values,
 *	                  get_instance_stats
 *	  listing.c       list_instances, list_instances_by_status,
 *	                  list_executions, latest_execution_id,
 *	                  get_instance_info, get_execution_info,
 *	                  list_children, get_parent_id
 *	  metrics.c       get_system_metrics, get_queue_depths
 *	  deletion.c      delete_instances_atomic, prune_executions
 *	  mgmt_util.c     what this header declares
 *
 * Everything else (hub, times, lock order) is orchestration.h's.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCH_MANAGEMENT_H
#define EXPERIMENTS_ORCH_MANAGEMENT_H

#include "postgres.h"
#include "fmgr.h"
#include "common/stmt.h"

/*
 * Run a read statement of the hub returning at most one row of one column
 * and give that value back copied out of SPI memory (call between
 * api_spi_begin and api_spi_end).  *isnull is set when there is no row or
 * the value is NULL.
 */
extern Datum mgmt_scalar(const StmtDef *def, const char *hub, Datum *args,
						 const char *nulls, bool read_only, bool *isnull);

/* Error texts of the duroxide-pg contract this part raises. */
#define ORCH_ERR_NOT_FOUND_PARENT "Instance not found: %s"
#define ORCH_ERR_NOT_FOUND_PRUNE "Instance %s not found"
#define ORCH_ERR_RUNNING "Instance %s is Running. Use force=true to delete."
#define ORCH_ERR_ORPHAN "Orphan detected: instance %s has parent in delete list but is not included"

#endif							/* EXPERIMENTS_ORCH_MANAGEMENT_H */
