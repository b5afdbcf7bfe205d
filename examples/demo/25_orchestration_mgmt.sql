-- Orchestration management demo: a hub demo_mgmt with an order instance
-- (custom status, a KV key, continued as new once, a running second
-- execution) and its completed child, for trying the management reads.
-- The calls run as demo_app (granted every domain by 00_access.sql).
--
-- Try, as demo_app:
--   SELECT * FROM demo_mgmt.get_instance_info('demo-order');
--   SELECT * FROM demo_mgmt.list_children('demo-order');
--   SELECT * FROM demo_mgmt.get_kv_all_values('demo-order');
--   SELECT * FROM demo_mgmt.get_system_metrics();
--   SELECT * FROM demo_mgmt.get_queue_depths(1767225700000);
--   SELECT * FROM demo_mgmt.prune_executions('demo-order', 1);
--   SELECT * FROM demo_mgmt.delete_instances_atomic(ARRAY['demo-order', 'demo-ship'], true);
\set ON_ERROR_STOP on

-- idempotent: a re-run starts from a fresh hub
DO $$
BEGIN
    IF to_regnamespace('demo_mgmt') IS NOT NULL THEN
        PERFORM demo_mgmt.cleanup_schema();
    END IF;
END $$;
SET ROLE demo_app;
SELECT experiments.initialize_schema('demo_mgmt');

CREATE TEMP TABLE demo_tok (token text);
GRANT ALL ON demo_tok TO demo_app;

-- demo-order: started, custom status "charging", KV cart
SELECT demo_mgmt.enqueue_orchestrator_work('demo-order',
    '{"StartOrchestration": {"instance": "demo-order", "orchestration": "Order", "input": "{}", "version": "1.0.0", "execution_id": 1}}',
    to_timestamp(1767225600));
INSERT INTO demo_tok SELECT out_lock_token FROM demo_mgmt.fetch_orchestration_item(1767225600000, 30000);
SELECT demo_mgmt.ack_orchestration_item((SELECT token FROM demo_tok), 1767225600000, 1,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"event_id\": 1, \"type\": \"OrchestrationStarted\", \"name\": \"Order\"}"}]',
    '[]',
    '[{"StartOrchestration": {"instance": "demo-ship", "orchestration": "Ship", "input": "{}", "version": "1.0.0", "parent_instance": "demo-order", "parent_id": 2, "execution_id": 1}}]',
    '{"orchestration_name": "Order", "orchestration_version": "1.0.0", "status": "Running",
      "custom_status_action": "set", "custom_status_value": "charging",
      "kv_mutations": [{"action": "set", "key": "cart", "value": "3 items"}]}');
TRUNCATE demo_tok;

-- demo-ship: a child that completes
INSERT INTO demo_tok SELECT out_lock_token FROM demo_mgmt.fetch_orchestration_item(1767225601000, 30000);
SELECT demo_mgmt.ack_orchestration_item((SELECT token FROM demo_tok), 1767225601000, 1,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"event_id\": 1, \"type\": \"OrchestrationStarted\", \"name\": \"Ship\"}"},
      {"event_id": 2, "event_type": "Event", "event_data": "{\"event_id\": 2, \"type\": \"OrchestrationCompleted\", \"output\": \"shipped\"}"}]',
    '[]',
    '[{"SubOrchCompleted": {"parent_instance": "demo-order", "parent_execution_id": 1, "parent_id": 2, "result": "shipped"}}]',
    '{"orchestration_name": "Ship", "orchestration_version": "1.0.0", "status": "Completed",
      "output": "shipped", "parent_instance_id": "demo-order"}');
TRUNCATE demo_tok;

-- demo-order continues as new; its second execution runs
INSERT INTO demo_tok SELECT out_lock_token FROM demo_mgmt.fetch_orchestration_item(1767225602000, 30000);
SELECT demo_mgmt.ack_orchestration_item((SELECT token FROM demo_tok), 1767225602000, 1,
    '[{"event_id": 2, "event_type": "Event", "event_data": "{\"event_id\": 2, \"type\": \"OrchestrationContinuedAsNew\", \"input\": \"{}\"}"}]',
    '[]',
    '[{"ContinueAsNew": {"instance": "demo-order", "orchestration": "Order", "input": "{}", "version": "1.0.0"}}]',
    '{"orchestration_name": "Order", "orchestration_version": "1.0.0", "status": "ContinuedAsNew"}');
TRUNCATE demo_tok;
INSERT INTO demo_tok SELECT out_lock_token FROM demo_mgmt.fetch_orchestration_item(1767225603000, 30000);
SELECT demo_mgmt.ack_orchestration_item((SELECT token FROM demo_tok), 1767225603000, 2,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"event_id\": 1, \"type\": \"OrchestrationStarted\", \"name\": \"Order\"}"}]',
    '[]', '[]',
    '{"orchestration_name": "Order", "orchestration_version": "1.0.0", "status": "Running"}');
RESET ROLE;
DROP TABLE demo_tok;

SELECT * FROM demo_mgmt.get_instance_info('demo-order');
SELECT * FROM demo_mgmt.list_children('demo-order');
SELECT * FROM demo_mgmt.get_system_metrics();
