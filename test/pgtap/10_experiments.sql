-- Contracts of the experiments domain, part 1: tables, routine signatures
-- and result columns, privileges, SQLSTATEs.  One transaction, rolled back.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT * FROM no_plan();

--------------------------------------------------------------------------
-- tables, keys, the publication
--------------------------------------------------------------------------
SELECT has_table('experiments', t, 'table experiments.' || t)
  FROM unnest(ARRAY['experiments', 'variants', 'variant_counters', 'assignments', 'events',
                    'outbox_events', 'leads']) t;
SELECT has_view('experiments', 'variant_totals', 'view experiments.variant_totals');
SELECT col_is_pk('experiments', t, 'id', t || '.id is the key')
  FROM unnest(ARRAY['experiments', 'variants', 'assignments', 'outbox_events', 'leads']) t;
-- events is partitioned by created_at, which its key must contain
-- (declared on every partition: see the design notes on pg_dump)
SELECT col_is_pk('experiments', c.relname, ARRAY['id', 'created_at'], c.relname || '.(id, created_at) is the key')
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'experiments.events'::regclass ORDER BY c.relname;
SELECT is((SELECT pg_get_partkeydef('experiments.events'::regclass)), 'RANGE (created_at)',
          'events is partitioned by range of created_at');
SELECT is((SELECT pg_get_expr(relpartbound, oid) FROM pg_class
            WHERE oid = 'experiments.events_default'::regclass), 'DEFAULT',
          'events_default is the default partition');
SELECT col_is_pk('experiments', 'variant_counters', ARRAY['variant_id', 'slot'], 'one stripe per slot');
SELECT col_is_unique('experiments', 'experiments', 'key', 'experiment keys are unique');
SELECT col_is_unique('experiments', 'variants', ARRAY['experiment_id', 'key'], 'variant keys are unique per experiment');
SELECT col_is_unique('experiments', 'assignments', ARRAY['experiment_id', 'user_id'], 'one assignment per user');
SELECT col_is_unique('experiments', 'leads', 'email', 'one lead per email');
SELECT fk_ok('experiments', 'variants', 'experiment_id', 'experiments', 'experiments', 'id');
SELECT fk_ok('experiments', 'assignments', 'experiment_id', 'experiments', 'experiments', 'id');
SELECT fk_ok('experiments', 'assignments', 'variant_id', 'experiments', 'variants', 'id');
SELECT has_index('experiments', 'assignments', 'assignments_assigned_at_brin', 'BRIN on assigned_at');
SELECT has_index('experiments', 'events_default', 'events_default_created_at_brin',
                 'BRIN on events.created_at (per partition; the model is events_default)');
SELECT has_index('experiments', 'events_default', 'events_default_experiment_type_time_idx',
                 'events by (experiment_id, event_type, created_at), per partition');
SELECT has_index('experiments', 'experiments', 'experiments_active_idx', 'partial index on active experiments');
SELECT has_index('experiments', 'assignments', 'assignments_unconverted_idx', 'partial index on unconverted assignments');
SELECT has_index('experiments', 'leads', 'leads_status_created_at_idx', 'leads by status, newest first');
SELECT has_index('experiments', 'outbox_events', 'outbox_events_pending_idx', 'the relay''s queue');
SELECT is((SELECT amname::text FROM pg_class c JOIN pg_am a ON a.oid = c.relam
            WHERE c.oid = 'experiments.events_default_created_at_brin'::regclass), 'brin', 'the events index is BRIN');
SELECT set_eq($$ SELECT tablename::text FROM pg_publication_tables WHERE pubname = 'experiments_realtime' $$,
              ARRAY['assignments', 'variants', 'variant_counters', 'outbox_events'],
              'experiments_realtime publishes assignments, variants, counters and the outbox');
SELECT ok(c::regclass::text = ANY (ARRAY(SELECT unnest(extconfig)::regclass::text
                                            FROM pg_extension WHERE extname = 'experiments')),
          'pg_dump keeps the rows of ' || c)
  FROM unnest(ARRAY['experiments.experiments', 'experiments.variants', 'experiments.variant_counters',
                    'experiments.assignments', 'experiments.events', 'experiments.outbox_events',
                    'experiments.leads']) c;
