-- Orchestration part 2: custom status, the key-value store and instance
-- statistics, written by part 1's ack_orchestration_item and read back
-- through get_custom_status, get_kv_value, get_kv_all_values,
-- get_instance_stats (and fetch's kv_snapshot).  Runs in a hub of its own.
\set VERBOSITY default
SET timezone = 'UTC';
\i test/sql/include/orchestration_mgmt_helpers.sql
SELECT experiments.initialize_schema('mgmt_kv');
SET mgmt_t.hub = 'mgmt_kv';

--------------------------------------------------------------------------
-- custom status: set, keep, clear, versioning
--------------------------------------------------------------------------
SELECT mgmt_t.create('cs', 1000);
-- never set: version 0, nothing newer than 0
SELECT * FROM mgmt_kv.get_custom_status('cs', 0);
SELECT mgmt_t.poke('cs', 2000);
SELECT mgmt_t.turn('cs', 2000, 1, '[]',
                   mgmt_t.md('Running', '{"custom_status_action": "set", "custom_status_value": "step 1"}'));
SELECT * FROM mgmt_kv.get_custom_status('cs', 0);
SELECT * FROM mgmt_kv.get_custom_status('cs', 1);   -- already seen: no row
-- a turn without an action keeps status and version
SELECT mgmt_t.poke('cs', 3000);
SELECT mgmt_t.turn('cs', 3000, 1, '[]', mgmt_t.md('Running'));
SELECT * FROM mgmt_kv.get_custom_status('cs', 0);
-- set again: version 2
SELECT mgmt_t.poke('cs', 4000);
SELECT mgmt_t.turn('cs', 4000, 1, '[]',
                   mgmt_t.md('Running', '{"custom_status_action": "set", "custom_status_value": "step 2"}'));
SELECT * FROM mgmt_kv.get_custom_status('cs', 1);
-- clear: NULL status, version 3, still reported to a caller at version 2
SELECT mgmt_t.poke('cs', 5000);
SELECT mgmt_t.turn('cs', 5000, 1, '[]', mgmt_t.md('Running', '{"custom_status_action": "clear"}'));
SELECT * FROM mgmt_kv.get_custom_status('cs', 2);
SELECT * FROM mgmt_kv.get_custom_status('cs', 3);
-- an unknown instance: no row
SELECT * FROM mgmt_kv.get_custom_status('nobody', -1);
-- NULL arguments
SELECT * FROM mgmt_kv.get_custom_status(NULL, 0);
SELECT * FROM mgmt_kv.get_custom_status('cs', NULL);
-- status survives ContinueAsNew and completion
SELECT mgmt_t.continue_as_new('cs', 6000, 1, 2);
SELECT * FROM mgmt_kv.get_custom_status('cs', 2);

--------------------------------------------------------------------------
-- KV: set, overwrite, clear one, clear all, tombstones, merge
--------------------------------------------------------------------------
-- one turn of execution p_exec whose metadata carries these KV mutations
CREATE FUNCTION mgmt_t.kv(p_inst text, p_now bigint, p_mutations jsonb,
                          p_status text DEFAULT 'Running', p_exec bigint DEFAULT 1)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM mgmt_t.poke(p_inst, p_now);
    PERFORM mgmt_t.turn(p_inst, p_now, p_exec, '[]',
                        mgmt_t.md(p_status, jsonb_build_object('kv_mutations', p_mutations)));
END $$;
CREATE VIEW mgmt_t.kv_tables AS
SELECT 'store' AS t, instance_id, key, value, execution_id AS exec, last_updated_at_ms
  FROM mgmt_kv.kv_store
UNION ALL
SELECT 'delta', instance_id, key, value, NULL, last_updated_at_ms FROM mgmt_kv.kv_delta
ORDER BY instance_id, key, t;

SELECT mgmt_t.create('kv', 10000);
SELECT mgmt_t.kv('kv', 11000, '[{"action": "set", "key": "a", "value": "1", "last_updated_at_ms": 10500},
                                {"action": "set", "key": "b", "value": "2"}]');
SELECT * FROM mgmt_kv.get_kv_value('kv', 'a');
SELECT * FROM mgmt_kv.get_kv_value('kv', 'b');
SELECT * FROM mgmt_kv.get_kv_value('kv', 'missing');
SELECT * FROM mgmt_kv.get_kv_all_values('kv');
-- overwrite, and clear one key
SELECT mgmt_t.kv('kv', 12000, '[{"action": "set", "key": "a", "value": "1b"},
                                {"action": "clear_key", "key": "b"}]');
SELECT * FROM mgmt_kv.get_kv_value('kv', 'a');
SELECT * FROM mgmt_kv.get_kv_value('kv', 'b');
SELECT * FROM mgmt_kv.get_kv_all_values('kv');
-- everything is still in the delta (the running execution's changes)
SELECT * FROM mgmt_t.kv_tables WHERE instance_id = 'kv';
-- the fetch snapshot holds only finished executions' state: empty now
SELECT mgmt_t.snapshot('kv', 12500);
-- completion merges the delta into the store
SELECT mgmt_t.kv('kv', 14000, '[{"action": "set", "key": "c", "value": "3"}]', 'Completed');
SELECT * FROM mgmt_t.kv_tables WHERE instance_id = 'kv';
SELECT * FROM mgmt_kv.get_kv_all_values('kv');

-- clear all then set in one ack, over a store: tombstones hide the store
SELECT mgmt_t.create('kv2', 20000);
SELECT mgmt_t.kv('kv2', 21000, '[{"action": "set", "key": "x", "value": "old-x"},
                                 {"action": "set", "key": "y", "value": "old-y"}]');
SELECT mgmt_t.continue_as_new('kv2', 22000, 1, 2);
-- merged on ContinueAsNew: the store has x and y of execution 1
SELECT * FROM mgmt_t.kv_tables WHERE instance_id = 'kv2';
-- the snapshot of execution 2 holds the merged state
SELECT mgmt_t.snapshot('kv2', 22500);
SELECT mgmt_t.kv('kv2', 24000, '[{"action": "clear_all"}, {"action": "set", "key": "z", "value": "new-z"}]',
                 'Running', 2);
SELECT * FROM mgmt_kv.get_kv_all_values('kv2');
SELECT * FROM mgmt_kv.get_kv_value('kv2', 'x');
SELECT * FROM mgmt_kv.get_kv_value('kv2', 'z');
SELECT * FROM mgmt_t.kv_tables WHERE instance_id = 'kv2';
-- the running execution's snapshot still shows the store (x, y), not the delta
SELECT mgmt_t.snapshot('kv2', 25000);
-- a failure also merges: store = z only
SELECT mgmt_t.kv('kv2', 27000, '[]', 'Failed', 2);
SELECT * FROM mgmt_t.kv_tables WHERE instance_id = 'kv2';
SELECT * FROM mgmt_kv.get_kv_all_values('kv2');

-- isolation between instances: same key, different values
SELECT mgmt_t.create('kv3', 30000);
SELECT mgmt_t.kv('kv3', 31000, '[{"action": "set", "key": "a", "value": "kv3-a"}]');
SELECT * FROM mgmt_kv.get_kv_value('kv', 'a');
SELECT * FROM mgmt_kv.get_kv_value('kv3', 'a');
-- ... and between hubs: the default hub knows none of this
SELECT * FROM experiments.get_kv_value('kv3', 'a');
SELECT count(*) FROM experiments.get_kv_all_values('kv3');

-- values of 16 KiB, keys in any script, empty value
SELECT mgmt_t.kv('kv3', 32000, jsonb_build_array(
    jsonb_build_object('action', 'set', 'key', 'big', 'value', repeat('v', 16384)),
    jsonb_build_object('action', 'set', 'key', 'ключ', 'value', 'кириллица'),
    jsonb_build_object('action', 'set', 'key', '鍵🔑', 'value', '値'),
    jsonb_build_object('action', 'set', 'key', 'مفتاح', 'value', ''),
    jsonb_build_object('action', 'set', 'key', 'Key', 'value', 'upper')));
SELECT out_key, length(out_value) AS chars, octet_length(out_value) AS bytes
  FROM mgmt_kv.get_kv_all_values('kv3');
SELECT octet_length(out_value), out_found FROM mgmt_kv.get_kv_value('kv3', 'big');
SELECT * FROM mgmt_kv.get_kv_value('kv3', '鍵🔑');
SELECT * FROM mgmt_kv.get_kv_value('kv3', 'مفتاح');
SELECT * FROM mgmt_kv.get_kv_value('kv3', 'key');   -- keys are case-sensitive
-- NULL arguments
SELECT * FROM mgmt_kv.get_kv_value(NULL, 'a');
SELECT * FROM mgmt_kv.get_kv_value('kv3', NULL);
SELECT * FROM mgmt_kv.get_kv_all_values(NULL);

--------------------------------------------------------------------------
-- instance statistics
--------------------------------------------------------------------------
SELECT * FROM mgmt_kv.get_instance_stats('nobody');
SELECT * FROM mgmt_kv.get_instance_stats(NULL);
-- kv3: the one event of execution 1; its six live keys and their bytes
SELECT out_found, out_history_event_count, out_queue_pending_count,
       out_kv_user_key_count, out_kv_total_value_bytes,
       out_history_size_bytes = (SELECT sum(octet_length(event_data))
                                   FROM mgmt_kv.history WHERE instance_id = 'kv3') AS size_ok
  FROM mgmt_kv.get_instance_stats('kv3');
SELECT sum(octet_length(out_value)) FROM mgmt_kv.get_kv_all_values('kv3');
-- kv2 (failed, store z): one key; its current execution 2 has its events
SELECT out_history_event_count, out_kv_user_key_count, out_kv_total_value_bytes
  FROM mgmt_kv.get_instance_stats('kv2');
-- a tombstone over a stored key is not counted; an overwritten key counts once
SELECT mgmt_t.create('st', 40000);
SELECT mgmt_t.kv('st', 41000, '[{"action": "set", "key": "a", "value": "aaaa"},
                                {"action": "set", "key": "b", "value": "bb"}]');
SELECT mgmt_t.continue_as_new('st', 42000, 1, 2, 4);
SELECT mgmt_t.kv('st', 43000, '[{"action": "clear_key", "key": "a"},
                                {"action": "set", "key": "b", "value": "b"}]', 'Running', 2);
SELECT out_history_event_count, out_queue_pending_count, out_kv_user_key_count,
       out_kv_total_value_bytes
  FROM mgmt_kv.get_instance_stats('st');
-- carry-forward count of a later execution without carried events is 0
SELECT mgmt_t.continue_as_new('st', 44000, 2, 2);
SELECT out_history_event_count, out_queue_pending_count, out_kv_user_key_count
  FROM mgmt_kv.get_instance_stats('st');

DROP VIEW mgmt_t.kv_tables;
DROP FUNCTION mgmt_t.kv(text, bigint, jsonb, text, bigint);
SELECT mgmt_kv.cleanup_schema();
RESET mgmt_t.hub;
