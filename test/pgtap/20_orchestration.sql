-- Contracts of the orchestration domain (part 1): tables, the duroxide-pg
-- signatures and result columns, privileges, SQLSTATEs.  One transaction,
-- rolled back at the end.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(135);

--------------------------------------------------------------------------
-- tables, keys, and pg_dump keeps their rows
--------------------------------------------------------------------------
SELECT has_table('experiments', t, 'table experiments.' || t)
  FROM unnest(ARRAY['orchestration_hubs', 'instances', 'executions', 'history',
                    'orchestrator_queue', 'worker_queue', 'instance_locks', 'sessions',
                    'kv_store', 'kv_delta']) t;
SELECT col_is_pk('experiments', t, c, t || ' key')
  FROM (VALUES ('instances', ARRAY['instance_id']), ('executions', ARRAY['instance_id', 'execution_id']),
               ('history', ARRAY['instance_id', 'execution_id', 'event_id']),
               ('orchestrator_queue', ARRAY['id']), ('worker_queue', ARRAY['id']),
               ('instance_locks', ARRAY['instance_id']), ('sessions', ARRAY['session_id']),
               ('kv_store', ARRAY['instance_id', 'key']), ('kv_delta', ARRAY['instance_id', 'key'])) v (t, c);
SELECT has_index('experiments', t, i, 'index ' || i)
  FROM (VALUES ('instances', 'idx_instances_parent'), ('orchestrator_queue', 'idx_orch_visible'),
               ('orchestrator_queue', 'idx_orch_instance'),
               ('worker_queue', 'idx_worker_visible'),
               ('worker_queue', 'idx_worker_activity_lookup'), ('worker_queue', 'idx_worker_queue_session_id'),
               ('worker_queue', 'idx_worker_queue_tag'), ('instance_locks', 'idx_instance_locks_locked_until'),
               ('kv_store', 'idx_kv_store_execution')) v (t, i);
SELECT hasnt_index('experiments', t, i, 'no index ' || i || ' (it would hold lock_token)')
  FROM (VALUES ('orchestrator_queue', 'idx_orch_lock'), ('worker_queue', 'idx_worker_available')) v (t, i);
-- a fetch's lock (lock_token, locked_until, attempt_count) must be a heap-only update
SELECT is_empty($$ SELECT i.indexrelid::regclass FROM pg_index i
                    JOIN pg_attribute a ON a.attrelid = i.indrelid
                   WHERE i.indrelid IN ('experiments.orchestrator_queue'::regclass,
                                        'experiments.worker_queue'::regclass)
                     AND a.attname IN ('lock_token', 'locked_until', 'attempt_count')
                     AND (a.attnum = ANY (i.indkey)
                          OR pg_get_expr(i.indpred, i.indrelid) LIKE '%' || a.attname || '%'
                          OR pg_get_expr(i.indexprs, i.indrelid) LIKE '%' || a.attname || '%') $$,
                'no queue index holds a column the fetch locks with');
SELECT set_eq($$ SELECT relname::text, reloptions FROM pg_class
                  WHERE oid IN ('experiments.orchestrator_queue'::regclass,
                                'experiments.worker_queue'::regclass) $$,
              $$ VALUES ('orchestrator_queue', '{fillfactor=70}'::text[]),
                        ('worker_queue', '{fillfactor=70}'::text[]) $$,
              'the queues leave room on each page for those updates');
SELECT set_has($$ SELECT c::regclass::text FROM pg_extension e, unnest(e.extconfig) c
                  WHERE e.extname = 'experiments' $$,
               $$ SELECT unnest(ARRAY['experiments.orchestration_hubs', 'experiments.instances', 'experiments.executions',
                     'experiments.history', 'experiments.orchestrator_queue', 'experiments.worker_queue',
                     'experiments.instance_locks', 'experiments.sessions', 'experiments.kv_store',
                     'experiments.kv_delta']) $$,
               'pg_dump keeps the rows of every orchestration table');

