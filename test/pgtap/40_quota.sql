-- Contracts of the quota domain: tables, routine signatures and result
-- columns, privileges, SQLSTATEs.  One transaction, rolled back at the end.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(121);

--------------------------------------------------------------------------
-- tables, and pg_dump keeps their rows
--------------------------------------------------------------------------
SELECT has_table('experiments', t, 'table experiments.' || t)
  FROM unnest(ARRAY['users', 'user_profiles', 'plans', 'user_subscriptions',
                    'recordings', 'segments']) t;
SELECT col_is_pk('experiments', t, c, t || '.' || c || ' is the key')
  FROM (VALUES ('users', 'id'), ('user_profiles', 'user_id'), ('plans', 'id'),
               ('user_subscriptions', 'id'), ('recordings', 'id'), ('segments', 'id')) v (t, c);
SELECT col_is_unique('experiments', 'users', 'email', 'one account per email');
SELECT col_is_unique('experiments', 'users', 'user_name', 'one account per user name');
SELECT col_is_unique('experiments', 'plans', 'code', 'plan codes are unique');
SELECT col_is_unique('experiments', 'user_subscriptions', 'user_id', 'one subscription per user');
SELECT col_is_unique('experiments', 'segments', ARRAY['recording_id', 'idx'], 'idx is unique per recording');
SELECT fk_ok('experiments', 'user_subscriptions', 'plan_id', 'experiments', 'plans', 'id');
SELECT fk_ok('experiments', 'recordings', 'user_id', 'experiments', 'users', 'id');
SELECT fk_ok('experiments', 'segments', 'recording_id', 'experiments', 'recordings', 'id');
SELECT set_eq($$ SELECT c::regclass::text FROM pg_extension e, unnest(e.extconfig) c
                  WHERE e.extname = 'experiments'
                    AND c::regclass::text IN ('experiments.users', 'experiments.user_profiles',
                                              'experiments.plans', 'experiments.user_subscriptions',
                                              'experiments.recordings', 'experiments.segments') $$,
              ARRAY['experiments.users', 'experiments.user_profiles', 'experiments.plans',
                    'experiments.user_subscriptions', 'experiments.recordings',
                    'experiments.segments'],
              'pg_dump keeps the rows of every quota table');
SELECT results_eq($$ SELECT code FROM experiments.plans ORDER BY monthly_usage_limit $$,
                  ARRAY['FREE', 'BASIC', 'PREMIUM', 'ENTERPRISE'],
                  'the four seeded plans');

--------------------------------------------------------------------------
-- routines: kind, language, volatility, not SECURITY DEFINER
--------------------------------------------------------------------------
SELECT has_function('experiments', 'upsert_plan',
                    ARRAY['text', 'text', 'integer', 'integer', 'text', 'text', 'integer', 'integer']);
SELECT is_procedure('experiments', 'sp_register_user', ARRAY['text', 'text', 'text', 'text', 'text']);
SELECT has_function('experiments', 'sp_check_quota_and_create_recording',
                    ARRAY['uuid', 'text', 'text', 'jsonb']);
SELECT isnt_procedure('experiments', 'sp_check_quota_and_create_recording',
                      ARRAY['uuid', 'text', 'text', 'jsonb']);
SELECT is_procedure('experiments', 'sp_complete_recording', ARRAY['uuid', 'integer', 'jsonb']);
SELECT is_procedure('experiments', 'sp_reset_monthly_cycles', ARRAY[]::name[]);
SELECT has_function('experiments', 'sp_get_user_stats', ARRAY['uuid']);
SELECT isnt_procedure('experiments', 'sp_get_user_stats', ARRAY['uuid']);
SELECT is_procedure('experiments', 'sp_change_user_plan', ARRAY['uuid', 'text', 'boolean']);
SELECT has_function('experiments', 'sp_cleanup_old_recordings', ARRAY['integer', 'integer']);
SELECT isnt_procedure('experiments', 'sp_cleanup_old_recordings', ARRAY['integer', 'integer']);

