-- The hostile caller (SPEC section 4) against the orchestration part 2
-- routines: status, KV, statistics, management, metrics, sessions,
-- deletion and pruning, in the default hub.

\i test/sql/include/hostile_setup.sql

-- an instance to read: two executions, custom status, KV in store and
-- delta, a child, a session, a pending message and work item (set up by
-- part 1's routines, as the hostile role)
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.enqueue_orchestrator_work('hm-p',
    '{"StartOrchestration": {"instance": "hm-p", "orchestration": "H", "input": "", "execution_id": 1}}',
    pg_catalog.to_timestamp(1));
RESET ROLE;
SELECT out_lock_token AS tok FROM experiments.fetch_orchestration_item(1000, 30000) \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.ack_orchestration_item(:'tok', 1000, 1,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"type\": \"OrchestrationStarted\", \"name\": \"H\"}"},
      {"event_id": 2, "event_type": "Event", "event_data": "{\"type\": \"OrchestrationContinuedAsNew\"}"}]',
    '[]',
    '[{"ContinueAsNew": {"instance": "hm-p", "orchestration": "H", "input": ""}}]',
    '{"orchestration_name": "H", "orchestration_version": "1", "status": "ContinuedAsNew",
      "custom_status_action": "set", "custom_status_value": "hostile status",
      "kv_mutations": [{"action": "set", "key": "a", "value": "1"}, {"action": "set", "key": "b", "value": "2"}]}');
RESET ROLE;
SELECT out_lock_token AS tok FROM experiments.fetch_orchestration_item(2000, 30000) \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.ack_orchestration_item(:'tok', 2000, 2,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"type\": \"OrchestrationStarted\", \"name\": \"H\", \"carry_forward_events\": [[\"e\", \"1\"]]}"}]',
    '[{"ActivityExecute": {"instance": "hm-p", "execution_id": 2, "id": 2, "name": "A", "input": "", "session_id": "hm-s"}}]',
    '[]',
    '{"orchestration_name": "H", "orchestration_version": "1", "status": "Running",
      "kv_mutations": [{"action": "clear_key", "key": "a"}, {"action": "set", "key": "c", "value": "3"}]}');
SELECT experiments.enqueue_orchestrator_work('hm-c',
    '{"StartOrchestration": {"instance": "hm-c", "orchestration": "H", "input": "", "execution_id": 1}}',
    pg_catalog.to_timestamp(3));
RESET ROLE;
SELECT out_lock_token AS tok FROM experiments.fetch_orchestration_item(3000, 30000) \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.ack_orchestration_item(:'tok', 3000, 1, '[]', '[]', '[]',
    '{"orchestration_name": "H", "orchestration_version": "1", "status": "Completed",
      "parent_instance_id": "hm-p"}');
SELECT out_attempt_count FROM experiments.fetch_work_item(3000, 30000, 'hm-w', 10000);

-- the part 2 routines
SELECT * FROM experiments.get_custom_status('hm-p', 0);
SELECT * FROM experiments.get_kv_value('hm-p', 'a');
SELECT * FROM experiments.get_kv_value('hm-p', 'b');
SELECT * FROM experiments.get_kv_all_values('hm-p');
SELECT out_found, out_history_event_count, out_queue_pending_count, out_kv_user_key_count,
       out_kv_total_value_bytes
  FROM experiments.get_instance_stats('hm-p');
SELECT count(*) >= 2 AS listed FROM experiments.list_instances();
SELECT * FROM experiments.list_instances_by_status('Completed') WHERE instance_id LIKE 'hm-%';
SELECT * FROM experiments.list_executions('hm-p');
SELECT experiments.latest_execution_id('hm-p');
SELECT instance_id, orchestration_name, orchestration_version, current_execution_id, status, parent_instance_id
  FROM experiments.get_instance_info('hm-c');
SELECT execution_id, status, event_count FROM experiments.get_execution_info('hm-p', 1);
-- (other tests' rows may share the default hub: counts are lower bounds)
SELECT total_instances >= 2 AS instances, total_executions >= 3 AS executions,
       running_instances >= 1 AS running, completed_instances >= 1 AS completed,
       failed_instances >= 0 AS failed, total_events >= 3 AS events
  FROM experiments.get_system_metrics();
SELECT orchestrator_queue >= 0 AS orchestrator_queue, worker_queue >= 0 AS worker_queue
  FROM experiments.get_queue_depths(3000);
SELECT * FROM experiments.list_children('hm-p');
SELECT experiments.get_parent_id('hm-c');
SELECT experiments.renew_session_lock(ARRAY['hm-w'], 3500, 20000, 60000);
SELECT experiments.cleanup_orphaned_sessions(100000);
SELECT * FROM experiments.prune_executions('hm-p', 1);
SELECT * FROM experiments.prune_executions('hm-p', NULL, 100000);
\set VERBOSITY terse
SELECT * FROM experiments.delete_instances_atomic(ARRAY['hm-p'], false);
SELECT * FROM experiments.delete_instances_atomic(ARRAY['hm-p'], true);
\set VERBOSITY default
SELECT * FROM experiments.delete_instances_atomic(ARRAY['hm-c', 'hm-p'], true);
SELECT experiments.cleanup_orphaned_sessions(100000);
SELECT current_user AS still_hostile;

-- what the calls left: nothing of the two instances, no session
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT (SELECT count(*) FROM experiments.instances WHERE instance_id OPERATOR(pg_catalog.=) ANY ('{hm-p,hm-c}'))
     + (SELECT count(*) FROM experiments.history WHERE instance_id OPERATOR(pg_catalog.=) ANY ('{hm-p,hm-c}'))
     + (SELECT count(*) FROM experiments.kv_store WHERE instance_id OPERATOR(pg_catalog.=) ANY ('{hm-p,hm-c}'))
     + (SELECT count(*) FROM experiments.kv_delta WHERE instance_id OPERATOR(pg_catalog.=) ANY ('{hm-p,hm-c}'))
     + (SELECT count(*) FROM experiments.worker_queue WHERE instance_id OPERATOR(pg_catalog.=) ANY ('{hm-p,hm-c}'))
     + (SELECT count(*) FROM experiments.sessions WHERE worker_id OPERATOR(pg_catalog.=) 'hm-w')
       AS rows_left;
RESET search_path;

\i test/sql/include/hostile_teardown.sql