--------------------------------------------------------------------------
-- the exact duroxide-pg signatures
--------------------------------------------------------------------------
CREATE TEMP TABLE tap_sig (proc regprocedure, args text, result text);
INSERT INTO tap_sig VALUES
 ('experiments.initialize_schema(text)', 'p_schema_name text', 'void'),
 ('experiments.cleanup_schema()', '', 'void'),
 ('experiments.fetch_orchestration_item(bigint,bigint,bigint,bigint)',
  'p_now_ms bigint, p_lock_timeout_ms bigint, p_min_version_packed bigint DEFAULT NULL::bigint, p_max_version_packed bigint DEFAULT NULL::bigint',
  'TABLE(out_instance_id text, out_orchestration_name text, out_orchestration_version text, out_execution_id bigint, out_history jsonb, out_messages jsonb, out_lock_token text, out_attempt_count integer, out_kv_snapshot jsonb)'),
 ('experiments.ack_orchestration_item(text,bigint,bigint,jsonb,jsonb,jsonb,jsonb,jsonb)',
  'p_lock_token text, p_now_ms bigint, p_execution_id bigint, p_history_delta jsonb, p_worker_items jsonb, p_orchestrator_items jsonb, p_metadata jsonb, p_cancelled_activities jsonb DEFAULT ''[]''::jsonb',
  'void'),
 ('experiments.abandon_orchestration_item(text,bigint,bigint,boolean)',
  'p_lock_token text, p_now_ms bigint, p_delay_ms bigint DEFAULT NULL::bigint, p_ignore_attempt boolean DEFAULT false',
  'text'),
 ('experiments.renew_orchestration_item_lock(text,bigint,bigint)',
  'p_lock_token text, p_now_ms bigint, p_extend_secs bigint', 'void'),
 ('experiments.enqueue_orchestrator_work(text,text,timestamptz,text,text,bigint)',
  'p_instance_id text, p_work_item text, p_visible_at timestamp with time zone, p_orchestration_name text DEFAULT NULL::text, p_orchestration_version text DEFAULT NULL::text, p_execution_id bigint DEFAULT NULL::bigint',
  'void'),
 ('experiments.enqueue_worker_work(text,bigint,text,bigint,bigint,text,text)',
  'p_work_item text, p_now_ms bigint, p_instance_id text DEFAULT NULL::text, p_execution_id bigint DEFAULT NULL::bigint, p_activity_id bigint DEFAULT NULL::bigint, p_session_id text DEFAULT NULL::text, p_tag text DEFAULT NULL::text',
  'void'),
 ('experiments.fetch_work_item(bigint,bigint,text,bigint,text[],text)',
  'p_now_ms bigint, p_lock_timeout_ms bigint, p_owner_id text DEFAULT NULL::text, p_session_lock_timeout_ms bigint DEFAULT NULL::bigint, p_tag_filter text[] DEFAULT NULL::text[], p_tag_mode text DEFAULT ''default_only''::text',
  'TABLE(out_work_item text, out_lock_token text, out_attempt_count integer)'),
 ('experiments.ack_worker(text,text,text,bigint)',
  'p_lock_token text, p_instance_id text DEFAULT NULL::text, p_completion_json text DEFAULT NULL::text, p_now_ms bigint DEFAULT NULL::bigint',
  'void'),
 ('experiments.renew_work_item_lock(text,bigint,bigint)',
  'p_lock_token text, p_now_ms bigint, p_extend_secs bigint', 'void'),
 ('experiments.abandon_work_item(text,bigint,bigint,boolean)',
  'p_lock_token text, p_now_ms bigint, p_delay_ms bigint DEFAULT NULL::bigint, p_ignore_attempt boolean DEFAULT false',
  'void'),
 ('experiments.fetch_history(text)', 'p_instance_id text', 'TABLE(out_event_data text)'),
 ('experiments.fetch_history_with_execution(text,bigint)', 'p_instance_id text, p_execution_id bigint',
  'TABLE(out_event_data text)'),
 ('experiments.append_history(text,bigint,jsonb)', 'p_instance_id text, p_execution_id bigint, p_events jsonb',
  'void');
SELECT is(pg_get_function_arguments(proc), args, proc::text || ' parameters') FROM tap_sig;
SELECT is(pg_get_function_result(proc), result, proc::text || ' result') FROM tap_sig;
SELECT is((SELECT lanname FROM pg_language l JOIN pg_proc p ON p.prolang = l.oid WHERE p.oid = proc),
          'c'::name, proc::text || ' is written in C') FROM tap_sig;