SELECT throws_ok($$ INSERT INTO experiments.experiments (key, name, seed, status) VALUES ('x', 'x', 'x', 'ACTIVE') $$,
                 '23514', NULL, 'statuses are lower-case');
SELECT throws_ok($$ INSERT INTO experiments.leads (email, status) VALUES ('x@example.com', 'gone') $$,
                 '23514', NULL, 'lead statuses are checked');

--------------------------------------------------------------------------
-- routines: C, not SECURITY DEFINER, signatures and result columns
--------------------------------------------------------------------------
SELECT function_lang_is('experiments', p.proname, 'c', p.oid::regprocedure::text || ' is written in C')
  FROM experiments.api_routines r JOIN pg_proc p ON p.oid = r.routine::regprocedure
 WHERE r.domain = 'experiments' ORDER BY p.oid::regprocedure::text;
SELECT ok(NOT p.prosecdef, p.oid::regprocedure::text || ' is not SECURITY DEFINER')
  FROM experiments.api_routines r JOIN pg_proc p ON p.oid = r.routine::regprocedure
 WHERE r.domain = 'experiments' ORDER BY p.oid::regprocedure::text;
SELECT is(pg_get_function_arguments(p), a, p::text || ' parameters')
  FROM (VALUES
    ('experiments.create_experiment(text,text,text,text,timestamptz,timestamptz,jsonb,jsonb)'::regprocedure,
     'p_key text, p_name text, p_description text DEFAULT NULL::text, p_status text DEFAULT ''draft''::text, '
     'p_starts_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
     'p_ends_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
     'p_config jsonb DEFAULT ''{}''::jsonb, p_variants jsonb DEFAULT ''[]''::jsonb'),
    ('experiments.get_or_create_assignment(bigint,text,text,boolean)'::regprocedure,
     'p_experiment_id bigint, p_user_id text, p_variant_key text DEFAULT NULL::text, p_enroll boolean DEFAULT false'),
    ('experiments.get_bulk_assignments(text,bigint[],boolean)'::regprocedure,
     'p_user_id text, p_experiment_ids bigint[], p_create boolean DEFAULT false'),
    ('experiments.record_event(bigint,text,text,jsonb,numeric)'::regprocedure,
     'p_experiment_id bigint, p_user_id text, p_event_type text, p_properties jsonb DEFAULT ''{}''::jsonb, '
     'p_value numeric DEFAULT NULL::numeric'),
    ('experiments.record_conversion(bigint,text,numeric,jsonb)'::regprocedure,
     'p_experiment_id bigint, p_user_id text, p_value numeric DEFAULT 1, p_metadata jsonb DEFAULT ''{}''::jsonb'),
    ('experiments.claim_outbox_events(integer,integer)'::regprocedure,
     'p_limit integer DEFAULT 100, p_lease_seconds integer DEFAULT 60'),
    ('experiments.capture_lead(text,text,text,jsonb)'::regprocedure,
     'p_email text, p_source text DEFAULT ''simulator''::text, p_variant text DEFAULT NULL::text, '
     'p_attributes jsonb DEFAULT ''{}''::jsonb'),
    ('experiments.claim_leads(text,integer)'::regprocedure,
     'p_status text DEFAULT ''waitlist''::text, p_limit integer DEFAULT 100'),
    ('experiments.hash(text,text,integer)'::regprocedure,
     'p_seed text, p_value text, p_version integer DEFAULT 2'),
    ('experiments.murmur3_32(text,bigint)'::regprocedure, 'p_key text, p_seed bigint DEFAULT 0')) v (p, a);
