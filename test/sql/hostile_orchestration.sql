-- The hostile caller (SPEC section 4) against the orchestration routines,
-- in the default hub and in a hub made by the hostile role itself.

\i test/sql/include/hostile_setup.sql

SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;

-- a whole turn in the default hub: enqueue, fetch, ack, worker, history
SELECT experiments.enqueue_orchestrator_work('hostile-i',
    '{"StartOrchestration": {"instance": "hostile-i", "orchestration": "H", "input": "", "execution_id": 1}}',
    pg_catalog.to_timestamp(1));
SELECT out_instance_id, out_orchestration_name, out_orchestration_version, out_execution_id,
       out_history, out_attempt_count, out_kv_snapshot
  FROM experiments.fetch_orchestration_item(1000, 30000);
SELECT out_lock_token AS orch_tok FROM experiments.fetch_orchestration_item(1000, 30000);
RESET ROLE;
SELECT lock_token AS orch_tok FROM experiments.instance_locks
 WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i' \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.renew_orchestration_item_lock(:'orch_tok', 1500, 30);
SELECT experiments.ack_orchestration_item(:'orch_tok', 2000, 1,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"type\": \"OrchestrationStarted\", \"name\": \"H\"}"}]',
    '[{"ActivityExecute": {"instance": "hostile-i", "execution_id": 1, "id": 2, "name": "A", "input": "", "session_id": "hs"}},
      {"ActivityExecute": {"instance": "hostile-i", "execution_id": 1, "id": 3, "name": "B", "input": "", "tag": "t"}}]',
    '[{"TimerFired": {"instance": "hostile-i", "execution_id": 1, "id": 4, "fire_at_ms": 5000}}]',
    '{"orchestration_name": "H", "orchestration_version": "1", "status": "Running",
      "custom_status_action": "set", "custom_status_value": "s",
      "pinned_duroxide_version": {"major": 0, "minor": 1, "patch": 29},
      "kv_mutations": [{"action": "set", "key": "k", "value": "v"}, {"action": "clear_all"}]}',
    '[{"instance": "hostile-i", "execution_id": 1, "activity_id": 99}]');
SELECT experiments.enqueue_worker_work('{"ActivityExecute": {}}', 2000, 'hostile-i', 1, 7, NULL, NULL);
SELECT out_work_item, out_attempt_count FROM experiments.fetch_work_item(2100, 30000, 'hw', 10000, ARRAY['t'], 'default_and');
SELECT out_work_item, out_attempt_count FROM experiments.fetch_work_item(2100, 30000, 'hw', 10000, ARRAY['t'], 'any');
RESET ROLE;
SELECT pg_catalog.string_agg(lock_token, ',' ORDER BY id) AS work_toks
  FROM experiments.worker_queue WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i'
   AND lock_token IS NOT NULL \gset
SELECT pg_catalog.split_part(:'work_toks', ',', 1) AS wt1, pg_catalog.split_part(:'work_toks', ',', 2) AS wt2 \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.renew_work_item_lock(:'wt1', 2200, 10);
SELECT experiments.abandon_work_item(:'wt2', 2200, 100, true);
SELECT experiments.ack_worker(:'wt1', 'hostile-i',
    '{"ActivityCompleted": {"instance": "hostile-i", "execution_id": 1, "id": 2, "result": ""}}', 2300);
SELECT out_instance_id, pg_catalog.jsonb_array_length(out_messages) AS messages
  FROM experiments.fetch_orchestration_item(6000, 30000);
RESET ROLE;
SELECT lock_token AS orch_tok FROM experiments.instance_locks
 WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i' \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.abandon_orchestration_item(:'orch_tok', 6100, 10, false);
SELECT experiments.append_history('hostile-i', 1,
    '[{"event_id": 2, "event_type": "Event", "event_data": "{\"type\": \"ActivityScheduled\"}"}]');
SELECT * FROM experiments.fetch_history('hostile-i');
SELECT * FROM experiments.fetch_history_with_execution('hostile-i', 1);

-- a hub of the hostile role's own, under a name that needs quoting
SELECT experiments.initialize_schema('hostile hub');
SELECT "hostile hub".enqueue_orchestrator_work('x', '{"QueueMessage": {"instance": "x", "name": "n", "data": ""}}',
                                               pg_catalog.to_timestamp(0));
SELECT out_instance_id, out_orchestration_name FROM "hostile hub".fetch_orchestration_item(0, 1000);
SELECT "hostile hub".cleanup_schema();
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;

-- what the calls wrote, read back as a superuser
SELECT orchestration_name, current_execution_id, custom_status, custom_status_version
  FROM experiments.instances WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
SELECT key, value FROM experiments.kv_delta WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
SELECT event_id, event_type FROM experiments.history
 WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i' ORDER BY event_id;
SELECT activity_id, session_id, tag FROM experiments.worker_queue
 WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i' ORDER BY id;
SELECT session_id, worker_id FROM experiments.sessions;
DELETE FROM experiments.instances WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
DELETE FROM experiments.executions WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
DELETE FROM experiments.history WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
DELETE FROM experiments.orchestrator_queue WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
DELETE FROM experiments.worker_queue WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
DELETE FROM experiments.instance_locks WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
DELETE FROM experiments.sessions WHERE worker_id OPERATOR(pg_catalog.=) 'hw';
DELETE FROM experiments.kv_delta WHERE instance_id OPERATOR(pg_catalog.=) 'hostile-i';
RESET search_path;

\i test/sql/include/hostile_teardown.sql
