-- Orchestration part 2: management reads (listings, instance and
-- execution info, children and parent, system metrics, queue depths) and
-- session maintenance (renew_session_lock, cleanup_orphaned_sessions).
-- Runs in a hub of its own.
\set VERBOSITY default
SET timezone = 'UTC';
\i test/sql/include/orchestration_mgmt_helpers.sql
SELECT experiments.initialize_schema('mgmt_ls');
SET mgmt_t.hub = 'mgmt_ls';

-- an empty hub
SELECT count(*) FROM mgmt_ls.list_instances();
SELECT * FROM mgmt_ls.get_system_metrics();
SELECT * FROM mgmt_ls.get_queue_depths(0);

-- p1 (root, completed), c1 and c2 (children of p1; c2 failed), r (root,
-- running, continued as new twice), s (root, running)
SELECT mgmt_t.create('p1', 1000);
SELECT mgmt_t.create('c1', 2000, 'p1');
SELECT mgmt_t.create('c2', 3000, 'p1');
SELECT mgmt_t.create('r', 4000);
SELECT mgmt_t.create('s', 4000);
SELECT mgmt_t.finish('c1', 5000, 1, 2);
SELECT mgmt_t.finish('c2', 5100, 1, 2, 'Failed');
SELECT mgmt_t.finish('p1', 5200, 1, 2);
SELECT mgmt_t.continue_as_new('r', 6000, 1, 2);
SELECT mgmt_t.continue_as_new('r', 7000, 2, 2);

-- newest first; r and s were created at the same time (ties by id, descending)
SELECT * FROM mgmt_ls.list_instances();
SELECT * FROM mgmt_ls.list_instances_by_status('Running');
SELECT * FROM mgmt_ls.list_instances_by_status('Completed');
SELECT * FROM mgmt_ls.list_instances_by_status('Failed');
-- a past execution's status does not count: r's first two are ContinuedAsNew
SELECT * FROM mgmt_ls.list_instances_by_status('ContinuedAsNew');
SELECT * FROM mgmt_ls.list_instances_by_status('running');   -- case matters
SELECT * FROM mgmt_ls.list_instances_by_status(NULL);

SELECT * FROM mgmt_ls.list_executions('r');
SELECT * FROM mgmt_ls.list_executions('p1');
SELECT * FROM mgmt_ls.list_executions('nobody');
SELECT * FROM mgmt_ls.list_executions(NULL);

SELECT mgmt_ls.latest_execution_id('r'), mgmt_ls.latest_execution_id('p1'),
       mgmt_ls.latest_execution_id('nobody') IS NULL AS unknown_is_null;
SELECT mgmt_ls.latest_execution_id(NULL);

SELECT * FROM mgmt_ls.get_instance_info('p1');
SELECT * FROM mgmt_ls.get_instance_info('c2');
SELECT * FROM mgmt_ls.get_instance_info('r');
SELECT * FROM mgmt_ls.get_instance_info('nobody');
SELECT * FROM mgmt_ls.get_instance_info(NULL);

SELECT * FROM mgmt_ls.get_execution_info('r', 1);
SELECT * FROM mgmt_ls.get_execution_info('r', 3);
SELECT * FROM mgmt_ls.get_execution_info('p1', 1);
SELECT * FROM mgmt_ls.get_execution_info('r', 4);
SELECT * FROM mgmt_ls.get_execution_info('r', NULL);

SELECT * FROM mgmt_ls.list_children('p1');
SELECT * FROM mgmt_ls.list_children('c1');
SELECT * FROM mgmt_ls.list_children('nobody');
SELECT * FROM mgmt_ls.list_children(NULL);
SELECT mgmt_ls.get_parent_id('c1'), mgmt_ls.get_parent_id('p1') IS NULL AS root;
SELECT mgmt_ls.get_parent_id('nobody');
SELECT mgmt_ls.get_parent_id(NULL);

SELECT * FROM mgmt_ls.get_system_metrics();
-- the default hub does not see this hub's instances
SELECT count(*) FROM experiments.list_children('p1');