SELECT function_lang_is('experiments', r.name, r.args, 'c', r.name || ' is written in C')
  FROM (VALUES
    ('upsert_plan', ARRAY['text', 'text', 'integer', 'integer', 'text', 'text', 'integer', 'integer']::name[]),
    ('sp_register_user', ARRAY['text', 'text', 'text', 'text', 'text']::name[]),
    ('sp_check_quota_and_create_recording', ARRAY['uuid', 'text', 'text', 'jsonb']::name[]),
    ('sp_complete_recording', ARRAY['uuid', 'integer', 'jsonb']::name[]),
    ('sp_reset_monthly_cycles', ARRAY[]::name[]),
    ('sp_get_user_stats', ARRAY['uuid']::name[]),
    ('sp_change_user_plan', ARRAY['uuid', 'text', 'boolean']::name[]),
    ('sp_cleanup_old_recordings', ARRAY['integer', 'integer']::name[])) r (name, args);
SELECT isnt_definer('experiments', r.name, r.args,
                    r.name || ' is not SECURITY DEFINER (the C guard switches user)')
  FROM (VALUES
    ('upsert_plan', ARRAY['text', 'text', 'integer', 'integer', 'text', 'text', 'integer', 'integer']::name[]),
    ('sp_register_user', ARRAY['text', 'text', 'text', 'text', 'text']::name[]),
    ('sp_check_quota_and_create_recording', ARRAY['uuid', 'text', 'text', 'jsonb']::name[]),
    ('sp_complete_recording', ARRAY['uuid', 'integer', 'jsonb']::name[]),
    ('sp_reset_monthly_cycles', ARRAY[]::name[]),
    ('sp_get_user_stats', ARRAY['uuid']::name[]),
    ('sp_change_user_plan', ARRAY['uuid', 'text', 'boolean']::name[]),
    ('sp_cleanup_old_recordings', ARRAY['integer', 'integer']::name[])) r (name, args);
SELECT volatility_is('experiments', 'sp_get_user_stats', ARRAY['uuid'], 'stable');
SELECT volatility_is('experiments', 'sp_check_quota_and_create_recording',
                     ARRAY['uuid', 'text', 'text', 'jsonb'], 'volatile');
SELECT volatility_is('experiments', 'sp_cleanup_old_recordings', ARRAY['integer', 'integer'], 'volatile');
SELECT volatility_is('experiments', 'upsert_plan',
                     ARRAY['text', 'text', 'integer', 'integer', 'text', 'text', 'integer', 'integer'],
                     'volatile');