SELECT is(pg_get_function_result(p), r, p::text || ' result')
  FROM (VALUES
    ('experiments.create_experiment(text,text,text,text,timestamptz,timestamptz,jsonb,jsonb)'::regprocedure,
     'TABLE(experiment_id bigint, experiment_key text, experiment_name text, experiment_status text, '
     'experiment_version integer, created_at timestamp with time zone)'),
    ('experiments.get_experiment_with_variants(bigint)'::regprocedure,
     'TABLE(experiment_id bigint, experiment_key text, experiment_name text, experiment_status text, '
     'experiment_version integer, starts_at timestamp with time zone, ends_at timestamp with time zone, '
     'variants jsonb)'),
    ('experiments.list_active_experiments(integer,integer)'::regprocedure,
     'TABLE(experiment_id bigint, experiment_key text, experiment_name text, experiment_status text, '
     'experiment_version integer, starts_at timestamp with time zone, ends_at timestamp with time zone, '
     'variant_count bigint)'),
    ('experiments.activate_experiment(bigint)'::regprocedure,
     'TABLE(success boolean, message text, new_version integer)'),
    ('experiments.pause_experiment(bigint)'::regprocedure,
     'TABLE(success boolean, message text, new_version integer)'),
    ('experiments.complete_experiment(bigint)'::regprocedure,
     'TABLE(success boolean, message text, new_version integer)'),
    ('experiments.get_or_create_assignment(bigint,text,text,boolean)'::regprocedure,
     'TABLE(assignment_id bigint, experiment_id bigint, user_id text, variant_id bigint, variant_key text, '
     'variant_name text, enrolled_at timestamp with time zone, created_at timestamp with time zone, '
     'is_new boolean)'),
    ('experiments.get_bulk_assignments(text,bigint[],boolean)'::regprocedure,
     'TABLE(experiment_id bigint, user_id text, variant_id bigint, variant_key text, variant_name text, '
     'enrolled_at timestamp with time zone, created_at timestamp with time zone, is_new boolean)'),
    ('experiments.record_event(bigint,text,text,jsonb,numeric)'::regprocedure,
     'TABLE(event_id bigint, assignment_id bigint, variant_key text, created_at timestamp with time zone)'),
    ('experiments.record_batch_events(jsonb)'::regprocedure,
     'TABLE(success_count integer, error_count integer, errors jsonb)'),
    ('experiments.record_conversion(bigint,text,numeric,jsonb)'::regprocedure,
     'TABLE(converted boolean, assignment_id bigint, variant_key text)'),
    ('experiments.cleanup_old_events(integer)'::regprocedure,
     'TABLE(deleted_events bigint, deleted_outbox bigint)'),
    ('experiments.claim_outbox_events(integer,integer)'::regprocedure,
     'TABLE(id bigint, aggregate_type text, aggregate_id text, event_type text, payload jsonb, '
     'created_at timestamp with time zone)'),
    ('experiments.ack_outbox_events(bigint[])'::regprocedure, 'integer'),
    ('experiments.capture_lead(text,text,text,jsonb)'::regprocedure, 'TABLE(lead_id bigint, is_new boolean)'),
    ('experiments.claim_leads(text,integer)'::regprocedure, 'SETOF experiments.leads'),
    ('experiments.set_lead_status(bigint,text)'::regprocedure, 'boolean'),
    ('experiments.fold_variant_counters(bigint)'::regprocedure, 'bigint'),
    ('experiments.ensure_event_partitions(date,date)'::regprocedure, 'integer'),
    ('experiments.hash(text,text,integer)'::regprocedure, 'double precision'),
    ('experiments.murmur3_32(text,bigint)'::regprocedure, 'bigint')) v (p, r);
SELECT volatility_is('experiments', 'hash', ARRAY['text', 'text', 'integer'], 'immutable');
SELECT volatility_is('experiments', 'murmur3_32', ARRAY['text', 'bigint'], 'immutable');
SELECT is_strict('experiments', 'hash', ARRAY['text', 'text', 'integer'], 'hash is STRICT');
SELECT volatility_is('experiments', 'get_experiment_with_variants', ARRAY['bigint'], 'stable');
SELECT volatility_is('experiments', 'get_or_create_assignment', ARRAY['bigint', 'text', 'text', 'boolean'], 'volatile');