SELECT ok(NOT (SELECT prosecdef FROM pg_proc WHERE oid = proc),
          proc::text || ' is not SECURITY DEFINER') FROM tap_sig;
SELECT set_eq($$ SELECT to_regprocedure(routine)::text FROM experiments.api_routines
                  WHERE domain = 'orchestration'
                    AND to_regprocedure(routine) IN (SELECT proc FROM tap_sig) $$,
              $$ SELECT proc::text FROM tap_sig $$,
              'the orchestration routines are registered with their domain');
SELECT set_eq($$ SELECT to_regprocedure(routine)::text FROM experiments.api_routines
                  WHERE domain = 'orchestration' AND NOT writes
                    AND to_regprocedure(routine) IN (SELECT proc FROM tap_sig) $$,
              ARRAY['experiments.fetch_history(text)', 'experiments.fetch_history_with_execution(text,bigint)'],
              'only the history readers are read-only');

--------------------------------------------------------------------------
-- privileges
--------------------------------------------------------------------------
SELECT is_empty($$ SELECT proc FROM tap_sig WHERE has_function_privilege('public', proc, 'EXECUTE') $$,
                'no orchestration routine is executable by PUBLIC');
SELECT table_privs_are('experiments', t, 'public', ARRAY[]::text[], 'PUBLIC has no right on experiments.' || t)
  FROM unnest(ARRAY['orchestration_hubs', 'instances', 'history', 'orchestrator_queue', 'worker_queue']) t;
CREATE ROLE tap_orch_none;
CREATE ROLE tap_orch_user;
CREATE ROLE tap_orch_reader;
SELECT lives_ok($$ SELECT * FROM experiments.grant_access('tap_orch_user', ARRAY['orchestration']) $$,
                'grant orchestration');
SELECT lives_ok($$ SELECT * FROM experiments.grant_access('tap_orch_reader', ARRAY['orchestration'], true) $$,
                'grant orchestration read-only');
SET ROLE tap_orch_none;
SELECT throws_ok($$ SELECT * FROM experiments.fetch_orchestration_item(1, 1) $$, '42501', NULL,
                 'fetch_orchestration_item needs the grant');
SELECT throws_ok($$ SELECT experiments.enqueue_worker_work('{}', 1) $$, '42501', NULL,
                 'enqueue_worker_work needs the grant');
SELECT throws_ok($$ SELECT * FROM experiments.fetch_history('x') $$, '42501', NULL,
                 'fetch_history needs the grant');
SELECT throws_ok($$ SELECT experiments.initialize_schema('tap_hub') $$, '42501', NULL,
                 'initialize_schema needs the grant');
RESET ROLE;
SET ROLE tap_orch_reader;
SELECT lives_ok($$ SELECT * FROM experiments.fetch_history('x') $$, 'a reader reads history');
SELECT throws_ok($$ SELECT * FROM experiments.fetch_work_item(1, 1) $$, '42501', NULL,
                 'a reader cannot claim work (a claim is a write)');
RESET ROLE;
SET ROLE tap_orch_user;
SELECT lives_ok($$ SELECT experiments.enqueue_orchestrator_work('tap', '{"QueueMessage": {}}', now()) $$,
                'a granted role enqueues');
SELECT is((SELECT count(*)::int FROM experiments.fetch_orchestration_item(
              (extract(epoch FROM now()) * 1000)::bigint + 1000, 1000)), 1, 'and fetches');
SELECT throws_ok($$ SELECT * FROM experiments.instances $$, '42501', NULL,
                 'but cannot read the tables');
SELECT lives_ok($$ SELECT experiments.initialize_schema('tap_hub') $$, 'and makes a hub');
SELECT lives_ok($$ SELECT * FROM tap_hub.fetch_work_item(1, 1) $$, 'which it can use');
RESET ROLE;
SET ROLE tap_orch_none;
SELECT throws_ok($$ SELECT * FROM tap_hub.fetch_work_item(1, 1) $$, '42501', NULL,
                 'hub routines need the grant too');
SELECT throws_ok($$ SELECT tap_hub.cleanup_schema() $$, '42501', NULL,
                 'so does cleanup_schema');
RESET ROLE;

