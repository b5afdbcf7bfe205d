-- Orchestration demo: one durable orchestration driven through the provider
-- functions the way duroxide's runtime drives them - start, a turn that
-- schedules two activities, a worker running them, the turn that completes
-- the orchestration - in a hub of its own, demo_hub.  The calls run as
-- demo_app (granted every domain by 00_access.sql); times are epoch ms.
--
-- Try, as demo_app:
--   SELECT * FROM demo_hub.fetch_history('demo-order-1');
--   SELECT * FROM demo_hub.fetch_history_with_execution('demo-order-1', 1);
\set ON_ERROR_STOP on

-- idempotent: a re-run starts from a fresh hub
SET client_min_messages = warning;
SELECT experiments.initialize_schema('demo_hub');
SELECT demo_hub.cleanup_schema();
RESET client_min_messages;

SET ROLE demo_app;
SELECT experiments.initialize_schema('demo_hub');

-- the client starts an orchestration
SELECT demo_hub.enqueue_orchestrator_work('demo-order-1',
    '{"StartOrchestration": {"instance": "demo-order-1", "orchestration": "ShipOrder",
      "input": "{\"items\": 2}", "version": "1.0.0", "parent_instance": null,
      "parent_id": null, "execution_id": 1}}',
    to_timestamp(1767225600));

-- turn 1: the orchestrator dispatcher takes the instance and schedules two activities
SELECT out_instance_id, out_orchestration_name, out_execution_id, out_attempt_count,
       jsonb_array_length(out_messages) AS messages, out_lock_token AS tok
  FROM demo_hub.fetch_orchestration_item(1767225600100, 5000) \gset
SELECT demo_hub.ack_orchestration_item(:'tok', 1767225600200, 1,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"event_id\": 1, \"type\": \"OrchestrationStarted\", \"name\": \"ShipOrder\", \"version\": \"1.0.0\", \"input\": \"{}\"}"},
      {"event_id": 2, "event_type": "Event", "event_data": "{\"event_id\": 2, \"type\": \"ActivityScheduled\", \"name\": \"Reserve\", \"input\": \"1\"}"},
      {"event_id": 3, "event_type": "Event", "event_data": "{\"event_id\": 3, \"type\": \"ActivityScheduled\", \"name\": \"Reserve\", \"input\": \"2\"}"}]',
    '[{"ActivityExecute": {"instance": "demo-order-1", "execution_id": 1, "id": 2, "name": "Reserve", "input": "1"}},
      {"ActivityExecute": {"instance": "demo-order-1", "execution_id": 1, "id": 3, "name": "Reserve", "input": "2"}}]',
    '[]',
    '{"orchestration_name": "ShipOrder", "orchestration_version": "1.0.0", "status": "Running",
      "custom_status_action": "set", "custom_status_value": "reserving"}');

-- the worker dispatcher runs both activities and reports their completions
SELECT out_lock_token AS w1 FROM demo_hub.fetch_work_item(1767225600300, 30000) \gset
SELECT out_lock_token AS w2 FROM demo_hub.fetch_work_item(1767225600300, 30000) \gset
SELECT demo_hub.ack_worker(:'w1', 'demo-order-1',
    '{"ActivityCompleted": {"instance": "demo-order-1", "execution_id": 1, "id": 2, "result": "\"ok\""}}',
    1767225600400);
SELECT demo_hub.ack_worker(:'w2', 'demo-order-1',
    '{"ActivityCompleted": {"instance": "demo-order-1", "execution_id": 1, "id": 3, "result": "\"ok\""}}',
    1767225600400);

-- turn 2: both completions arrive in one batch; the orchestration completes
SELECT jsonb_array_length(out_history) AS history, jsonb_array_length(out_messages) AS messages,
       out_lock_token AS tok
  FROM demo_hub.fetch_orchestration_item(1767225600500, 5000) \gset
SELECT demo_hub.ack_orchestration_item(:'tok', 1767225600600, 1,
    '[{"event_id": 4, "event_type": "Event", "event_data": "{\"event_id\": 4, \"type\": \"ActivityCompleted\", \"source_event_id\": 2, \"result\": \"ok\"}"},
      {"event_id": 5, "event_type": "Event", "event_data": "{\"event_id\": 5, \"type\": \"ActivityCompleted\", \"source_event_id\": 3, \"result\": \"ok\"}"},
      {"event_id": 6, "event_type": "Event", "event_data": "{\"event_id\": 6, \"type\": \"OrchestrationCompleted\", \"output\": \"shipped\"}"}]',
    '[]', '[]',
    '{"orchestration_name": "ShipOrder", "orchestration_version": "1.0.0", "status": "Completed",
      "output": "shipped", "custom_status_action": "set", "custom_status_value": "done"}');

SELECT out_event_data::jsonb ->> 'type' AS event FROM demo_hub.fetch_history('demo-order-1');
RESET ROLE;