--------------------------------------------------------------------------
-- privileges
--------------------------------------------------------------------------
-- part 1's own routines (the analytics half registers more in the same domain)
CREATE TEMP TABLE tap_part1 (routine text PRIMARY KEY, writes boolean);
INSERT INTO tap_part1 VALUES
    ('experiments.murmur3_32(text, bigint)', false),
    ('experiments.hash(text, text, integer)', false),
    ('experiments.create_experiment(text, text, text, text, timestamptz, timestamptz, jsonb, jsonb)', true),
    ('experiments.get_experiment_with_variants(bigint)', false),
    ('experiments.list_active_experiments(integer, integer)', false),
    ('experiments.activate_experiment(bigint)', true),
    ('experiments.pause_experiment(bigint)', true),
    ('experiments.complete_experiment(bigint)', true),
    ('experiments.get_or_create_assignment(bigint, text, text, boolean)', true),
    ('experiments.get_bulk_assignments(text, bigint[], boolean)', true),
    ('experiments.record_event(bigint, text, text, jsonb, numeric)', true),
    ('experiments.record_batch_events(jsonb)', true),
    ('experiments.record_conversion(bigint, text, numeric, jsonb)', true),
    ('experiments.cleanup_old_events(integer)', true),
    ('experiments.ensure_event_partitions(date, date)', true),
    ('experiments.fold_variant_counters(bigint)', true),
    ('experiments.claim_outbox_events(integer, integer)', true),
    ('experiments.ack_outbox_events(bigint[])', true),
    ('experiments.capture_lead(text, text, text, jsonb)', true),
    ('experiments.claim_leads(text, integer)', true),
    ('experiments.set_lead_status(bigint, text)', true);
GRANT SELECT ON tap_part1 TO PUBLIC;
SELECT set_eq($$ SELECT r.routine, r.writes FROM experiments.api_routines r
                  JOIN tap_part1 p ON p.routine = r.routine WHERE r.domain = 'experiments' $$,
              $$ SELECT routine, writes FROM tap_part1 $$,
              'the twenty-one part-1 routines are registered in the experiments domain with their write flags');
SELECT is_empty($$ SELECT r.routine FROM experiments.api_routines r
                    WHERE r.domain = 'experiments'
                      AND has_function_privilege('public', r.routine::regprocedure, 'EXECUTE') $$,
                'no experiments routine is executable by PUBLIC');
SELECT table_privs_are('experiments', t, 'public', ARRAY[]::text[], 'PUBLIC has no right on experiments.' || t)
  FROM unnest(ARRAY['experiments', 'variants', 'variant_counters', 'assignments', 'events',
                    'events_default', 'outbox_events', 'leads']) t;
-- the daily partitions: owned by the extension owner, no right for PUBLIC
SELECT is(pg_get_userbyid(c.relowner), (SELECT pg_get_userbyid(extowner) FROM pg_extension
                                         WHERE extname = 'experiments'),
          'the partition ' || c.relname || ' is owned by the extension owner')
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'experiments.events'::regclass ORDER BY c.relname;
SELECT is_empty($$ SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = 'experiments.events'::regclass
                      AND has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE') $$,
                'PUBLIC has no right on any partition of events');
CREATE ROLE tap_exp_app;
CREATE ROLE tap_exp_reader;
CREATE ROLE tap_exp_nobody;
SELECT is_empty($$ SELECT routine FROM tap_part1
                   EXCEPT SELECT routine FROM experiments.grant_access('tap_exp_app', ARRAY['experiments']) $$,
                'grant_access gives every part-1 routine');
SELECT set_eq($$ SELECT routine FROM experiments.grant_access('tap_exp_reader', ARRAY['experiments'], true)
                 INTERSECT SELECT routine FROM tap_part1 $$,
              ARRAY['experiments.get_experiment_with_variants(bigint)',
                    'experiments.hash(text, text, integer)',
                    'experiments.list_active_experiments(integer, integer)',
                    'experiments.murmur3_32(text, bigint)'],
              'read-only access gives the four part-1 routines that write nothing');
SELECT ok(has_function_privilege('tap_exp_app', r.routine::regprocedure, 'EXECUTE'),
          'the app role may call ' || r.routine)
  FROM experiments.api_routines r JOIN tap_part1 USING (routine) ORDER BY r.routine;
