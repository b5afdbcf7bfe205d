-- Orchestration part 2: delete_instances_atomic and prune_executions.
-- Runs in a hub of its own.
\set VERBOSITY default
SET timezone = 'UTC';
\i test/sql/include/orchestration_mgmt_helpers.sql
SELECT experiments.initialize_schema('mgmt_del');
SET mgmt_t.hub = 'mgmt_del';

-- What an instance owns, table by table.
CREATE FUNCTION mgmt_t.owned(p_ids text[])
RETURNS TABLE (tbl text, n bigint) LANGUAGE sql AS $$
    SELECT 'instances', count(*) FROM mgmt_del.instances WHERE instance_id = ANY (p_ids)
    UNION ALL SELECT 'executions', count(*) FROM mgmt_del.executions WHERE instance_id = ANY (p_ids)
    UNION ALL SELECT 'history', count(*) FROM mgmt_del.history WHERE instance_id = ANY (p_ids)
    UNION ALL SELECT 'orchestrator_queue', count(*) FROM mgmt_del.orchestrator_queue WHERE instance_id = ANY (p_ids)
    UNION ALL SELECT 'worker_queue', count(*) FROM mgmt_del.worker_queue WHERE instance_id = ANY (p_ids)
    UNION ALL SELECT 'instance_locks', count(*) FROM mgmt_del.instance_locks WHERE instance_id = ANY (p_ids)
    UNION ALL SELECT 'kv_store', count(*) FROM mgmt_del.kv_store WHERE instance_id = ANY (p_ids)
    UNION ALL SELECT 'kv_delta', count(*) FROM mgmt_del.kv_delta WHERE instance_id = ANY (p_ids)
$$;

--------------------------------------------------------------------------
-- delete_instances_atomic
--------------------------------------------------------------------------
-- done (completed, KV in store and delta... merged), run (running, with a
-- worker item in session sess-1, a pending message), a tree t -> t1 -> t11
SELECT mgmt_t.create('done', 1000);
SELECT mgmt_t.finish('done', 2000, 1, 2, 'Completed',
                     '{"kv_mutations": [{"action": "set", "key": "k", "value": "v"}]}');
SELECT mgmt_t.create('run', 1000);
SELECT mgmt_t.poke('run', 3000);
SELECT mgmt_t.turn('run', 3000, 1, '[]',
    mgmt_t.md('Running', '{"kv_mutations": [{"action": "set", "key": "k", "value": "v"}]}'),
    '[{"ActivityExecute": {"instance": "run", "execution_id": 1, "id": 2, "name": "A", "input": "1", "session_id": "sess-1"}}]');
SELECT out_lock_token AS wtok FROM mgmt_del.fetch_work_item(3000, 30000, 'w1', 30000) \gset
SELECT mgmt_t.create('t', 1000);
SELECT mgmt_t.create('t1', 1100, 't');
SELECT mgmt_t.create('t11', 1200, 't1');
SELECT mgmt_t.finish('t11', 4000, 1, 2);
SELECT mgmt_t.finish('t1', 4100, 1, 2);
SELECT mgmt_t.finish('t', 4200, 1, 2);
SELECT mgmt_t.poke('run', 4300);

-- nothing to do
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY[]::text[], false);
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['nobody'], false);
-- errors: NULLs, a running instance without force, an orphan
SELECT * FROM mgmt_del.delete_instances_atomic(NULL, false);
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['done'], NULL);
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['done', NULL], false);
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['done', 'run'], false);
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['t'], false);
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['t', 't1'], true);   -- force does not skip it
-- nothing was deleted by the failed calls
SELECT * FROM mgmt_t.owned(ARRAY['done', 'run', 't', 't1', 't11']);

-- a completed instance
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['done'], false);
SELECT * FROM mgmt_t.owned(ARRAY['done']) WHERE n > 0;
-- a whole tree, listed in any order, duplicates counted once
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['t11', 't', 't1', 't'], false);
SELECT * FROM mgmt_t.owned(ARRAY['t', 't1', 't11']) WHERE n > 0;