--------------------------------------------------------------------------
-- queue depths: ready now, not locked (or lock expired); timers later
--------------------------------------------------------------------------
SELECT mgmt_t.poke('s', 10000);
SELECT mgmt_t.poke('s', 10000, 'second');
SELECT mgmt_t.poke('r', 20000);                      -- a timer-like message
SELECT * FROM mgmt_ls.get_queue_depths(9999);
SELECT * FROM mgmt_ls.get_queue_depths(10000);
SELECT * FROM mgmt_ls.get_queue_depths(20000);
-- a fetched batch is locked until 10000 + 60000
SELECT mgmt_t.fetch('s', 10000) IS NOT NULL AS fetched;
SELECT * FROM mgmt_ls.get_queue_depths(20000);
SELECT * FROM mgmt_ls.get_queue_depths(70000);      -- the lock has expired
SELECT mgmt_ls.enqueue_worker_work('{"ActivityExecute": {"instance": "s", "execution_id": 1, "id": 2, "name": "A", "input": "1"}}',
                                   10000, 's', 1, 2);
SELECT mgmt_ls.enqueue_worker_work('{"ActivityExecute": {"instance": "s", "execution_id": 1, "id": 3, "name": "A", "input": "1"}}',
                                   15000, 's', 1, 3);
SELECT * FROM mgmt_ls.get_queue_depths(12000);
SELECT * FROM mgmt_ls.get_queue_depths(NULL);
SELECT * FROM mgmt_ls.get_queue_depths(-1);

--------------------------------------------------------------------------
-- sessions
--------------------------------------------------------------------------
-- w1 takes session s-a (locked until 1000 + 5000), w2 takes s-b
SELECT mgmt_ls.enqueue_worker_work('{"ActivityExecute": {"instance": "x", "execution_id": 1, "id": 1, "name": "A", "input": "1", "session_id": "s-a"}}',
                                   1000, 'x', 1, 1, 's-a');
SELECT mgmt_ls.enqueue_worker_work('{"ActivityExecute": {"instance": "x", "execution_id": 1, "id": 2, "name": "A", "input": "1", "session_id": "s-b"}}',
                                   1000, 'x', 1, 2, 's-b');
SELECT out_lock_token AS tok_a FROM mgmt_ls.fetch_work_item(1000, 30000, 'w1', 5000) \gset
SELECT out_lock_token AS tok_b FROM mgmt_ls.fetch_work_item(1000, 30000, 'w2', 5000) \gset
SELECT mgmt_ls.ack_worker(:'tok_a', NULL, NULL, 1500);
SELECT session_id, worker_id, locked_until, last_activity_at FROM mgmt_ls.sessions ORDER BY 1;
-- renew: w1's session, active within the idle timeout, gets now + extend
SELECT mgmt_ls.renew_session_lock(ARRAY['w1'], 2000, 10000, 60000);
-- idle too long (last activity 1500, idle timeout 400 at 2000): not renewed
SELECT mgmt_ls.renew_session_lock(ARRAY['w1', 'w2'], 2000, 10000, 400);
-- both owners at once; an owner with nothing, a NULL element, an empty list
SELECT mgmt_ls.renew_session_lock(ARRAY['w1', 'w2', 'w3', NULL], 2000, 10000, 60000);
SELECT mgmt_ls.renew_session_lock(ARRAY[]::text[], 2000, 10000, 60000);
SELECT session_id, worker_id, locked_until FROM mgmt_ls.sessions ORDER BY 1;
-- an expired session is not renewed
SELECT mgmt_ls.renew_session_lock(ARRAY['w1'], 12000, 10000, 60000);
-- errors
SELECT mgmt_ls.renew_session_lock(NULL, 2000, 10000, 60000);
SELECT mgmt_ls.renew_session_lock(ARRAY['w1'], NULL, 10000, 60000);
SELECT mgmt_ls.renew_session_lock(ARRAY['w1'], 2000, NULL, 60000);
SELECT mgmt_ls.renew_session_lock(ARRAY['w1'], 2000, 10000, NULL);
SELECT mgmt_ls.renew_session_lock(ARRAY['w1'], 2000, -1, 60000);
SELECT mgmt_ls.renew_session_lock(ARRAY[['w1']], 2000, 10000, 60000);

-- cleanup: s-a has no work item left and expired at 12000; s-b still has
-- its (locked) item; nothing expired before 11000
SELECT mgmt_ls.cleanup_orphaned_sessions(11000);
SELECT mgmt_ls.cleanup_orphaned_sessions(12001);
SELECT session_id FROM mgmt_ls.sessions ORDER BY 1;
SELECT mgmt_ls.ack_worker(:'tok_b', NULL, NULL, 12001);
SELECT mgmt_ls.cleanup_orphaned_sessions(12001);
SELECT count(*) FROM mgmt_ls.sessions;
SELECT mgmt_ls.cleanup_orphaned_sessions(NULL);

SELECT mgmt_ls.cleanup_schema();
RESET mgmt_t.hub;