--------------------------------------------------------------------------
-- SQLSTATEs and the contract's messages
--------------------------------------------------------------------------
SELECT throws_ok($$ SELECT experiments.ack_orchestration_item('x', 1, 1, '[]', '[]', '[]', '{}') $$,
                 '55000', 'Invalid lock token', 'ack with an unknown token');
SELECT throws_ok($$ SELECT experiments.abandon_orchestration_item('x', 1) $$,
                 '55000', 'Invalid lock token', 'abandon with an unknown token');
SELECT throws_ok($$ SELECT experiments.renew_orchestration_item_lock('x', 1, 1) $$,
                 '55000', 'Lock token invalid, expired, or already released', 'renew an unknown token');
SELECT throws_ok($$ SELECT experiments.ack_worker('x') $$,
                 '55000', 'Worker queue item not found or already processed', 'ack_worker unknown token');
SELECT throws_ok($$ SELECT experiments.renew_work_item_lock('x', 1, 1) $$,
                 '55000', 'Lock token invalid, expired, or already acked', 'renew unknown work token');
SELECT throws_ok($$ SELECT experiments.abandon_work_item('x', 1) $$,
                 '55000', 'Invalid lock token or already acked', 'abandon unknown work token');
SELECT throws_ok($$ SELECT experiments.ack_worker('x', NULL, '{}', 1) $$,
                 '22004', 'p_instance_id is required when p_completion_json is provided', 'completion without instance');
SELECT throws_ok($$ SELECT experiments.ack_worker('x', 'i', '{}', NULL) $$,
                 '22004', 'p_now_ms is required when p_completion_json is provided', 'completion without time');
SELECT throws_ok($$ SELECT experiments.append_history('i', 1, '[{"event_id": 0, "event_data": "{}"}]') $$,
                 '22023', 'Invalid event_id in append_history', 'event id 0');
SELECT throws_ok($$ SELECT experiments.append_history('i', 1, '[{"event_id": 1, "event_data": "{"}]') $$,
                 '22P02', NULL, 'event data that is not JSON');
SELECT throws_ok($$ SELECT * FROM experiments.fetch_orchestration_item(NULL, 1) $$,
                 '22004', 'p_now_ms must not be null', 'fetch without time');
SELECT throws_ok($$ SELECT * FROM experiments.fetch_work_item(1, 1, NULL, NULL, NULL, 'sometimes') $$,
                 '22023', NULL, 'unknown tag mode');
SELECT throws_ok($$ SELECT experiments.initialize_schema('public') $$,
                 '42P06', NULL, 'an existing schema is not turned into a hub');
SELECT throws_ok($$ SELECT experiments.initialize_schema('pg_x') $$,
                 '42939', NULL, 'pg_ names are reserved');
SELECT throws_ok($$ SELECT experiments.cleanup_schema() $$,
                 '55000', NULL, 'the default hub is never dropped');
-- a duplicate event id is 23505 and leaves everything as it was
SELECT lives_ok($$ SELECT experiments.enqueue_orchestrator_work('dup', '{"QueueMessage": {}}', to_timestamp(0)) $$,
                'enqueue for the duplicate test');
CREATE TEMP TABLE tap_tok AS SELECT out_lock_token AS t FROM experiments.fetch_orchestration_item(1, 60000)
                               WHERE out_instance_id = 'dup';
SELECT throws_ok($$ SELECT experiments.ack_orchestration_item((SELECT t FROM tap_tok), 2, 1,
                      '[{"event_id": 1, "event_type": "Event", "event_data": "{}"},
                        {"event_id": 1, "event_type": "Event", "event_data": "{}"}]', '[]', '[]', '{}') $$,
                 '23505', NULL, 'duplicate event id');
SELECT is((SELECT count(*)::int FROM experiments.instance_locks WHERE instance_id = 'dup'), 1,
          'the lock is kept after the failed ack');
SELECT lives_ok($$ SELECT experiments.ack_orchestration_item((SELECT t FROM tap_tok), 2, 1,
                      '[{"event_id": 1, "event_type": "Event", "event_data": "{}"}]', '[]', '[]', '{}') $$,
                'and the turn can be acked correctly');

SELECT * FROM finish();
ROLLBACK;
