-- Contracts of the orchestration domain, part 2 (status, KV, statistics,
-- management, metrics, sessions, deletion, pruning): signatures and result
-- columns as duroxide-pg's, privileges, SQLSTATEs.  One transaction,
-- rolled back at the end.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(170);

CREATE TEMP TABLE tap_mgmt (routine regprocedure, args text, result text, call text);
INSERT INTO tap_mgmt VALUES
  ('experiments.renew_session_lock(text[],bigint,bigint,bigint)',
   'p_owner_ids text[], p_now_ms bigint, p_extend_ms bigint, p_idle_timeout_ms bigint', 'bigint',
   $$ SELECT experiments.renew_session_lock(ARRAY['w'], 1, 1, 1) $$),
  ('experiments.cleanup_orphaned_sessions(bigint)', 'p_now_ms bigint', 'bigint',
   $$ SELECT experiments.cleanup_orphaned_sessions(1) $$),
  ('experiments.get_custom_status(text,bigint)', 'p_instance_id text, p_last_seen_version bigint',
   'TABLE(out_custom_status text, out_custom_status_version bigint)',
   $$ SELECT * FROM experiments.get_custom_status('tap-x', 0) $$),
  ('experiments.get_kv_value(text,text)', 'p_instance text, p_key text',
   'TABLE(out_value text, out_found boolean)',
   $$ SELECT * FROM experiments.get_kv_value('tap-x', 'k') $$),
  ('experiments.get_kv_all_values(text)', 'p_instance text',
   'TABLE(out_key text, out_value text)',
   $$ SELECT * FROM experiments.get_kv_all_values('tap-x') $$),
  ('experiments.get_instance_stats(text)', 'p_instance text',
   'TABLE(out_found boolean, out_history_event_count bigint, out_history_size_bytes bigint, '
   'out_queue_pending_count bigint, out_kv_user_key_count bigint, out_kv_total_value_bytes bigint)',
   $$ SELECT * FROM experiments.get_instance_stats('tap-x') $$),
  ('experiments.list_instances()', '', 'TABLE(instance_id text)',
   $$ SELECT * FROM experiments.list_instances() $$),
  ('experiments.list_instances_by_status(text)', 'p_status text', 'TABLE(instance_id text)',
   $$ SELECT * FROM experiments.list_instances_by_status('Running') $$),
  ('experiments.list_executions(text)', 'p_instance_id text', 'TABLE(execution_id bigint)',
   $$ SELECT * FROM experiments.list_executions('tap-x') $$),
  ('experiments.latest_execution_id(text)', 'p_instance_id text', 'bigint',
   $$ SELECT experiments.latest_execution_id('tap-x') $$),
  ('experiments.get_instance_info(text)', 'p_instance_id text',
   'TABLE(instance_id text, orchestration_name text, orchestration_version text, '
   'current_execution_id bigint, created_at timestamp with time zone, '
   'updated_at timestamp with time zone, status text, output text, parent_instance_id text)',
   $$ SELECT * FROM experiments.get_instance_info('tap-x') $$),
  ('experiments.get_execution_info(text,bigint)', 'p_instance_id text, p_execution_id bigint',
   'TABLE(execution_id bigint, status text, output text, started_at timestamp with time zone, '
   'completed_at timestamp with time zone, event_count bigint)',
   $$ SELECT * FROM experiments.get_execution_info('tap-x', 1) $$),
  ('experiments.get_system_metrics()', '',
   'TABLE(total_instances bigint, total_executions bigint, running_instances bigint, '
   'completed_instances bigint, failed_instances bigint, total_events bigint)',
   $$ SELECT * FROM experiments.get_system_metrics() $$),
  ('experiments.get_queue_depths(bigint)', 'p_now_ms bigint',
   'TABLE(orchestrator_queue bigint, worker_queue bigint)',
   $$ SELECT * FROM experiments.get_queue_depths(1) $$),
  ('experiments.list_children(text)', 'p_instance_id text', 'TABLE(child_instance_id text)',
   $$ SELECT * FROM experiments.list_children('tap-x') $$),
  ('experiments.get_parent_id(text)', 'p_instance_id text', 'text',
   $$ SELECT experiments.get_parent_id('tap-root') $$),
  ('experiments.delete_instances_atomic(text[],boolean)', 'p_instance_ids text[], p_force boolean',
   'TABLE(instances_deleted bigint, executions_deleted bigint, events_deleted bigint, '
   'queue_messages_deleted bigint)',
   $$ SELECT * FROM experiments.delete_instances_atomic(ARRAY['tap-x'], false) $$),
  ('experiments.prune_executions(text,integer,bigint)',
   'p_instance_id text, p_keep_last integer DEFAULT NULL::integer, '
   'p_completed_before_ms bigint DEFAULT NULL::bigint',
   'TABLE(instances_processed bigint, executions_deleted bigint, events_deleted bigint)',
   $$ SELECT * FROM experiments.prune_executions('tap-root', 1) $$);