SELECT is(has_function_privilege('tap_exp_reader', r.routine::regprocedure, 'EXECUTE'), NOT r.writes,
          'the read-only role ' || CASE WHEN r.writes THEN 'may not' ELSE 'may' END || ' call ' || r.routine)
  FROM experiments.api_routines r JOIN tap_part1 USING (routine) ORDER BY r.routine;
SELECT ok(NOT has_function_privilege('tap_exp_nobody', r.routine::regprocedure, 'EXECUTE'),
          'a role without a grant may not call ' || r.routine)
  FROM experiments.api_routines r JOIN tap_part1 USING (routine) ORDER BY r.routine;

-- every routine: 42501 without the grant, works with it
SET LOCAL ROLE tap_exp_nobody;
SELECT throws_ok(q, '42501', NULL, 'no grant: ' || left(q, 60))
  FROM unnest(ARRAY[
    $$ SELECT * FROM experiments.create_experiment('tap-x', 'x') $$,
    $$ SELECT * FROM experiments.get_experiment_with_variants(1) $$,
    $$ SELECT * FROM experiments.list_active_experiments() $$,
    $$ SELECT * FROM experiments.activate_experiment(1) $$,
    $$ SELECT * FROM experiments.pause_experiment(1) $$,
    $$ SELECT * FROM experiments.complete_experiment(1) $$,
    $$ SELECT * FROM experiments.get_or_create_assignment(1, 'u') $$,
    $$ SELECT * FROM experiments.get_bulk_assignments('u', ARRAY[1]) $$,
    $$ SELECT * FROM experiments.record_event(1, 'u', 'click') $$,
    $$ SELECT * FROM experiments.record_batch_events('[]') $$,
    $$ SELECT * FROM experiments.record_conversion(1, 'u') $$,
    $$ SELECT * FROM experiments.cleanup_old_events() $$,
    $$ SELECT experiments.ensure_event_partitions() $$,
    $$ SELECT experiments.fold_variant_counters() $$,
    $$ SELECT * FROM experiments.claim_outbox_events() $$,
    $$ SELECT experiments.ack_outbox_events('{}') $$,
    $$ SELECT * FROM experiments.capture_lead('a@example.com') $$,
    $$ SELECT * FROM experiments.claim_leads() $$,
    $$ SELECT experiments.set_lead_status(1, 'active') $$,
    $$ SELECT experiments.hash('a', 'b') $$,
    $$ SELECT experiments.murmur3_32('a') $$]) q;
RESET ROLE;

SET LOCAL ROLE tap_exp_app;
SELECT lives_ok($$ SELECT * FROM experiments.create_experiment('tap-exp', 'Tap', p_status => 'active',
                       p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]') $$,
                'the app role creates an experiment');
SELECT throws_ok($$ SELECT * FROM experiments.experiments $$, '42501', NULL, 'and cannot read the table');
SELECT throws_ok($$ SELECT * FROM experiments.variant_totals $$, '42501', NULL, 'nor the totals view');
RESET ROLE;
CREATE TEMP TABLE tap_exp AS SELECT id FROM experiments.experiments WHERE key = 'tap-exp';
GRANT SELECT ON tap_exp TO tap_exp_app, tap_exp_reader;
SET LOCAL ROLE tap_exp_app;
SELECT lives_ok(q, 'granted: ' || left(q, 70))
  FROM unnest(ARRAY[
    $$ SELECT * FROM experiments.get_experiment_with_variants((SELECT id FROM tap_exp)) $$,
    $$ SELECT * FROM experiments.list_active_experiments() $$,
    $$ SELECT * FROM experiments.get_or_create_assignment((SELECT id FROM tap_exp), 'tap-user') $$,
    $$ SELECT * FROM experiments.get_bulk_assignments('tap-user2', ARRAY[(SELECT id FROM tap_exp)], true) $$,
    $$ SELECT * FROM experiments.record_event((SELECT id FROM tap_exp), 'tap-user', 'click') $$,
    $$ SELECT * FROM experiments.record_batch_events('[]') $$,
    $$ SELECT * FROM experiments.record_conversion((SELECT id FROM tap_exp), 'tap-user') $$,
    $$ SELECT * FROM experiments.cleanup_old_events() $$,
    $$ SELECT experiments.ensure_event_partitions() $$,
    $$ SELECT experiments.fold_variant_counters((SELECT id FROM tap_exp)) $$,
    $$ SELECT * FROM experiments.claim_outbox_events(1) $$,
    $$ SELECT experiments.ack_outbox_events('{}') $$,
    $$ SELECT * FROM experiments.capture_lead('tap@example.com') $$,
    $$ SELECT * FROM experiments.claim_leads() $$,
    $$ SELECT experiments.set_lead_status((SELECT lead_id FROM experiments.capture_lead('tap@example.com')), 'invited') $$,
    $$ SELECT experiments.hash('a', 'b') $$,
    $$ SELECT experiments.murmur3_32('a') $$,
    $$ SELECT * FROM experiments.pause_experiment((SELECT id FROM tap_exp)) $$,
    $$ SELECT * FROM experiments.activate_experiment((SELECT id FROM tap_exp)) $$,
    $$ SELECT * FROM experiments.complete_experiment((SELECT id FROM tap_exp)) $$]) q;
