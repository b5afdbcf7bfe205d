--------------------------------------------------------------------------
-- Orchestration domain, part 2: sessions maintenance, custom status and
-- key-value reads, instance statistics, management listings, metrics,
-- deletion and pruning.  Tables: sql/src/200_orchestration.sql.
-- Routines: src/orchestration/{sessions,status_kv,listing,metrics,
-- deletion}.c; reference: docs/reference/orchestration-management.md.
--
-- Every function here is registered with domain 'orchestration', so
-- initialize_schema() copies it into each hub like part 1's.
--------------------------------------------------------------------------

-- Indexes the management reads need on a large hub (copied into hubs by
-- initialize_schema along with the tables' own).
CREATE INDEX idx_instances_created ON experiments.instances (created_at, instance_id);
CREATE INDEX idx_executions_status ON experiments.executions (status, instance_id, execution_id);
CREATE INDEX idx_sessions_worker ON experiments.sessions (worker_id);
CREATE INDEX idx_sessions_locked_until ON experiments.sessions (locked_until);

--------------------------------------------------------------------------
-- Sessions
--------------------------------------------------------------------------

CREATE FUNCTION experiments.renew_session_lock(
    p_owner_ids       text[],
    p_now_ms          bigint,
    p_extend_ms       bigint,
    p_idle_timeout_ms bigint)
RETURNS bigint
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_renew_session_lock';
COMMENT ON FUNCTION experiments.renew_session_lock(text[], bigint, bigint, bigint) IS
    'orchestration: extend the valid, recently active sessions of these workers; returns how many';

CREATE FUNCTION experiments.cleanup_orphaned_sessions(p_now_ms bigint)
RETURNS bigint
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_cleanup_orphaned_sessions';
COMMENT ON FUNCTION experiments.cleanup_orphaned_sessions(bigint) IS
    'orchestration: delete expired sessions no work item refers to; returns how many';

--------------------------------------------------------------------------
-- Custom status, key-value store, statistics
--------------------------------------------------------------------------

CREATE FUNCTION experiments.get_custom_status(p_instance_id text, p_last_seen_version bigint)
RETURNS TABLE (out_custom_status text, out_custom_status_version bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_get_custom_status';
COMMENT ON FUNCTION experiments.get_custom_status(text, bigint) IS
    'orchestration: the custom status, if its version is newer than p_last_seen_version';

CREATE FUNCTION experiments.get_kv_value(p_instance text, p_key text)
RETURNS TABLE (out_value text, out_found boolean)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_get_kv_value';
COMMENT ON FUNCTION experiments.get_kv_value(text, text) IS
    'orchestration: one key of an instance''s key-value store (running changes first)';

CREATE FUNCTION experiments.get_kv_all_values(p_instance text)
RETURNS TABLE (out_key text, out_value text)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 10
AS 'MODULE_PATHNAME', 'experiments_orch_get_kv_all_values';
COMMENT ON FUNCTION experiments.get_kv_all_values(text) IS
    'orchestration: every live key of an instance''s key-value store, by key';

CREATE FUNCTION experiments.get_instance_stats(p_instance text)
RETURNS TABLE (out_found                boolean,
               out_history_event_count  bigint,
               out_history_size_bytes   bigint,
               out_queue_pending_count  bigint,
               out_kv_user_key_count    bigint,
               out_kv_total_value_bytes bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_get_instance_stats';
COMMENT ON FUNCTION experiments.get_instance_stats(text) IS
    'orchestration: size of the current execution''s history, carried-forward events, KV size';

--------------------------------------------------------------------------
-- Management reads
--------------------------------------------------------------------------

CREATE FUNCTION experiments.list_instances()
RETURNS TABLE (instance_id text)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_list_instances';
COMMENT ON FUNCTION experiments.list_instances() IS
    'orchestration: every instance id, newest first';

CREATE FUNCTION experiments.list_instances_by_status(p_status text)
RETURNS TABLE (instance_id text)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_list_instances_by_status';
COMMENT ON FUNCTION experiments.list_instances_by_status(text) IS
    'orchestration: the instances whose current execution has this status, newest first';

CREATE FUNCTION experiments.list_executions(p_instance_id text)
RETURNS TABLE (execution_id bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_list_executions';
COMMENT ON FUNCTION experiments.list_executions(text) IS
    'orchestration: the execution ids of an instance, ascending';

CREATE FUNCTION experiments.latest_execution_id(p_instance_id text)
RETURNS bigint
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_latest_execution_id';
COMMENT ON FUNCTION experiments.latest_execution_id(text) IS
    'orchestration: the instance''s current execution id (NULL: no such instance)';

CREATE FUNCTION experiments.get_instance_info(p_instance_id text)
RETURNS TABLE (instance_id           text,
               orchestration_name    text,
               orchestration_version text,
               current_execution_id  bigint,
               created_at            timestamptz,
               updated_at            timestamptz,
               status                text,
               output                text,
               parent_instance_id    text)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_get_instance_info';
COMMENT ON FUNCTION experiments.get_instance_info(text) IS
    'orchestration: an instance and the status and output of its current execution';

CREATE FUNCTION experiments.get_execution_info(p_instance_id text, p_execution_id bigint)
RETURNS TABLE (execution_id bigint,
               status       text,
               output       text,
               started_at   timestamptz,
               completed_at timestamptz,
               event_count  bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_get_execution_info';
COMMENT ON FUNCTION experiments.get_execution_info(text, bigint) IS
    'orchestration: one execution and the number of its history events';

CREATE FUNCTION experiments.get_system_metrics()
RETURNS TABLE (total_instances     bigint,
               total_executions    bigint,
               running_instances   bigint,
               completed_instances bigint,
               failed_instances    bigint,
               total_events        bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_get_system_metrics';
COMMENT ON FUNCTION experiments.get_system_metrics() IS
    'orchestration: counts of instances (by current status), executions and events of the hub';

CREATE FUNCTION experiments.get_queue_depths(p_now_ms bigint)
RETURNS TABLE (orchestrator_queue bigint, worker_queue bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_get_queue_depths';
COMMENT ON FUNCTION experiments.get_queue_depths(bigint) IS
    'orchestration: messages and work items ready to be fetched at p_now_ms';

CREATE FUNCTION experiments.list_children(p_instance_id text)
RETURNS TABLE (child_instance_id text)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_list_children';
COMMENT ON FUNCTION experiments.list_children(text) IS
    'orchestration: the sub-orchestrations of an instance, oldest first';

CREATE FUNCTION experiments.get_parent_id(p_instance_id text)
RETURNS text
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_orch_get_parent_id';
COMMENT ON FUNCTION experiments.get_parent_id(text) IS
    'orchestration: the parent of a sub-orchestration (NULL for a root)';

--------------------------------------------------------------------------
-- Deletion and pruning
--------------------------------------------------------------------------

CREATE FUNCTION experiments.delete_instances_atomic(p_instance_ids text[], p_force boolean)
RETURNS TABLE (instances_deleted      bigint,
               executions_deleted     bigint,
               events_deleted         bigint,
               queue_messages_deleted bigint)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_delete_instances_atomic';
COMMENT ON FUNCTION experiments.delete_instances_atomic(text[], boolean) IS
    'orchestration: delete instances with everything they own, all or nothing';

CREATE FUNCTION experiments.prune_executions(
    p_instance_id          text,
    p_keep_last            integer DEFAULT NULL,
    p_completed_before_ms  bigint  DEFAULT NULL)
RETURNS TABLE (instances_processed bigint,
               executions_deleted  bigint,
               events_deleted      bigint)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_orch_prune_executions';
COMMENT ON FUNCTION experiments.prune_executions(text, integer, bigint) IS
    'orchestration: delete finished old executions of an instance and their history';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.renew_session_lock(text[], bigint, bigint, bigint)',  'orchestration', true),
    ('experiments.cleanup_orphaned_sessions(bigint)',                   'orchestration', true),
    ('experiments.get_custom_status(text, bigint)',                     'orchestration', false),
    ('experiments.get_kv_value(text, text)',                            'orchestration', false),
    ('experiments.get_kv_all_values(text)',                             'orchestration', false),
    ('experiments.get_instance_stats(text)',                            'orchestration', false),
    ('experiments.list_instances()',                                    'orchestration', false),
    ('experiments.list_instances_by_status(text)',                      'orchestration', false),
    ('experiments.list_executions(text)',                               'orchestration', false),
    ('experiments.latest_execution_id(text)',                           'orchestration', false),
    ('experiments.get_instance_info(text)',                             'orchestration', false),
    ('experiments.get_execution_info(text, bigint)',                    'orchestration', false),
    ('experiments.get_system_metrics()',                                'orchestration', false),
    ('experiments.get_queue_depths(bigint)',                            'orchestration', false),
    ('experiments.list_children(text)',                                 'orchestration', false),
    ('experiments.get_parent_id(text)',                                 'orchestration', false),
    ('experiments.delete_instances_atomic(text[], boolean)',            'orchestration', true),
    ('experiments.prune_executions(text, integer, bigint)',             'orchestration', true);