--------------------------------------------------------------------------
-- parameters and result columns (the seed's names)
--------------------------------------------------------------------------
SELECT is(pg_get_function_arguments(p), a, p::text || ' parameters')
  FROM (VALUES
    ('experiments.sp_register_user(text,text,text,text,text)'::regprocedure,
     'IN in_email text, IN in_user_name text, IN in_hashed_pass text, IN in_name text, '
     'IN in_default_plan_code text'),
    ('experiments.sp_check_quota_and_create_recording(uuid,text,text,jsonb)'::regprocedure,
     'in_user_id uuid, in_source text, in_language text DEFAULT ''vi''::text, in_meta jsonb DEFAULT ''{}''::jsonb'),
    ('experiments.sp_complete_recording(uuid,integer,jsonb)'::regprocedure,
     'IN in_recording_id uuid, IN in_duration_ms integer, IN in_segments jsonb'),
    ('experiments.sp_reset_monthly_cycles()'::regprocedure, ''),
    ('experiments.sp_get_user_stats(uuid)'::regprocedure, 'in_user_id uuid'),
    ('experiments.sp_change_user_plan(uuid,text,boolean)'::regprocedure,
     'IN in_user_id uuid, IN in_new_plan_code text, IN in_prorate boolean, OUT success boolean, OUT message text'),
    ('experiments.sp_cleanup_old_recordings(integer,integer)'::regprocedure,
     'in_retention_days integer DEFAULT 90, in_batch_size integer DEFAULT 1000'),
    ('experiments.upsert_plan(text,text,integer,integer,text,text,integer,integer)'::regprocedure,
     'in_code text, in_name text, in_monthly_minutes integer, in_monthly_usage_limit integer, '
     'in_description text DEFAULT NULL::text, in_plan_type text DEFAULT ''free''::text, '
     'in_plan_cost integer DEFAULT 0, in_plan_discount integer DEFAULT 0')) v (p, a);
SELECT is(pg_get_function_result(p), r, p::text || ' result')
  FROM (VALUES
    ('experiments.sp_check_quota_and_create_recording(uuid,text,text,jsonb)'::regprocedure,
     'TABLE(recording_id uuid, quota_ok boolean, error_message text)'),
    ('experiments.sp_get_user_stats(uuid)'::regprocedure,
     'TABLE(total_recordings bigint, total_duration_minutes numeric, total_segments bigint, '
     'current_cycle_usage integer, current_cycle_seconds integer, '
     'quota_usage_percent numeric, quota_minutes_percent numeric)'),
    ('experiments.sp_cleanup_old_recordings(integer,integer)'::regprocedure,
     'TABLE(deleted_recordings integer, deleted_segments integer)'),
    ('experiments.upsert_plan(text,text,integer,integer,text,text,integer,integer)'::regprocedure,
     'uuid')) v (p, r);

--------------------------------------------------------------------------
-- privileges
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT r.routine FROM experiments.api_routines r
     WHERE (r.routine LIKE 'experiments.sp\_%' OR r.routine LIKE 'experiments.upsert_plan(%')
       AND has_function_privilege('public', r.routine::regprocedure, 'EXECUTE') $$,
    'no quota routine is executable by PUBLIC');
SELECT table_privs_are('experiments', t, 'public', ARRAY[]::text[],
                       'PUBLIC has no right on experiments.' || t)
  FROM unnest(ARRAY['users', 'user_profiles', 'plans', 'user_subscriptions',
                    'recordings', 'segments']) t;
SELECT results_eq($$ SELECT routine, writes FROM experiments.api_routines
                      WHERE domain = 'quota' ORDER BY routine $$,
                  $$ VALUES
    ('experiments.sp_change_user_plan(uuid, text, boolean)', true),
    ('experiments.sp_check_quota_and_create_recording(uuid, text, text, jsonb)', true),
    ('experiments.sp_cleanup_old_recordings(integer, integer)', true),
    ('experiments.sp_complete_recording(uuid, integer, jsonb)', true),
    ('experiments.sp_get_user_stats(uuid)', false),
    ('experiments.sp_register_user(text, text, text, text, text)', true),
    ('experiments.sp_reset_monthly_cycles()', true) $$,
                  'the quota routines and their write flags');
SELECT results_eq($$ SELECT domain FROM experiments.api_routines
                      WHERE routine LIKE 'experiments.upsert_plan(%' $$,
                  ARRAY['admin'], 'upsert_plan is an administrator''s routine');

CREATE ROLE tap_quota_app;
CREATE ROLE tap_quota_reader;
SELECT is((SELECT count(*)::int FROM experiments.grant_access('tap_quota_app', ARRAY['quota'])),
          7, 'grant_access gives the seven quota routines');
SELECT is((SELECT array_agg(routine ORDER BY routine)
             FROM experiments.grant_access('tap_quota_reader', ARRAY['quota'], true)),
          ARRAY['experiments.sp_get_user_stats(uuid)'],
          'read-only access gives sp_get_user_stats alone');
SELECT ok(has_function_privilege('tap_quota_app', r.routine::regprocedure, 'EXECUTE'),
          'the app role may call ' || r.routine)
  FROM experiments.api_routines r WHERE r.domain = 'quota' ORDER BY r.routine;