-- a running instance with force, while fetched (an ack is in flight):
-- everything goes, its session too, and the ack fails afterwards
SELECT mgmt_t.fetch('run', 4400) AS otok \gset
SELECT * FROM mgmt_t.owned(ARRAY['run']);
SELECT session_id, worker_id FROM mgmt_del.sessions;
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['run'], true);
SELECT * FROM mgmt_t.owned(ARRAY['run']) WHERE n > 0;
SELECT count(*) AS sessions_left FROM mgmt_del.sessions;
SELECT mgmt_del.ack_orchestration_item(:'otok', 4100, 1, '[]', '[]', '[]', '{}');
SELECT mgmt_del.ack_worker(:'wtok', 'run', '{"ActivityCompleted": {"instance": "run", "execution_id": 1, "id": 2, "result": "1"}}', 4100);
-- a session another instance's work item still uses is kept
SELECT mgmt_t.create('u1', 5000);
SELECT mgmt_t.create('u2', 5000);
SELECT mgmt_del.enqueue_worker_work('{"ActivityExecute": {"instance": "u1", "execution_id": 1, "id": 2, "name": "A", "input": "1", "session_id": "shared"}}', 5000, 'u1', 1, 2, 'shared');
SELECT mgmt_del.enqueue_worker_work('{"ActivityExecute": {"instance": "u2", "execution_id": 1, "id": 2, "name": "A", "input": "1", "session_id": "shared"}}', 5000, 'u2', 1, 2, 'shared');
SELECT out_lock_token IS NOT NULL AS claimed FROM mgmt_del.fetch_work_item(5000, 30000, 'w2', 30000);
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['u1'], true);
SELECT session_id, worker_id FROM mgmt_del.sessions;
SELECT * FROM mgmt_del.delete_instances_atomic(ARRAY['u2'], true);
SELECT count(*) AS sessions_left FROM mgmt_del.sessions;
-- a fetch of a deleted instance's late message finds nothing of it
SELECT count(*) FROM mgmt_del.fetch_orchestration_item(6000, 1000);

--------------------------------------------------------------------------
-- prune_executions
--------------------------------------------------------------------------
-- p: executions 1..5 by ContinueAsNew (each 2 events; 5 is current,
-- running), KV set in execution 1
SELECT mgmt_t.create('p', 10000, NULL, '{"kv_mutations": [{"action": "set", "key": "k", "value": "v1"}]}');
SELECT mgmt_t.continue_as_new('p', 11000, 1, 2);
SELECT mgmt_t.continue_as_new('p', 12000, 2, 2);
SELECT mgmt_t.continue_as_new('p', 13000, 3, 2);
SELECT mgmt_t.continue_as_new('p', 14000, 4, 2);
SELECT execution_id, status, started_at, completed_at FROM mgmt_del.executions
 WHERE instance_id = 'p' ORDER BY 1;
-- errors
SELECT * FROM mgmt_del.prune_executions('nobody', 1);
SELECT * FROM mgmt_del.prune_executions(NULL, 1);
SELECT * FROM mgmt_del.prune_executions('p', -1);
SELECT * FROM mgmt_del.prune_executions('p', 1, -5);
-- completed before 12.5 s: executions 1 (ended 11.001 s) and 2 (ended 12.001 s)
SELECT * FROM mgmt_del.prune_executions('p', NULL, 12500);
SELECT * FROM mgmt_del.list_executions('p');
-- keep the last 2: 4 and 5 stay, 3 goes
SELECT * FROM mgmt_del.prune_executions('p', 2);
SELECT * FROM mgmt_del.list_executions('p');
-- keep 0: the current execution is never pruned
SELECT * FROM mgmt_del.prune_executions('p', 0);
SELECT * FROM mgmt_del.list_executions('p');
SELECT * FROM mgmt_del.prune_executions('p', 0, 99999999);
SELECT * FROM mgmt_del.prune_executions('p');
-- history of the current execution and KV are untouched
SELECT execution_id, count(*) FROM mgmt_del.history WHERE instance_id = 'p' GROUP BY 1;
SELECT * FROM mgmt_del.get_kv_all_values('p');
SELECT mgmt_t.snapshot('p', 20000);
-- both options together: only executions matching both are pruned
SELECT mgmt_t.continue_as_new('p', 21000, 5, 2);
SELECT mgmt_t.continue_as_new('p', 22000, 6, 2);
SELECT mgmt_t.finish('p', 23000, 7, 2);
SELECT * FROM mgmt_del.list_executions('p');
SELECT * FROM mgmt_del.prune_executions('p', 1, 21500);   -- 5 ended at 21.001 s
SELECT * FROM mgmt_del.prune_executions('p', 1);           -- 6 goes; 7 is current
SELECT * FROM mgmt_del.list_executions('p');
SELECT * FROM mgmt_del.get_instance_info('p');
-- the completed current execution stays as well
SELECT * FROM mgmt_del.prune_executions('p', 0, 99999999);
-- no option at all (as upstream): every finished past execution goes
SELECT mgmt_t.create('q', 30000);
SELECT mgmt_t.continue_as_new('q', 31000, 1, 2);
SELECT mgmt_t.continue_as_new('q', 32000, 2, 2);
SELECT * FROM mgmt_del.prune_executions('q');
SELECT * FROM mgmt_del.list_executions('q');

DROP FUNCTION mgmt_t.owned(text[]);
SELECT mgmt_del.cleanup_schema();
RESET mgmt_t.hub;
