-- Orchestration domain: the orchestrator queue, scenario by scenario, from
-- the duroxide provider contract.  Time is driven through p_now_ms (no
-- sleeps); lock tokens and timestamps are never printed.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
TRUNCATE experiments.instances, experiments.executions, experiments.history,
         experiments.orchestrator_queue, experiments.worker_queue,
         experiments.instance_locks, experiments.sessions, experiments.kv_store,
         experiments.kv_delta;
RESET client_min_messages;

-- Helpers building the JSON the duroxide runtime sends.
CREATE SCHEMA orch_t;
CREATE FUNCTION orch_t.start(inst text, exec bigint DEFAULT 1) RETURNS text
LANGUAGE sql AS $$
  SELECT jsonb_build_object('StartOrchestration', jsonb_build_object(
           'instance', inst, 'orchestration', 'Greeter', 'input', '"x"',
           'version', '1.0.0', 'parent_instance', NULL, 'parent_id', NULL,
           'execution_id', exec))::text $$;
CREATE FUNCTION orch_t.msg(inst text, name text) RETURNS text
LANGUAGE sql AS $$
  SELECT jsonb_build_object('ExternalRaised', jsonb_build_object(
           'instance', inst, 'name', name, 'data', '"d"'))::text $$;
-- one history_delta element; the event's JSON carries its kind in "type"
CREATE FUNCTION orch_t.ev(id bigint, kind text, extra jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('event_id', id, 'event_type', 'Event',
           'event_data', (jsonb_build_object('event_id', id, 'type', kind) || extra)::text) $$;
CREATE FUNCTION orch_t.md(status text DEFAULT 'Running', extra jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('orchestration_name', 'Greeter',
           'orchestration_version', '1.0.0', 'status', status) || extra $$;
-- fetch and keep the token in orch_t.tok (tokens are random: never printed)
CREATE TABLE orch_t.tok (name text PRIMARY KEY, token text);
CREATE FUNCTION orch_t.fetch(name text, now_ms bigint, lock_ms bigint DEFAULT 30000,
                             vmin bigint DEFAULT NULL, vmax bigint DEFAULT NULL)
RETURNS TABLE (instance text, orch text, version text, execution bigint,
               history_types text, messages text, attempts integer, kv jsonb)
LANGUAGE sql AS $$
  WITH f AS (SELECT * FROM experiments.fetch_orchestration_item(now_ms, lock_ms, vmin, vmax)),
  k AS (INSERT INTO orch_t.tok SELECT name, f.out_lock_token FROM f
        ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token)
  SELECT f.out_instance_id, f.out_orchestration_name, f.out_orchestration_version,
         f.out_execution_id,
         (SELECT string_agg(e->>'type', ',' ORDER BY o) FROM jsonb_array_elements(f.out_history) WITH ORDINALITY AS h(e, o)),
         (SELECT string_agg((SELECT k FROM jsonb_object_keys(m) AS k LIMIT 1), ',' ORDER BY o)
            FROM jsonb_array_elements(f.out_messages) WITH ORDINALITY AS x(m, o)),
         f.out_attempt_count, f.out_kv_snapshot
    FROM f $$;
CREATE FUNCTION orch_t.t(name text) RETURNS text
LANGUAGE sql AS $$ SELECT token FROM orch_t.tok WHERE tok.name = t.name $$;
CREATE FUNCTION orch_t.ack(name text, now_ms bigint, exec bigint, delta jsonb,
                           md jsonb DEFAULT orch_t.md(), worker jsonb DEFAULT '[]',
                           orch jsonb DEFAULT '[]', cancelled jsonb DEFAULT '[]')
RETURNS void LANGUAGE sql AS $$
  SELECT experiments.ack_orchestration_item(orch_t.t(name), now_ms, exec, delta, worker,
                                            orch, md, cancelled) $$;
CREATE VIEW orch_t.queue AS
  SELECT instance_id, (SELECT k FROM jsonb_object_keys(work_item::jsonb) AS k LIMIT 1) AS item,
         lock_token IS NOT NULL AS locked, attempt_count,
         (extract(epoch FROM visible_at) * 1000)::bigint AS visible_ms
    FROM experiments.orchestrator_queue ORDER BY id;

--------------------------------------------------------------------------
-- 1. a new instance: fetch, lock exclusivity, ack creates the instance
--------------------------------------------------------------------------
SELECT experiments.enqueue_orchestrator_work('a', orch_t.start('a'), to_timestamp(1));
-- not visible before its time
SELECT count(*) AS fetched_too_early FROM orch_t.fetch('early', 999);
-- visible: name, version and execution come from the StartOrchestration
-- message (no instance row yet), history is empty
SELECT * FROM orch_t.fetch('a1', 1000);
SELECT * FROM orch_t.queue;
-- the instance is locked: a second fetch finds nothing
SELECT count(*) AS fetched_while_locked FROM orch_t.fetch('a2', 1500);
-- no instance row is made by enqueue or fetch
SELECT count(*) AS instance_rows FROM experiments.instances;
-- a message arriving during the lock is not part of the batch
SELECT experiments.enqueue_orchestrator_work('a', orch_t.msg('a', 'late'), to_timestamp(1.2));
SELECT * FROM orch_t.queue;
-- ack: history, a worker item, the instance and its execution
SELECT orch_t.ack('a1', 2000, 1,
    jsonb_build_array(orch_t.ev(1, 'OrchestrationStarted', '{"name": "Greeter", "version": "1.0.0"}'),
                      orch_t.ev(2, 'ActivityScheduled', '{"name": "Hello"}')),
    orch_t.md('Running', '{"parent_instance_id": null}'),
    '[{"ActivityExecute": {"instance": "a", "execution_id": 1, "id": 2, "name": "Hello", "input": "1"}}]');
SELECT instance_id, orchestration_name, orchestration_version, current_execution_id,
       parent_instance_id, custom_status, custom_status_version,
       (extract(epoch FROM created_at) * 1000)::bigint AS created_ms
  FROM experiments.instances;
SELECT instance_id, execution_id, status, output, completed_at IS NULL AS open
  FROM experiments.executions;
SELECT execution_id, event_id, event_type FROM experiments.history ORDER BY event_id;
-- the batch is gone, the late message stays, the lock is released
SELECT * FROM orch_t.queue;
SELECT count(*) AS lock_rows FROM experiments.instance_locks;
SELECT instance_id, execution_id, activity_id, session_id, tag,
       work_item::jsonb -> 'ActivityExecute' ->> 'name' AS activity
  FROM experiments.worker_queue;
-- the token is spent: a second ack of it fails and changes nothing
SELECT orch_t.ack('a1', 2100, 1, '[]');
-- the late message is fetched next, with the history of execution 1
SELECT * FROM orch_t.fetch('a3', 3000);
SELECT * FROM experiments.fetch_history('a');
SELECT * FROM experiments.fetch_history_with_execution('a', 1);

--------------------------------------------------------------------------
-- 2. ack validates the token and its expiry
--------------------------------------------------------------------------
-- a3's lock (30 s from 3000) has expired at 33000: its ack is refused
SELECT orch_t.ack('a3', 33000, 1, jsonb_build_array(orch_t.ev(3, 'ExternalEvent')));
SELECT experiments.ack_orchestration_item('no-such-token', 3000, 1, '[]', '[]', '[]', '{}');
-- nothing was written by the refused acks
SELECT count(*) AS history_rows FROM experiments.history WHERE instance_id = 'a';
-- the expired lock is taken over by the next fetch; attempt count 2
SELECT * FROM orch_t.fetch('a4', 33000);
-- the old token cannot ack, renew or abandon any more
SELECT orch_t.ack('a3', 33001, 1, '[]');
SELECT experiments.renew_orchestration_item_lock(orch_t.t('a3'), 33001, 10);
SELECT experiments.abandon_orchestration_item(orch_t.t('a3'), 33001);

--------------------------------------------------------------------------
-- 3. a duplicate event id rolls back the whole ack
--------------------------------------------------------------------------
SELECT orch_t.ack('a4', 33100, 1,
    jsonb_build_array(orch_t.ev(3, 'ExternalEvent'), orch_t.ev(2, 'ActivityCompleted')),
    orch_t.md('Completed', '{"output": "never"}'),
    '[{"ActivityExecute": {"instance": "a", "execution_id": 1, "id": 9, "name": "X", "input": ""}}]',
    '[{"StartOrchestration": {"instance": "other", "orchestration": "O", "input": "", "execution_id": 1}}]');
-- still locked, batch still there, nothing else written
SELECT status, output FROM experiments.executions WHERE instance_id = 'a';
SELECT count(*) AS history_rows FROM experiments.history WHERE instance_id = 'a';
SELECT count(*) AS worker_rows FROM experiments.worker_queue;
SELECT * FROM orch_t.queue;
SELECT count(*) AS lock_rows FROM experiments.instance_locks;
-- a duplicate inside one delta is refused as well
SELECT orch_t.ack('a4', 33100, 1,
    jsonb_build_array(orch_t.ev(3, 'ExternalEvent'), orch_t.ev(3, 'ExternalEvent')));
SELECT count(*) AS history_rows FROM experiments.history WHERE instance_id = 'a';

--------------------------------------------------------------------------
-- 4. ContinueAsNew: execution N+1, terminal status of N
--------------------------------------------------------------------------
SELECT orch_t.ack('a4', 33200, 1,
    jsonb_build_array(orch_t.ev(3, 'ExternalEvent'), orch_t.ev(4, 'OrchestrationContinuedAsNew')),
    orch_t.md('ContinuedAsNew', '{"output": "carried"}'), '[]',
    '[{"ContinueAsNew": {"instance": "a", "orchestration": "Greeter", "input": "2", "version": "1.0.0"}}]');
SELECT execution_id, status, output, completed_at IS NULL AS no_completed_at
  FROM experiments.executions WHERE instance_id = 'a' ORDER BY 1;
SELECT * FROM orch_t.fetch('a5', 34000);
SELECT orch_t.ack('a5', 34100, 2,
    jsonb_build_array(orch_t.ev(1, 'OrchestrationStarted', '{"name": "Greeter", "version": "1.0.0"}'),
                      orch_t.ev(2, 'OrchestrationCompleted', '{"output": "done"}')),
    orch_t.md('Completed', '{"output": "done"}'));
SELECT execution_id, status, output,
       (extract(epoch FROM completed_at) * 1000)::bigint AS completed_ms
  FROM experiments.executions WHERE instance_id = 'a' ORDER BY 1;
SELECT current_execution_id FROM experiments.instances WHERE instance_id = 'a';
-- fetch_history reads the latest execution; execution 1 is still there
SELECT * FROM experiments.fetch_history('a');
SELECT count(*) AS exec1_events FROM experiments.fetch_history_with_execution('a', 1);
-- an ack naming an older execution never moves the pointer back
SELECT experiments.enqueue_orchestrator_work('a', orch_t.msg('a', 'ping'), to_timestamp(35));
SELECT instance FROM orch_t.fetch('a6', 35000);
SELECT orch_t.ack('a6', 35100, 1, '[]', '{}');
SELECT current_execution_id FROM experiments.instances WHERE instance_id = 'a';
-- executions are created idempotently: acking execution 2 again keeps it
SELECT experiments.enqueue_orchestrator_work('a', orch_t.msg('a', 'ping'), to_timestamp(36));
SELECT instance FROM orch_t.fetch('a7', 36000);
SELECT orch_t.ack('a7', 36100, 2, '[]', orch_t.md(NULL));
SELECT execution_id, status, output FROM experiments.executions
 WHERE instance_id = 'a' ORDER BY 1;

--------------------------------------------------------------------------
-- 5. timers are invisible until their time
--------------------------------------------------------------------------
SELECT experiments.enqueue_orchestrator_work('t', orch_t.start('t'), to_timestamp(40));
SELECT instance FROM orch_t.fetch('t1', 40000);
SELECT orch_t.ack('t1', 40100, 1,
    jsonb_build_array(orch_t.ev(1, 'OrchestrationStarted'), orch_t.ev(2, 'TimerCreated', '{"fire_at_ms": 50000}')),
    orch_t.md(), '[]',
    '[{"TimerFired": {"instance": "t", "execution_id": 1, "id": 2, "fire_at_ms": 50000}},
      {"TimerFired": {"instance": "t", "execution_id": 1, "id": 3, "fire_at_ms": 0}}]');
-- the fire_at_ms = 0 timer is visible at once, the other at 50000
SELECT * FROM orch_t.queue WHERE instance_id = 't';
SELECT instance, messages FROM orch_t.fetch('t2', 40200);
SELECT orch_t.ack('t2', 40300, 1, '[]');
SELECT count(*) AS fetched_before_timer FROM orch_t.fetch('t3', 49999);
SELECT instance, messages FROM orch_t.fetch('t3', 50000);
SELECT orch_t.ack('t3', 50100, 1, '[]');

--------------------------------------------------------------------------
-- 6. abandon: release, delay, ignore_attempt; attempt counts
--------------------------------------------------------------------------
SELECT experiments.enqueue_orchestrator_work('b', orch_t.start('b'), to_timestamp(60));
SELECT experiments.enqueue_orchestrator_work('b', orch_t.msg('b', 'e1'), to_timestamp(60));
SELECT instance, messages, attempts FROM orch_t.fetch('b1', 60000);
SELECT experiments.abandon_orchestration_item(orch_t.t('b1'), 60100) AS abandoned;
SELECT * FROM orch_t.queue WHERE instance_id = 'b';
SELECT count(*) AS lock_rows FROM experiments.instance_locks WHERE instance_id = 'b';
-- fetched again at once: the attempt count rises per fetch
SELECT instance, attempts FROM orch_t.fetch('b2', 60200);
-- abandon with a delay (ms) and ignore_attempt: invisible for 5 s,
-- attempt count back down
SELECT experiments.abandon_orchestration_item(orch_t.t('b2'), 60300, 5000, true);
SELECT * FROM orch_t.queue WHERE instance_id = 'b';
SELECT count(*) AS fetched_during_delay FROM orch_t.fetch('b3', 65299);
SELECT instance, attempts FROM orch_t.fetch('b3', 65300);
-- the batch reports its highest attempt count
SELECT experiments.abandon_orchestration_item(orch_t.t('b3'), 65400);
SELECT experiments.enqueue_orchestrator_work('b', orch_t.msg('b', 'e2'), to_timestamp(65.5));
SELECT * FROM orch_t.queue WHERE instance_id = 'b';
SELECT instance, messages, attempts FROM orch_t.fetch('b4', 65600);
-- ignore_attempt never goes below zero
UPDATE experiments.orchestrator_queue SET attempt_count = 0 WHERE instance_id = 'b';
SELECT experiments.abandon_orchestration_item(orch_t.t('b4'), 65700, NULL, true);
SELECT min(attempt_count) AS min_attempts FROM experiments.orchestrator_queue WHERE instance_id = 'b';
-- abandoning twice: the token is gone
SELECT experiments.abandon_orchestration_item(orch_t.t('b4'), 65800);
SELECT experiments.abandon_orchestration_item('lock_unknown', 65800);
SELECT experiments.abandon_orchestration_item(orch_t.t('b4'), 65800, -1);

--------------------------------------------------------------------------
-- 7. renewals (seconds), expiry after renewal
--------------------------------------------------------------------------
SELECT instance FROM orch_t.fetch('b5', 70000, 1000);
SELECT experiments.renew_orchestration_item_lock(orch_t.t('b5'), 70500, 10);
SELECT (SELECT locked_until FROM experiments.instance_locks WHERE instance_id = 'b') AS lock_until,
       (SELECT min(locked_until) FROM experiments.orchestrator_queue WHERE instance_id = 'b') AS rows_until,
       (SELECT max(locked_until) FROM experiments.orchestrator_queue WHERE instance_id = 'b') AS rows_until_max;
-- still locked past the original timeout
SELECT count(*) AS fetched_while_renewed FROM orch_t.fetch('b6', 75000);
-- renewing an expired lock fails; so does an unknown token
SELECT experiments.renew_orchestration_item_lock(orch_t.t('b5'), 80500, 10);
SELECT experiments.renew_orchestration_item_lock('lock_unknown', 70000, 10);
SELECT experiments.renew_orchestration_item_lock(orch_t.t('b5'), 70000, -1);
SELECT instance FROM orch_t.fetch('b6', 80500);
SELECT orch_t.ack('b6', 80600, 1, jsonb_build_array(orch_t.ev(1, 'OrchestrationStarted')));

--------------------------------------------------------------------------
-- 8. worker items, orchestrator items routed by instance, cancellations
--------------------------------------------------------------------------
DELETE FROM experiments.worker_queue;
SELECT experiments.enqueue_orchestrator_work('p', orch_t.start('p'), to_timestamp(90));
SELECT instance FROM orch_t.fetch('p1', 90000);
SELECT orch_t.ack('p1', 90100, 1, jsonb_build_array(orch_t.ev(1, 'OrchestrationStarted')),
    orch_t.md(), 
    '[{"ActivityExecute": {"instance": "p", "execution_id": 1, "id": 2, "name": "A", "input": ""}},
      {"ActivityExecute": {"instance": "p", "execution_id": 1, "id": 3, "name": "B", "input": "", "session_id": "s1", "tag": "gpu"}}]',
    '[{"StartOrchestration": {"instance": "p-child", "orchestration": "Child", "input": "", "parent_instance": "p", "parent_id": 4, "execution_id": 1}},
      {"SubOrchCompleted": {"parent_instance": "p-parent", "parent_execution_id": 1, "parent_id": 7, "result": "r"}},
      {"CancelInstance": {"instance": "p-other", "reason": "stop"}},
      {"UnknownVariant": {"x": 1}}]');
SELECT instance_id, item, locked FROM orch_t.queue WHERE instance_id LIKE 'p%';
SELECT instance_id, execution_id, activity_id, session_id, tag
  FROM experiments.worker_queue WHERE instance_id = 'p' ORDER BY id;
DELETE FROM experiments.orchestrator_queue;
-- one ack schedules C and cancels A (already queued) and C (scheduled in
-- this very ack): both are gone afterwards, B stays
SELECT experiments.enqueue_orchestrator_work('p', orch_t.msg('p', 'go'), to_timestamp(91));
SELECT instance FROM orch_t.fetch('p2', 91000);
SELECT orch_t.ack('p2', 91100, 1, jsonb_build_array(orch_t.ev(4, 'ActivityScheduled')),
    orch_t.md(),
    '[{"ActivityExecute": {"instance": "p", "execution_id": 1, "id": 4, "name": "C", "input": ""}},
      {"ActivityExecute": {"instance": "p", "execution_id": 1, "id": 5, "name": "D", "input": ""}}]',
    '[]',
    '[{"instance": "p", "execution_id": 1, "activity_id": 2},
      {"instance": "p", "execution_id": 1, "activity_id": 4},
      {"instance": "p", "execution_id": 1, "activity_id": 99}]');