SELECT is(has_function_privilege('tap_quota_reader', r.routine::regprocedure, 'EXECUTE'),
          NOT r.writes, 'the read-only role ' || CASE WHEN r.writes THEN 'may not' ELSE 'may' END
                        || ' call ' || r.routine)
  FROM experiments.api_routines r WHERE r.domain = 'quota' ORDER BY r.routine;
SELECT ok(NOT has_function_privilege('tap_quota_app',
          'experiments.upsert_plan(text,text,integer,integer,text,text,integer,integer)', 'EXECUTE'),
          'the app role may not change plans');
SELECT ok(NOT has_table_privilege('tap_quota_app', 'experiments.' || t, 'SELECT'),
          'the app role cannot read experiments.' || t)
  FROM unnest(ARRAY['users', 'user_subscriptions', 'recordings']) t;

-- the app role works through the routines alone
SET LOCAL ROLE tap_quota_app;
SELECT lives_ok($$ CALL experiments.sp_register_user('tap@example.com', 'tap', 'h', 'Tap', 'FREE') $$,
                'the app role registers a user');
SELECT throws_ok($$ SELECT * FROM experiments.users $$, '42501', NULL,
                 'and cannot read the users table');
SELECT throws_ok($$ SELECT experiments.upsert_plan('TAP', 'Tap', 1, 1) $$, '42501', NULL,
                 'and cannot change plans');
RESET ROLE;
SET LOCAL ROLE tap_quota_reader;
SELECT throws_ok($$ CALL experiments.sp_reset_monthly_cycles() $$, '42501', NULL,
                 'the read-only role cannot reset cycles');
RESET ROLE;

--------------------------------------------------------------------------
-- behaviour and SQLSTATEs
--------------------------------------------------------------------------
CREATE TEMP TABLE tap_ids AS
SELECT (SELECT id FROM experiments.users WHERE user_name = 'tap') AS user_id;
GRANT SELECT ON tap_ids TO tap_quota_app;
SELECT results_eq($$ SELECT quota_ok, error_message
                       FROM experiments.sp_check_quota_and_create_recording(
                            (SELECT user_id FROM tap_ids), 'upload') $$,
                  $$ VALUES (true, '') $$, 'a recording within the quota');
SELECT results_eq($$ SELECT total_recordings, current_cycle_usage, quota_usage_percent
                       FROM experiments.sp_get_user_stats((SELECT user_id FROM tap_ids)) $$,
                  $$ VALUES (1::bigint, 1, 10.00::numeric) $$, 'stats count it');
SELECT results_eq($$ SELECT deleted_recordings, deleted_segments
                       FROM experiments.sp_cleanup_old_recordings() $$,
                  $$ VALUES (0, 0) $$, 'nothing old to clean up');

SELECT throws_ok($$ CALL experiments.sp_register_user('tap@example.com', 'tap2', 'h', 'T', 'FREE') $$,
                 '23505', 'email "tap@example.com" is already registered', 'duplicate email');
SELECT throws_ok($$ CALL experiments.sp_register_user('tap2@example.com', 'tap', 'h', 'T', 'FREE') $$,
                 '23505', 'user name "tap" is already taken', 'duplicate user name');
SELECT throws_ok($$ CALL experiments.sp_register_user('tap2@example.com', 'tap2', 'h', 'T', 'GOLD') $$,
                 'P0002', 'default plan GOLD not found', 'unknown plan');
SELECT throws_ok($$ CALL experiments.sp_register_user('not-an-email', 'tap2', 'h', 'T', 'FREE') $$,
                 '22023', NULL, 'implausible email');
SELECT throws_ok($$ CALL experiments.sp_register_user(NULL, 'tap2', 'h', 'T', 'FREE') $$,
                 '22004', 'in_email must not be null', 'NULL email');
SELECT throws_ok($$ SELECT * FROM experiments.sp_check_quota_and_create_recording(
                        '00000000-0000-0000-0000-000000000000', 'upload') $$,
                 'P0002', 'user 00000000-0000-0000-0000-000000000000 not found', 'unknown user');