--------------------------------------------------------------------------
-- signatures (duroxide-pg's, exactly), language, registration
--------------------------------------------------------------------------
SELECT is(pg_get_function_arguments(routine), args, routine::text || ' arguments')
  FROM tap_mgmt ORDER BY routine::text;
SELECT is(pg_get_function_result(routine), result, routine::text || ' result')
  FROM tap_mgmt ORDER BY routine::text;
SELECT is((SELECT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = routine), 'c', routine::text || ' is written in C')
  FROM tap_mgmt ORDER BY routine::text;
SELECT ok(NOT (SELECT prosecdef FROM pg_proc WHERE oid = routine),
          routine::text || ' is not SECURITY DEFINER')
  FROM tap_mgmt ORDER BY routine::text;
SELECT results_eq($$ SELECT r.routine, r.writes FROM experiments.api_routines r
                      JOIN tap_mgmt t ON r.routine::regprocedure = t.routine
                     WHERE r.domain = 'orchestration' ORDER BY r.routine $$,
                  $$ VALUES
    ('experiments.cleanup_orphaned_sessions(bigint)', true),
    ('experiments.delete_instances_atomic(text[], boolean)', true),
    ('experiments.get_custom_status(text, bigint)', false),
    ('experiments.get_execution_info(text, bigint)', false),
    ('experiments.get_instance_info(text)', false),
    ('experiments.get_instance_stats(text)', false),
    ('experiments.get_kv_all_values(text)', false),
    ('experiments.get_kv_value(text, text)', false),
    ('experiments.get_parent_id(text)', false),
    ('experiments.get_queue_depths(bigint)', false),
    ('experiments.get_system_metrics()', false),
    ('experiments.latest_execution_id(text)', false),
    ('experiments.list_children(text)', false),
    ('experiments.list_executions(text)', false),
    ('experiments.list_instances()', false),
    ('experiments.list_instances_by_status(text)', false),
    ('experiments.prune_executions(text, integer, bigint)', true),
    ('experiments.renew_session_lock(text[], bigint, bigint, bigint)', true) $$,
                  'the part 2 routines are registered with domain orchestration and their write flags');
SELECT has_index('experiments', 'instances', 'idx_instances_created', ARRAY['created_at', 'instance_id']);
SELECT has_index('experiments', 'executions', 'idx_executions_status',
                 ARRAY['status', 'instance_id', 'execution_id']);

--------------------------------------------------------------------------
-- privileges: nothing for PUBLIC or an ungranted role; the orchestration
-- grant calls everything; the read-only grant only what writes nothing
--------------------------------------------------------------------------
-- an instance to call the routines on: a root with no history
INSERT INTO experiments.instances (instance_id, orchestration_name, created_at, updated_at)
VALUES ('tap-root', 'Orch', now(), now());

CREATE ROLE tap_mgmt_none;
CREATE ROLE tap_mgmt_app;
CREATE ROLE tap_mgmt_reader;
SELECT ok(count(*) > 0, 'grant_access gives the orchestration routines')
  FROM experiments.grant_access('tap_mgmt_app', ARRAY['orchestration']);
SELECT ok(count(*) > 0, 'grant_access gives the read-only orchestration routines')
  FROM experiments.grant_access('tap_mgmt_reader', ARRAY['orchestration'], true);
GRANT SELECT ON tap_mgmt TO tap_mgmt_none, tap_mgmt_app, tap_mgmt_reader;

SELECT ok(NOT has_function_privilege('public', routine, 'EXECUTE'),
          'PUBLIC may not call ' || routine::text)
  FROM tap_mgmt ORDER BY routine::text;

SET LOCAL ROLE tap_mgmt_none;
SELECT throws_ok(call, '42501', NULL, 'a role without the grant may not call ' || routine::text)
  FROM tap_mgmt ORDER BY routine::text;
RESET ROLE;
SET LOCAL ROLE tap_mgmt_app;
SELECT lives_ok(call, 'the orchestration role calls ' || routine::text)
  FROM tap_mgmt ORDER BY routine::text;
SELECT throws_ok($$ SELECT * FROM experiments.instances $$, '42501', NULL,
                 'and cannot read the instances table');
RESET ROLE;
SELECT is(has_function_privilege('tap_mgmt_reader', t.routine, 'EXECUTE'), NOT r.writes,
          'the read-only role ' || CASE WHEN r.writes THEN 'may not' ELSE 'may' END
          || ' call ' || t.routine::text)
  FROM tap_mgmt t JOIN experiments.api_routines r ON r.routine::regprocedure = t.routine
 ORDER BY t.routine::text;

--------------------------------------------------------------------------
-- SQLSTATEs and the contract's messages
--------------------------------------------------------------------------
SELECT throws_ok($$ SELECT experiments.get_parent_id('tap-nobody') $$,
                 'P0002', 'Instance not found: tap-nobody', 'get_parent_id of an unknown instance');
SELECT throws_ok($$ SELECT * FROM experiments.prune_executions('tap-nobody', 1) $$,
                 'P0002', 'Instance tap-nobody not found', 'prune_executions of an unknown instance');
INSERT INTO experiments.executions (instance_id, execution_id, status, started_at)
VALUES ('tap-root', 1, 'Running', now());
INSERT INTO experiments.instances (instance_id, orchestration_name, created_at, updated_at,
                                   parent_instance_id)
VALUES ('tap-child', 'Orch', now(), now(), 'tap-root');
SELECT throws_ok($$ SELECT * FROM experiments.delete_instances_atomic(ARRAY['tap-root'], false) $$,
                 '55000', 'Instance tap-root is Running. Use force=true to delete.',
                 'deleting a running instance without force');
SELECT throws_ok($$ SELECT * FROM experiments.delete_instances_atomic(ARRAY['tap-root'], true) $$,
                 '55000', 'Orphan detected: instance tap-child has parent in delete list but is not included',
                 'deleting a parent without its child');
SELECT results_eq($$ SELECT * FROM experiments.delete_instances_atomic(ARRAY['tap-child', 'tap-root'], true) $$,
                  $$ VALUES (2::bigint, 1::bigint, 0::bigint, 0::bigint) $$,
                  'deleting the whole tree with force');
SELECT throws_ok($$ SELECT * FROM experiments.delete_instances_atomic(NULL, false) $$,
                 '22004', 'p_instance_ids must not be null', 'NULL id list');
SELECT throws_ok($$ SELECT * FROM experiments.delete_instances_atomic(ARRAY[NULL::text], false) $$,
                 '22004', 'p_instance_ids must not contain null', 'NULL id in the list');
SELECT throws_ok($$ SELECT * FROM experiments.delete_instances_atomic(ARRAY[repeat('x', 1025)], false) $$,
                 '22023', 'p_instance_ids[1] is longer than 1024 bytes', 'an over-long id');
SELECT throws_ok($$ SELECT * FROM experiments.prune_executions('x', -1) $$,
                 '22023', NULL, 'a negative keep_last');
SELECT throws_ok($$ SELECT * FROM experiments.prune_executions('x', NULL, -1) $$,
                 '22023', NULL, 'a negative completed_before_ms');
SELECT throws_ok($$ SELECT * FROM experiments.get_queue_depths(NULL) $$,
                 '22004', 'p_now_ms must not be null', 'get_queue_depths without a time');
SELECT throws_ok($$ SELECT experiments.cleanup_orphaned_sessions(-1) $$,
                 '22023', NULL, 'cleanup_orphaned_sessions before 1970');
SELECT throws_ok($$ SELECT experiments.renew_session_lock(ARRAY['w'], 1, -1, 1) $$,
                 '22023', NULL, 'a negative extension');
SELECT throws_ok($$ SELECT experiments.renew_session_lock(NULL, 1, 1, 1) $$,
                 '22004', 'p_owner_ids must not be null', 'no owner list');
SELECT throws_ok($$ SELECT * FROM experiments.get_kv_value('x', NULL) $$,
                 '22004', 'p_key must not be null', 'get_kv_value without a key');
SELECT throws_ok($$ SELECT * FROM experiments.get_custom_status('x', NULL) $$,
                 '22004', 'p_last_seen_version must not be null', 'get_custom_status without a version');

-- a hub gets every part 2 routine, bound to its own tables
SELECT lives_ok($$ SELECT experiments.initialize_schema('tap_mgmt_hub') $$, 'a hub is made');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN tap_mgmt t ON t.routine = (
             SELECT d.oid FROM pg_proc d WHERE d.pronamespace = 'experiments'::regnamespace
                AND d.proname = p.proname AND d.proargtypes = p.proargtypes)
            WHERE p.pronamespace = 'tap_mgmt_hub'::regnamespace), 18,
          'the hub has the eighteen part 2 routines');
INSERT INTO tap_mgmt_hub.instances (instance_id, orchestration_name, created_at, updated_at)
VALUES ('tap-hub-only', 'Orch', now(), now());
SELECT results_eq($$ SELECT * FROM tap_mgmt_hub.list_instances() $$, ARRAY['tap-hub-only'],
                  'the hub lists its own instances');
SELECT is_empty($$ SELECT * FROM experiments.get_instance_info('tap-hub-only') $$,
                'the default hub does not see them');

SELECT * FROM finish();
ROLLBACK;