RESET ROLE;
SET LOCAL ROLE tap_exp_reader;
SELECT lives_ok($$ SELECT * FROM experiments.get_experiment_with_variants((SELECT id FROM tap_exp)) $$,
                'the read-only role reads an experiment');
SELECT throws_ok($$ SELECT * FROM experiments.get_or_create_assignment((SELECT id FROM tap_exp), 'r') $$,
                 '42501', NULL, 'but cannot assign');
RESET ROLE;

--------------------------------------------------------------------------
-- SQLSTATEs and messages
--------------------------------------------------------------------------
SELECT throws_ok($$ SELECT experiments.ensure_event_partitions('2026-01-02', '2026-01-01') $$,
                 '22023', 'p_to must not be before p_from', 'ensure_event_partitions: reversed range');
SELECT throws_ok($$ SELECT experiments.ensure_event_partitions('2000-01-01', '2020-01-01') $$,
                 '22023', 'p_from to p_to spans more than 3660 days', 'ensure_event_partitions: span');
SELECT throws_ok($$ SELECT experiments.ensure_event_partitions('infinity') $$,
                 '22023', 'p_from must be a finite date', 'ensure_event_partitions: infinite p_from');
SELECT throws_ok($$ SELECT experiments.ensure_event_partitions(NULL, '-infinity') $$,
                 '22023', 'p_to must be a finite date', 'ensure_event_partitions: infinite p_to');
SELECT throws_ok($$ SELECT * FROM experiments.cleanup_old_events(-1) $$,
                 '22023', NULL, 'cleanup_old_events: negative window');
SELECT experiment_id AS tap_active FROM experiments.create_experiment('tap-active', 'Tap', p_status => 'active',
    p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]') \gset
SELECT experiment_id AS tap_draft FROM experiments.create_experiment('tap-draft', 'Tap',
    p_variants => '[{"key": "a", "allocation_pct": 100}]') \gset
SELECT lives_ok(format($$ SELECT * FROM experiments.get_or_create_assignment(%s, 'known') $$, :tap_active), 'assign known');