SELECT throws_ok($$ SELECT * FROM experiments.sp_check_quota_and_create_recording(NULL, 'upload') $$,
                 '22004', 'in_user_id must not be null', 'NULL user');
SELECT throws_ok($$ SELECT * FROM experiments.sp_check_quota_and_create_recording(
                        (SELECT user_id FROM tap_ids), 'phone') $$,
                 '22023', 'invalid in_source "phone"', 'bad source');
SELECT throws_ok($$ SELECT * FROM experiments.sp_check_quota_and_create_recording(
                        (SELECT user_id FROM tap_ids), 'upload', 'vi', '[]') $$,
                 '22023', 'in_meta must be a JSON object', 'meta not an object');
SELECT throws_ok($$ CALL experiments.sp_complete_recording('00000000-0000-0000-0000-000000000000', 1, '[]') $$,
                 'P0002', 'recording 00000000-0000-0000-0000-000000000000 not found', 'unknown recording');
SELECT throws_ok($$ CALL experiments.sp_complete_recording(NULL, 1, '[]') $$,
                 '22004', 'in_recording_id must not be null', 'NULL recording');
CREATE TEMP TABLE tap_rec AS
SELECT recording_id FROM experiments.sp_check_quota_and_create_recording(
    (SELECT user_id FROM tap_ids), 'upload');
-- (CALL takes no subqueries: a DO block passes the recording's id)
SELECT throws_ok($$ DO $d$ DECLARE r uuid; BEGIN
                        SELECT recording_id INTO r FROM tap_rec;
                        CALL experiments.sp_complete_recording(r, 1000, '{"idx": 0}');
                    END $d$ $$,
                 '22023', 'in_segments must be a JSON array', 'segments not an array');
SELECT throws_ok($$ DO $d$ DECLARE r uuid; BEGIN
                        SELECT recording_id INTO r FROM tap_rec;
                        CALL experiments.sp_complete_recording(r, 1000,
                            '[{"idx": 0, "start_ms": 0, "end_ms": 1, "text": "a"},
                              {"idx": 0, "start_ms": 1, "end_ms": 2, "text": "b"}]');
                    END $d$ $$,
                 '22023', 'in_segments[1] repeats idx 0 of in_segments[0]', 'duplicate idx');
SELECT lives_ok($$ DO $d$ DECLARE r uuid; BEGIN
                       SELECT recording_id INTO r FROM tap_rec;
                       CALL experiments.sp_complete_recording(r, 1000,
                           '[{"idx": 0, "start_ms": 0, "end_ms": 1000, "text": "a"}]');
                   END $d$ $$, 'a recording completes');
SELECT throws_ok($$ DO $d$ DECLARE r uuid; BEGIN
                        SELECT recording_id INTO r FROM tap_rec;
                        CALL experiments.sp_complete_recording(r, 1000, '[]');
                    END $d$ $$,
                 '55000', 'recording is already completed', 'completed twice');
SELECT throws_ok($$ SELECT * FROM experiments.sp_get_user_stats('00000000-0000-0000-0000-000000000000') $$,
                 'P0002', NULL, 'stats of an unknown user');
SELECT throws_ok($$ CALL experiments.sp_change_user_plan('00000000-0000-0000-0000-000000000000',
                                                         'FREE', false, NULL, NULL) $$,
                 'P0002', NULL, 'plan change of an unknown user');
SELECT throws_ok($$ CALL experiments.sp_change_user_plan(NULL, 'FREE', false, NULL, NULL) $$,
                 '22004', 'in_user_id must not be null', 'plan change of NULL');
SELECT throws_ok($$ SELECT * FROM experiments.sp_cleanup_old_recordings(-1) $$,
                 '22023', NULL, 'negative retention');
SELECT throws_ok($$ SELECT experiments.upsert_plan('bad code', 'x', 1, 1) $$,
                 '22023', NULL, 'malformed plan code');

SELECT * FROM finish();
ROLLBACK;