SELECT instance_id, execution_id, activity_id,
       work_item::jsonb -> 'ActivityExecute' ->> 'name' AS activity
  FROM experiments.worker_queue WHERE instance_id = 'p' ORDER BY id;
-- a cancelled activity a worker holds is removed too (lock stealing):
-- the worker holds B (activity 3, the oldest)
SELECT out_lock_token AS wtok FROM experiments.fetch_work_item(91200, 30000, 'w1', NULL, NULL, 'any') \gset
SELECT experiments.enqueue_orchestrator_work('p', orch_t.msg('p', 'go'), to_timestamp(92));
SELECT instance FROM orch_t.fetch('p3', 92000);
SELECT orch_t.ack('p3', 92100, 1, '[]', orch_t.md(), '[]', '[]',
    '[{"instance": "p", "execution_id": 1, "activity_id": 3}]');
SELECT activity_id FROM experiments.worker_queue WHERE instance_id = 'p' ORDER BY id;
-- ... and the worker learns it when it renews or acks
SELECT experiments.renew_work_item_lock(:'wtok', 92200, 30);
SELECT experiments.ack_worker(:'wtok', 'p', '{"ActivityCompleted": {"instance": "p", "execution_id": 1, "id": 3, "result": ""}}', 92200);

--------------------------------------------------------------------------
-- 9. metadata: parent, pinned version, custom status, empty acks
--------------------------------------------------------------------------
SELECT experiments.enqueue_orchestrator_work('c', orch_t.start('c'), to_timestamp(100));
SELECT instance FROM orch_t.fetch('c1', 100000);
SELECT orch_t.ack('c1', 100100, 1, '[]',
    orch_t.md('Running', '{"parent_instance_id": "p", "custom_status_action": "set",
                          "custom_status_value": "step 1",
                          "pinned_duroxide_version": {"major": 0, "minor": 1, "patch": 29}}'));
SELECT parent_instance_id, custom_status, custom_status_version FROM experiments.instances
 WHERE instance_id = 'c';
SELECT duroxide_version_major, duroxide_version_minor, duroxide_version_patch
  FROM experiments.executions WHERE instance_id = 'c';
-- the parent is kept once set; custom status set, absent (kept), cleared
SELECT experiments.enqueue_orchestrator_work('c', orch_t.msg('c', 'x'), to_timestamp(101));
SELECT instance FROM orch_t.fetch('c2', 101000);
SELECT orch_t.ack('c2', 101100, 1, '[]', orch_t.md('Running', '{"parent_instance_id": "q"}'));
SELECT parent_instance_id, custom_status, custom_status_version FROM experiments.instances
 WHERE instance_id = 'c';
SELECT experiments.enqueue_orchestrator_work('c', orch_t.msg('c', 'x'), to_timestamp(102));
SELECT instance FROM orch_t.fetch('c3', 102000);
SELECT orch_t.ack('c3', 102100, 1, '[]', orch_t.md('Running', '{"custom_status_action": "clear"}'));
SELECT custom_status, custom_status_version FROM experiments.instances WHERE instance_id = 'c';

--------------------------------------------------------------------------
-- 10. capability filter by pinned version (packed major*1e6+minor*1e3+patch)
--------------------------------------------------------------------------
SELECT experiments.enqueue_orchestrator_work('c', orch_t.msg('c', 'v'), to_timestamp(103));
SELECT experiments.enqueue_orchestrator_work('new', orch_t.start('new'), to_timestamp(103.5));
-- c is pinned to 0.1.29 = 1029: a 0.2.x dispatcher passes it over and takes
-- the new instance (no instance row: compatible with every range)
SELECT instance FROM orch_t.fetch('v1', 104000, 30000, 2000, 2999);
SELECT experiments.abandon_orchestration_item(orch_t.t('v1'), 104000);
-- it stays locked by v2, so a 0.1.x dispatcher gets c
SELECT instance FROM orch_t.fetch('v2', 104000, 30000, 2000, 2999);
SELECT instance FROM orch_t.fetch('v3', 104000, 30000, 1000, 1029);
SELECT experiments.abandon_orchestration_item(orch_t.t('v3'), 104000);
SELECT instance FROM orch_t.fetch('v4', 104000, 30000, 1029, NULL);
SELECT experiments.abandon_orchestration_item(orch_t.t('v4'), 104000);
SELECT count(*) FROM orch_t.fetch('v5', 104000, 30000, 3000, 2000);
DELETE FROM experiments.orchestrator_queue WHERE instance_id IN ('c', 'new');

--------------------------------------------------------------------------
-- 11. KV: delta while running, merged into the store on a terminal status
--------------------------------------------------------------------------
SELECT experiments.enqueue_orchestrator_work('k', orch_t.start('k'), to_timestamp(110));
SELECT instance, kv FROM orch_t.fetch('k1', 110000);
SELECT orch_t.ack('k1', 110100, 1, '[]', orch_t.md('Running', '{"kv_mutations": [
    {"action": "set", "key": "a", "value": "1", "last_updated_at_ms": 5},
    {"action": "set", "key": "b", "value": "2"},
    {"action": "set", "key": "a", "value": "3", "last_updated_at_ms": 7},
    {"action": "clear_key", "key": "c"}]}'));
SELECT key, value, last_updated_at_ms FROM experiments.kv_delta ORDER BY key;
SELECT count(*) AS store_rows FROM experiments.kv_store;
-- ContinuedAsNew is terminal: delta folds into the store, tombstones drop
SELECT experiments.enqueue_orchestrator_work('k', orch_t.msg('k', 'x'), to_timestamp(111));
SELECT instance FROM orch_t.fetch('k2', 111000);
SELECT orch_t.ack('k2', 111100, 1, '[]', orch_t.md('ContinuedAsNew', '{"kv_mutations": [
    {"action": "set", "key": "d", "value": "4", "last_updated_at_ms": 9}]}'));
SELECT key, value, execution_id, last_updated_at_ms FROM experiments.kv_store ORDER BY key;
SELECT count(*) AS delta_rows FROM experiments.kv_delta;
-- the next fetch carries the store as its snapshot
SELECT experiments.enqueue_orchestrator_work('k', orch_t.msg('k', 'x'), to_timestamp(112));
SELECT instance, kv FROM orch_t.fetch('k3', 112000);
-- clear_all removes store and delta keys, keys set after it survive
SELECT orch_t.ack('k3', 112100, 2, '[]', orch_t.md('Running', '{"kv_mutations": [
    {"action": "set", "key": "e", "value": "5", "last_updated_at_ms": 10},
    {"action": "clear_all"},
    {"action": "set", "key": "b", "value": "6", "last_updated_at_ms": 11}]}'));
SELECT key, value, last_updated_at_ms FROM experiments.kv_delta ORDER BY key;
SELECT experiments.enqueue_orchestrator_work('k', orch_t.msg('k', 'x'), to_timestamp(113));
SELECT instance FROM orch_t.fetch('k4', 113000);
SELECT orch_t.ack('k4', 113100, 2, '[]', orch_t.md('Completed'));
SELECT key, value, execution_id, last_updated_at_ms FROM experiments.kv_store ORDER BY key;
SELECT count(*) AS delta_rows FROM experiments.kv_delta;

--------------------------------------------------------------------------
-- 12. no instance row: names from history's OrchestrationStarted
--------------------------------------------------------------------------
SELECT experiments.append_history('h', 1, jsonb_build_array(
    orch_t.ev(1, 'OrchestrationStarted', '{"name": "FromHistory", "version": "2.0.0"}')));
SELECT experiments.append_history('h', 2, jsonb_build_array(
    orch_t.ev(1, 'OrchestrationStarted', '{"name": "FromHistory", "version": "3.0.0"}'),
    orch_t.ev(2, 'TimerCreated')));
SELECT experiments.enqueue_orchestrator_work('h', orch_t.msg('h', 'x'), to_timestamp(120));
SELECT * FROM orch_t.fetch('h1', 120000);
SELECT experiments.abandon_orchestration_item(orch_t.t('h1'), 120000);
-- neither instance nor history nor a start message: "Unknown"
SELECT experiments.enqueue_orchestrator_work('u', orch_t.msg('u', 'x'), to_timestamp(0));
SELECT * FROM orch_t.fetch('u1', 120000);
-- a ContinueAsNew message names it
SELECT experiments.enqueue_orchestrator_work('w',
    '{"ContinueAsNew": {"instance": "w", "orchestration": "Again", "input": "", "version": null}}',
    to_timestamp(0));
SELECT instance, orch, version, execution FROM orch_t.fetch('w1', 120000);
DELETE FROM experiments.orchestrator_queue WHERE instance_id IN ('h', 'u', 'w');
DELETE FROM experiments.instance_locks WHERE instance_id IN ('h', 'u', 'w');

--------------------------------------------------------------------------
-- 13. append_history: idempotent, never overwrites; event_type is the kind
--------------------------------------------------------------------------
SELECT experiments.append_history('h', 1, jsonb_build_array(
    orch_t.ev(1, 'OrchestrationStarted', '{"name": "Overwritten?"}'),
    orch_t.ev(2, 'ExternalEvent')));
SELECT event_id, event_type, event_data::jsonb ->> 'name' AS name
  FROM experiments.history WHERE instance_id = 'h' AND execution_id = 1 ORDER BY event_id;
SELECT count(*) = 2 AS created_at_set FROM experiments.history
 WHERE instance_id = 'h' AND execution_id = 1 AND created_at IS NOT NULL;
SELECT experiments.append_history('h', 1, '[{"event_id": 0, "event_data": "{}"}]');
SELECT experiments.append_history('h', 1, '[{"event_id": -3, "event_data": "{}"}]');
SELECT experiments.append_history('h', 1, '[{"event_id": 3, "event_data": "not json"}]');
SELECT experiments.append_history('h', 1, '[{"event_id": 3, "event_data": "[1]"}]');
SELECT experiments.append_history('h', 1, '[{"event_id": 3, "event_data": "{}"}]');
SELECT experiments.append_history('h', 1, '[{"event_id": 3, "event_type": "Custom", "event_data": "{}"}]');
SELECT event_type FROM experiments.history WHERE instance_id = 'h' AND event_id = 3;
SELECT experiments.append_history('h', 1, '{}');
SELECT experiments.append_history('h', 0, '[]');
SELECT experiments.append_history(NULL, 1, '[]');
SELECT count(*) AS no_history FROM experiments.fetch_history('nobody');

--------------------------------------------------------------------------
-- 14. argument errors (checked before anything is written)
--------------------------------------------------------------------------
SELECT * FROM experiments.fetch_orchestration_item(NULL, 1000);
SELECT * FROM experiments.fetch_orchestration_item(-1, 1000);
SELECT * FROM experiments.fetch_orchestration_item(1000, -1);
SELECT * FROM experiments.fetch_orchestration_item(1000, 1000, 5, 4);
SELECT experiments.ack_orchestration_item(NULL, 1, 1, '[]', '[]', '[]', '{}');
SELECT experiments.ack_orchestration_item('t', 1, 0, '[]', '[]', '[]', '{}');
SELECT experiments.ack_orchestration_item('t', 1, 1, '{}', '[]', '[]', '{}');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[]', '[1]', '[]', '{}');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[]', '[]', '[]', '[]');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[]', '[]', '[]', '{"status": 3}');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[]', '[]', '[]', '{"custom_status_action": "toggle"}');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[]', '[]', '[]', '{"kv_mutations": [{"action": "set", "key": "k"}]}');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[]', '[]', '[]', '{"pinned_duroxide_version": {"major": 1, "minor": 1000, "patch": 0}}');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[]', '[]', '[]', '{}', '[{"instance": "x"}]');
SELECT experiments.ack_orchestration_item('t', 1, 1, '[{"event_id": 1}]', '[]', '[]', '{}');
SELECT experiments.enqueue_orchestrator_work('', '{}', to_timestamp(0));
SELECT experiments.enqueue_orchestrator_work('x', 'not json', to_timestamp(0));
SELECT experiments.enqueue_orchestrator_work('x', '"scalar"', to_timestamp(0));
SELECT experiments.enqueue_orchestrator_work('x', '{}', NULL);
SELECT count(*) AS queue_rows_for_x FROM experiments.orchestrator_queue WHERE instance_id = 'x';

SET client_min_messages = warning;
DROP SCHEMA orch_t CASCADE;
RESET client_min_messages;