SELECT throws_ok(q, s, m, d) FROM (VALUES
    ($$ SELECT * FROM experiments.create_experiment('tap-active', 'x') $$,
     '23505', 'experiment key "tap-active" already exists', 'duplicate experiment key'),
    ($$ SELECT * FROM experiments.create_experiment(NULL, 'x') $$,
     '22004', 'p_key must not be null', 'NULL key'),
    ($$ SELECT * FROM experiments.create_experiment('k', 'x', p_variants => '[{"key": "a", "allocation_pct": 90}]') $$,
     '22023', 'variant allocations must sum to 100, not 90', 'allocations not summing to 100'),
    ($$ SELECT * FROM experiments.create_experiment('k', 'x', p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "a", "allocation_pct": 50}]') $$,
     '22023', 'duplicate variant key "a" in p_variants', 'duplicate variant keys'),
    ($$ SELECT * FROM experiments.create_experiment('k', 'x', p_status => 'live') $$,
     '22023', 'invalid p_status "live"', 'unknown status'),
    ($$ SELECT * FROM experiments.create_experiment('k', 'x', p_config => '{"bucketing": "sha1"}') $$,
     '22023', 'p_config''s bucketing must be "mmh3" or "growthbook", not "sha1"', 'unknown bucketing'),
    ($$ SELECT * FROM experiments.get_or_create_assignment(-1, 'u') $$,
     'P0002', 'experiment -1 not found', 'unknown experiment'),
    (format($$ SELECT * FROM experiments.get_or_create_assignment(%s, 'u') $$, :tap_draft),
     '55000', format('experiment %s is not active', :tap_draft), 'inactive experiment'),
    (format($$ SELECT * FROM experiments.get_or_create_assignment(%s, 'u', 'zzz') $$, :tap_active),
     'P0002', format('variant "zzz" not found for experiment %s', :tap_active), 'unknown p_variant_key'),
    (format($$ SELECT * FROM experiments.get_or_create_assignment(%s, NULL) $$, :tap_active),
     '22004', 'p_user_id must not be null', 'NULL user id'),
    ($$ SELECT * FROM experiments.get_bulk_assignments(NULL, ARRAY[1]) $$,
     '22004', 'p_user_id must not be null', 'bulk: NULL user id'),
    (format($$ SELECT * FROM experiments.record_event(%s, 'known', 'Bad Type') $$, :tap_active),
     '22023', 'p_event_type "Bad Type" is not a valid event type', 'event type outside the pattern'),
    (format($$ SELECT * FROM experiments.record_event(%s, 'known', 'click', '[]') $$, :tap_active),
     '22023', 'p_properties must be a JSON object', 'properties not an object'),
    (format($$ SELECT * FROM experiments.record_event(%s, 'stranger', 'click') $$, :tap_active),
     'P0002', format('no assignment found for user stranger in experiment %s', :tap_active), 'no assignment'),
    (format($$ SELECT * FROM experiments.record_event(%s, NULL, 'click') $$, :tap_active),
     '22004', 'p_user_id must not be null', 'event: NULL user id'),
    ($$ SELECT * FROM experiments.record_batch_events('{}') $$,
     '22023', 'p_events must be a JSON array', 'batch not an array'),
    (format($$ SELECT * FROM experiments.record_conversion(%s, 'stranger') $$, :tap_active),
     'P0002', format('no assignment found for user stranger in experiment %s', :tap_active), 'conversion without assignment'),
    ($$ SELECT * FROM experiments.claim_outbox_events(0) $$,
     '22023', 'p_limit must be between 1 and 10000', 'claim limit'),
    ($$ SELECT experiments.ack_outbox_events(NULL) $$,
     '22004', 'p_ids must not be null', 'ack NULL'),
    ($$ SELECT * FROM experiments.capture_lead('nope') $$,
     '22023', 'p_email "nope" is not a valid email address', 'bad email'),
    ($$ SELECT experiments.set_lead_status(-1, 'active') $$,
     'P0002', 'lead -1 not found', 'unknown lead'),
    ($$ SELECT experiments.set_lead_status(1, 'gone') $$,
     '22023', 'invalid p_status "gone"', 'unknown lead status'),
    ($$ SELECT experiments.murmur3_32('a', -1) $$,
     '22023', 'p_seed must be between 0 and 4294967295', 'murmur seed out of range')
  ) v (q, s, m, d);

-- outside the traffic allocation: no row, no error
SELECT experiment_id AS tap_none FROM experiments.create_experiment('tap-none', 'Tap', p_status => 'active',
    p_config => '{"traffic_allocation": 0.0001}', p_variants => '[{"key": "a", "allocation_pct": 100}]') \gset
SELECT is((SELECT count(*)::int FROM generate_series(1, 50) g,
                  experiments.get_or_create_assignment(:tap_none, 'u' || g)),
          (SELECT count(*)::int FROM generate_series(1, 50) g
            WHERE experiments.murmur3_32(:tap_none || ':u' || g || ':tap-none') % 10000 < 1),
          'only users inside the allocation get a row');

SELECT * FROM finish();
ROLLBACK;
