-- Orchestration domain: the worker queue - FIFO, tag filters in every
-- mode, sessions, ack/renew/abandon - driven through p_now_ms.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
TRUNCATE experiments.worker_queue, experiments.sessions, experiments.orchestrator_queue;
RESET client_min_messages;

CREATE SCHEMA work_t;
CREATE FUNCTION work_t.item(n int, session text DEFAULT NULL, tag text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('ActivityExecute', jsonb_build_object(
           'instance', 'wi', 'execution_id', 1, 'id', n, 'name', 'Act' || n, 'input', '',
           'session_id', session, 'tag', tag)))::text $$;
CREATE FUNCTION work_t.put(n int, now_ms bigint, session text DEFAULT NULL, tag text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
  SELECT experiments.enqueue_worker_work(work_t.item(n, session, tag), now_ms, 'wi', 1, n,
                                         session, tag) $$;
CREATE TABLE work_t.tok (name text PRIMARY KEY, token text);
-- fetch, keep the token, show the activity id and the attempt count
CREATE FUNCTION work_t.fetch(name text, now_ms bigint, owner text DEFAULT NULL,
                             tags text[] DEFAULT NULL, mode text DEFAULT 'default_only',
                             lock_ms bigint DEFAULT 30000, session_ms bigint DEFAULT NULL)
RETURNS TABLE (activity bigint, attempts integer)
LANGUAGE sql AS $$
  WITH f AS (SELECT * FROM experiments.fetch_work_item(now_ms, lock_ms, owner, session_ms, tags, mode)),
  k AS (INSERT INTO work_t.tok SELECT name, f.out_lock_token FROM f
        ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token)
  SELECT (f.out_work_item::jsonb -> 'ActivityExecute' ->> 'id')::bigint, f.out_attempt_count FROM f $$;
CREATE FUNCTION work_t.t(name text) RETURNS text
LANGUAGE sql AS $$ SELECT token FROM work_t.tok WHERE tok.name = t.name $$;
CREATE VIEW work_t.queue AS
  SELECT activity_id, session_id, tag, lock_token IS NOT NULL AS locked, attempt_count,
         (extract(epoch FROM visible_at) * 1000)::bigint AS visible_ms
    FROM experiments.worker_queue ORDER BY id;

--------------------------------------------------------------------------
-- 1. FIFO, visibility, lock, ack with completion
--------------------------------------------------------------------------
SELECT work_t.put(1, 1000), work_t.put(2, 1000), work_t.put(3, 2000);
SELECT * FROM work_t.queue;
SELECT count(*) AS fetched_too_early FROM work_t.fetch('early', 999);
SELECT * FROM work_t.fetch('f1', 1500);
SELECT * FROM work_t.fetch('f2', 1500);
-- item 3 is not visible yet at 1500
SELECT count(*) AS nothing_visible FROM work_t.fetch('f3', 1500);
SELECT * FROM work_t.fetch('f3', 2000);
SELECT * FROM work_t.queue;
-- ack with a completion: the item goes, the completion reaches the instance
SELECT experiments.ack_worker(work_t.t('f1'), 'wi',
    '{"ActivityCompleted": {"instance": "wi", "execution_id": 1, "id": 1, "result": "r"}}', 2100);
SELECT instance_id, work_item::jsonb ? 'ActivityCompleted' AS completed,
       (extract(epoch FROM visible_at) * 1000)::bigint AS visible_ms
  FROM experiments.orchestrator_queue;
-- ack without completion (and without now: expiry not checked)
SELECT experiments.ack_worker(work_t.t('f2'));
SELECT * FROM work_t.queue;
-- a spent token
SELECT experiments.ack_worker(work_t.t('f2'));
SELECT experiments.ack_worker('lock_unknown', NULL, NULL, 2100);

--------------------------------------------------------------------------
-- 2. lock expiry, renew (seconds), abandon (delay, ignore_attempt)
--------------------------------------------------------------------------
-- f3 locked item 3 until 32000; an ack after that is refused
SELECT experiments.ack_worker(work_t.t('f3'), NULL, NULL, 32000);
-- renewal within the lock extends it
SELECT experiments.renew_work_item_lock(work_t.t('f3'), 31000, 60);
SELECT locked_until FROM experiments.worker_queue WHERE activity_id = 3;
SELECT count(*) AS fetched_while_renewed FROM work_t.fetch('f4', 50000);
-- expired: renew fails, another worker takes it over, attempt 2
SELECT experiments.renew_work_item_lock(work_t.t('f3'), 91000, 60);
SELECT * FROM work_t.fetch('f4', 91000);
SELECT experiments.ack_worker(work_t.t('f3'), NULL, NULL, 91001);
-- abandon: visible again now + delay, attempt count optionally undone
SELECT experiments.abandon_work_item(work_t.t('f4'), 92000, 1000, true);
SELECT * FROM work_t.queue;
SELECT count(*) AS fetched_during_delay FROM work_t.fetch('f5', 92999);
SELECT * FROM work_t.fetch('f5', 93000);
SELECT experiments.abandon_work_item(work_t.t('f5'), 93100);
SELECT * FROM work_t.queue;
SELECT experiments.abandon_work_item(work_t.t('f5'), 93200);
SELECT experiments.renew_work_item_lock('lock_unknown', 93200, 1);
SELECT * FROM work_t.fetch('f6', 93300);
SELECT experiments.ack_worker(work_t.t('f6'), NULL, NULL, 93400);

--------------------------------------------------------------------------
-- 3. tag filters in every mode
--------------------------------------------------------------------------
SELECT work_t.put(10, 100000), work_t.put(11, 100000, NULL, 'gpu'),
       work_t.put(12, 100000, NULL, 'cpu'), work_t.put(13, 100000);
-- default_only: untagged items only
SELECT * FROM work_t.fetch('g1', 100000, NULL, NULL, 'default_only');
SELECT experiments.abandon_work_item(work_t.t('g1'), 100000);
-- tags: only the listed tags
SELECT * FROM work_t.fetch('g2', 100000, NULL, ARRAY['cpu'], 'tags');
SELECT experiments.abandon_work_item(work_t.t('g2'), 100000);
SELECT * FROM work_t.fetch('g3', 100000, NULL, ARRAY['gpu', 'cpu'], 'tags');
SELECT experiments.abandon_work_item(work_t.t('g3'), 100000);
SELECT count(*) AS no_such_tag FROM work_t.fetch('g4', 100000, NULL, ARRAY['tpu'], 'tags');
SELECT count(*) AS empty_tag_list FROM work_t.fetch('g4', 100000, NULL, NULL, 'tags');
-- default_and: untagged or listed
SELECT * FROM work_t.fetch('g5', 100000, NULL, ARRAY['gpu'], 'default_and');
SELECT * FROM work_t.fetch('g6', 100000, NULL, ARRAY['gpu'], 'default_and');
SELECT * FROM work_t.fetch('g7', 100000, NULL, ARRAY['gpu'], 'default_and');
SELECT count(*) AS only_cpu_left FROM work_t.fetch('g8', 100000, NULL, ARRAY['gpu'], 'default_and');
-- any: everything; none: nothing
SELECT count(*) AS none_mode FROM work_t.fetch('g9', 100000, NULL, NULL, 'none');
SELECT * FROM work_t.fetch('g9', 100000, NULL, NULL, 'any');
SELECT count(*) AS tag_mode_bad FROM work_t.fetch('g10', 100000, NULL, NULL, 'some');
DELETE FROM experiments.worker_queue;

--------------------------------------------------------------------------
-- 4. sessions: affinity, expiry, no owner
--------------------------------------------------------------------------
SELECT work_t.put(20, 200000, 's1'), work_t.put(21, 200000, 's1'),
       work_t.put(22, 200000, 's2'), work_t.put(23, 200000);
-- without an owner, session items are never handed out
SELECT * FROM work_t.fetch('n1', 200000);
SELECT count(*) AS nothing_without_owner FROM work_t.fetch('n2', 200000);
-- worker A takes s1 (session lock 10 s), worker B then cannot take s1's items
SELECT * FROM work_t.fetch('a1', 200000, 'A', NULL, 'default_only', 30000, 10000);
SELECT session_id, worker_id, locked_until, last_activity_at FROM experiments.sessions;
SELECT * FROM work_t.fetch('b1', 200100, 'B', NULL, 'default_only', 30000, 10000);
SELECT count(*) AS b_gets_nothing FROM work_t.fetch('b2', 200100, 'B', NULL, 'default_only', 30000, 10000);
-- A gets the rest of its session
SELECT * FROM work_t.fetch('a2', 200200, 'A', NULL, 'default_only', 30000, 10000);
-- ack refreshes the session's last activity (its lock is still valid)
SELECT experiments.ack_worker(work_t.t('a1'), NULL, NULL, 205000);
SELECT session_id, worker_id, last_activity_at FROM experiments.sessions WHERE session_id = 's1';
SELECT experiments.renew_work_item_lock(work_t.t('a2'), 206000, 30);
SELECT session_id, last_activity_at FROM experiments.sessions WHERE session_id = 's1';
-- after the session lock expires, B may take over s1
SELECT experiments.abandon_work_item(work_t.t('a2'), 206500);
SELECT count(*) AS still_a_session FROM work_t.fetch('b3', 209999, 'B', NULL, 'default_only', 30000, 10000);
SELECT * FROM work_t.fetch('b3', 210300, 'B', NULL, 'default_only', 30000, 10000);
SELECT session_id, worker_id, locked_until FROM experiments.sessions ORDER BY 1;

--------------------------------------------------------------------------
-- 5. argument errors
--------------------------------------------------------------------------
SELECT experiments.enqueue_worker_work(NULL, 1);
SELECT experiments.enqueue_worker_work('not json', 1);
SELECT experiments.enqueue_worker_work('[]', 1);
SELECT experiments.enqueue_worker_work('{}', NULL);
SELECT * FROM experiments.fetch_work_item(NULL, 1);
SELECT * FROM experiments.fetch_work_item(1, -5);
SELECT * FROM experiments.fetch_work_item(1, 5, '');
SELECT * FROM experiments.fetch_work_item(1, 5, 'w', -1);
SELECT * FROM experiments.fetch_work_item(1, 5, NULL, NULL, NULL, NULL);
SELECT experiments.ack_worker(NULL);
SELECT experiments.ack_worker('t', NULL, '{}', 1);
SELECT experiments.ack_worker('t', 'i', '{}', NULL);
SELECT experiments.ack_worker('t', 'i', 'nope', 1);
SELECT experiments.renew_work_item_lock('t', NULL, 1);
SELECT experiments.abandon_work_item('t', 1, NULL, NULL);
SELECT experiments.abandon_work_item(NULL, 1);

SET client_min_messages = warning;
DROP SCHEMA work_t CASCADE;
TRUNCATE experiments.worker_queue, experiments.sessions, experiments.orchestrator_queue;
RESET client_min_messages;
