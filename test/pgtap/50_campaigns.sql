-- Contracts of the campaigns domain: tables, routine signatures and result
-- columns, privileges, and the JSONB envelope - every SQLSTATE of the
-- seed's error table produced for real and mapped to error /
-- retry_recommended.  One transaction, rolled back at the end; the
-- conflicts that need a second session (lock timeout, deadlock,
-- serialization failure) use dblink connections to this same database,
-- whose committed rows are removed at the end.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
CREATE EXTENSION IF NOT EXISTS dblink;
BEGIN;
SELECT plan(140);

--------------------------------------------------------------------------
-- tables, and pg_dump keeps their rows
--------------------------------------------------------------------------
SELECT has_table('experiments', t, 'table experiments.' || t)
  FROM unnest(ARRAY['gmaps_campaigns', 'gmaps_campaign_coverage', 'gmaps_businesses',
                    'gmaps_facebook_enrichments', 'gmaps_linkedin_enrichments',
                    'gmaps_api_costs', 'gmaps_email_verifications']) t;
SELECT col_is_pk('experiments', t, 'id', t || '.id is the key')
  FROM unnest(ARRAY['gmaps_campaigns', 'gmaps_campaign_coverage', 'gmaps_businesses',
                    'gmaps_facebook_enrichments', 'gmaps_linkedin_enrichments',
                    'gmaps_api_costs', 'gmaps_email_verifications']) t;
SELECT col_is_unique('experiments', 'gmaps_businesses', 'place_id', 'place_id is unique, globally');
SELECT col_is_unique('experiments', 'gmaps_campaign_coverage', ARRAY['campaign_id', 'zip_code'],
                     'one coverage row per campaign and ZIP');
SELECT fk_ok('experiments', t, 'campaign_id', 'experiments', 'gmaps_campaigns', 'id')
  FROM unnest(ARRAY['gmaps_campaign_coverage', 'gmaps_businesses', 'gmaps_facebook_enrichments',
                    'gmaps_linkedin_enrichments', 'gmaps_api_costs']) t;
SELECT fk_ok('experiments', t, 'business_id', 'experiments', 'gmaps_businesses', 'id')
  FROM unnest(ARRAY['gmaps_facebook_enrichments', 'gmaps_linkedin_enrichments',
                    'gmaps_email_verifications']) t;
SELECT col_type_is('experiments', 'gmaps_campaigns', c, 'numeric(14,4)',
                   'gmaps_campaigns.' || c || ' keeps 4 decimals, like the cost rows')
  FROM unnest(ARRAY['actual_cost', 'google_maps_cost', 'facebook_cost',
                    'linkedin_enrichment_cost', 'bouncer_verification_cost']) c;
SELECT col_type_is('experiments', 'gmaps_api_costs', 'cost_usd', 'numeric(10,4)', 'cost rows: numeric(10,4)');
SELECT col_default_is('experiments', 'gmaps_campaigns', 'status', 'draft', 'status defaults to draft');
SELECT col_default_is('experiments', 'gmaps_campaigns', 'coverage_profile', 'balanced',
                      'coverage_profile defaults to balanced');
SELECT col_default_is('experiments', 'gmaps_campaigns', 'created_by', 'system',
                      'created_by defaults to system');
SELECT col_default_is('experiments', 'gmaps_campaign_coverage', 'max_results', '200',
                      'max_results defaults to 200');
SELECT set_eq($$ SELECT c::regclass::text FROM pg_extension e, unnest(e.extconfig) c
                  WHERE e.extname = 'experiments' AND c::regclass::text LIKE 'experiments.gmaps\_%' $$,
              ARRAY['experiments.gmaps_campaigns', 'experiments.gmaps_campaign_coverage',
                    'experiments.gmaps_businesses', 'experiments.gmaps_facebook_enrichments',
                    'experiments.gmaps_linkedin_enrichments', 'experiments.gmaps_api_costs',
                    'experiments.gmaps_email_verifications'],
              'pg_dump keeps the rows of every campaigns table');

--------------------------------------------------------------------------
-- routines: signatures, results, language, not SECURITY DEFINER
--------------------------------------------------------------------------
CREATE TEMP TABLE tap_routines (sig regprocedure, args text, result text, volatility text);
INSERT INTO tap_routines VALUES
  ('experiments.create_campaign_with_coverage(jsonb,jsonb)',
   'p_campaign_data jsonb, p_zip_codes jsonb', 'jsonb', 'v'),
  ('experiments.insert_businesses_batch(uuid,varchar,jsonb)',
   'p_campaign_id uuid, p_zip_code character varying, p_businesses jsonb', 'jsonb', 'v'),
  ('experiments.update_campaign_statistics(uuid)', 'p_campaign_id uuid', 'jsonb', 'v'),
  ('experiments.track_campaign_cost(uuid,varchar,integer,numeric,jsonb)',
   'p_campaign_id uuid, p_service character varying, p_items_processed integer, '
   'p_cost_usd numeric, p_metadata jsonb DEFAULT NULL::jsonb', 'jsonb', 'v'),
  ('experiments.update_coverage_status(uuid,varchar,integer,integer,numeric)',
   'p_campaign_id uuid, p_zip_code character varying, p_businesses_found integer, '
   'p_emails_found integer, p_actual_cost numeric', 'jsonb', 'v'),
  ('experiments.update_enrichment_batch(varchar,jsonb)',
   'p_enrichment_type character varying, p_enrichments jsonb', 'jsonb', 'v'),
  ('experiments.update_email_verification(uuid,varchar,jsonb)',
   'p_business_id uuid, p_email character varying, p_verification_data jsonb', 'jsonb', 'v'),
  ('experiments.get_businesses_for_enrichment(uuid,varchar,integer,integer)',
   'p_campaign_id uuid, p_enrichment_type character varying, p_limit integer DEFAULT 100, '
   'p_offset integer DEFAULT 0',
   'TABLE(business_id uuid, campaign_id uuid, place_id character varying, name character varying, '
   'address text, city character varying, state character varying, postal_code character varying, '
   'phone character varying, website text, email character varying, facebook_url text, '
   'linkedin_url text, enrichment_status character varying, enrichment_attempts integer, '
   'needs_enrichment boolean)', 's'),
  ('experiments.claim_businesses_for_enrichment(uuid,varchar,integer,interval)',
   'p_campaign_id uuid, p_enrichment_type character varying, p_limit integer DEFAULT 100, '
   'p_lease interval DEFAULT ''00:10:00''::interval',
   'TABLE(business_id uuid, campaign_id uuid, place_id character varying, name character varying, '
   'address text, city character varying, state character varying, postal_code character varying, '
   'phone character varying, website text, email character varying, facebook_url text, '
   'linkedin_url text, enrichment_status character varying, enrichment_attempts integer, '
   'needs_enrichment boolean, claimed_until timestamp with time zone)', 'v');
SELECT is(pg_get_function_arguments(sig), args, sig::text || ' parameters') FROM tap_routines;
SELECT is(pg_get_function_result(sig), result, sig::text || ' result') FROM tap_routines;
SELECT is((SELECT l.lanname::text || '/' || p.provolatile::text || '/' || p.prosecdef::text
             FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = sig),
          'c/' || volatility || '/false', sig::text || ' is C, ' || volatility || ', not SECURITY DEFINER')
  FROM tap_routines;

--------------------------------------------------------------------------
-- privileges
--------------------------------------------------------------------------
SELECT results_eq($$ SELECT routine, writes FROM experiments.api_routines
                      WHERE domain = 'campaigns' ORDER BY routine $$,
                  $$ VALUES
    ('experiments.claim_businesses_for_enrichment(uuid, character varying, integer, interval)', true),
    ('experiments.create_campaign_with_coverage(jsonb, jsonb)', true),
    ('experiments.get_businesses_for_enrichment(uuid, character varying, integer, integer)', false),
    ('experiments.insert_businesses_batch(uuid, character varying, jsonb)', true),
    ('experiments.track_campaign_cost(uuid, character varying, integer, numeric, jsonb)', true),
    ('experiments.update_campaign_statistics(uuid)', true),
    ('experiments.update_coverage_status(uuid, character varying, integer, integer, numeric)', true),
    ('experiments.update_email_verification(uuid, character varying, jsonb)', true),
    ('experiments.update_enrichment_batch(character varying, jsonb)', true) $$,
                  'the nine campaigns routines and their write flags');
SELECT is_empty($$ SELECT sig FROM tap_routines WHERE has_function_privilege('public', sig, 'EXECUTE') $$,
                'no campaigns routine is executable by PUBLIC');
SELECT table_privs_are('experiments', t, 'public', ARRAY[]::text[], 'PUBLIC has no right on experiments.' || t)
  FROM unnest(ARRAY['gmaps_campaigns', 'gmaps_campaign_coverage', 'gmaps_businesses',
                    'gmaps_facebook_enrichments', 'gmaps_linkedin_enrichments',
                    'gmaps_api_costs', 'gmaps_email_verifications']) t;

CREATE ROLE tap_campaigns_app;
CREATE ROLE tap_campaigns_reader;
CREATE ROLE tap_campaigns_none;
SELECT is((SELECT count(*)::int FROM experiments.grant_access('tap_campaigns_app', ARRAY['campaigns'])),
          9, 'grant_access gives the nine campaigns routines');
SELECT is((SELECT array_agg(routine ORDER BY routine)
             FROM experiments.grant_access('tap_campaigns_reader', ARRAY['campaigns'], true)),
          ARRAY['experiments.get_businesses_for_enrichment(uuid, character varying, integer, integer)'],
          'read-only access gives get_businesses_for_enrichment alone (a claim is a write)');
SELECT ok(has_function_privilege('tap_campaigns_app', sig, 'EXECUTE'), 'the app role may call ' || sig::text)
  FROM tap_routines;
SELECT ok(NOT has_function_privilege('tap_campaigns_none', sig, 'EXECUTE'),
          'a role without a grant may not call ' || sig::text)
  FROM tap_routines;

-- a role without the grant gets 42501 from every routine
GRANT SELECT ON tap_routines TO tap_campaigns_none, tap_campaigns_app;
SET LOCAL ROLE tap_campaigns_none;
SELECT throws_ok(format('SELECT %s', c), '42501', NULL, 'no grant: ' || c)
  FROM unnest(ARRAY[
    $$experiments.create_campaign_with_coverage('{"name": "x"}', '[]')$$,
    $$experiments.insert_businesses_batch(gen_random_uuid(), '1', '[]')$$,
    $$experiments.update_campaign_statistics(gen_random_uuid())$$,
    $$experiments.track_campaign_cost(gen_random_uuid(), 'bouncer', 1, 1)$$,
    $$experiments.update_coverage_status(gen_random_uuid(), '1', 1, 1, 1)$$,
    $$experiments.update_enrichment_batch('facebook', '[]')$$,
    $$experiments.update_email_verification(gen_random_uuid(), 'a@b.c', '{"status": "x"}')$$,
    $$* FROM experiments.get_businesses_for_enrichment(gen_random_uuid(), 'facebook')$$,
    $$* FROM experiments.claim_businesses_for_enrichment(gen_random_uuid(), 'facebook')$$]) c;
RESET ROLE;

-- the granted role works through the routines alone
SET LOCAL ROLE tap_campaigns_app;
SELECT is(experiments.create_campaign_with_coverage(
              '{"id": "00000000-0000-4000-8000-0000000ca001", "name": "TAP campaign"}', '["10001", "10002"]')
          - 'campaign_id',
          '{"success": true, "zip_count": 2, "message": "Campaign created with 2 ZIP codes"}'::jsonb,
          'the app role creates a campaign');
SELECT is(experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000ca001', '10001',
              '[{"place_id": "tap-1", "name": "One"}, {"place_id": "tap-2", "name": "Two", "email": "t@x.example"}]'),
          '{"success": true, "inserted": 2, "updated": 0, "skipped": 0, "total": 2}'::jsonb,
          'the app role inserts businesses');
SELECT is(experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001', 'google_maps', 2, 0.02)
          - 'cost_id',
          '{"success": true, "new_total": 0.0200, "service": "google_maps"}'::jsonb,
          'the app role tracks a cost');
SELECT is((SELECT count(*)::int FROM experiments.claim_businesses_for_enrichment(
              '00000000-0000-4000-8000-0000000ca001', 'facebook')), 1, 'the app role claims');
SELECT throws_ok($$ SELECT * FROM experiments.gmaps_campaigns $$, '42501', NULL,
                 'and cannot read the campaigns table');
SELECT throws_ok($$ UPDATE experiments.gmaps_campaigns SET actual_cost = 0 $$, '42501', NULL,
                 'nor write it');
RESET ROLE;
SET LOCAL ROLE tap_campaigns_reader;
SELECT is((SELECT count(*)::int FROM experiments.get_businesses_for_enrichment(
              '00000000-0000-4000-8000-0000000ca001', 'linkedin')), 2, 'the reader role pages');
SELECT throws_ok($$ SELECT * FROM experiments.claim_businesses_for_enrichment(
                        '00000000-0000-4000-8000-0000000ca001', 'facebook') $$,
                 '42501', NULL, 'the reader role cannot claim');
SELECT throws_ok($$ SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001',
                        'bouncer', 1, 1) $$, '42501', NULL, 'nor charge');
RESET ROLE;

--------------------------------------------------------------------------
-- the envelope: argument errors (SPEC section 5 SQLSTATEs, never a retry)
--------------------------------------------------------------------------
CREATE FUNCTION pg_temp.env(r jsonb) RETURNS text LANGUAGE sql AS
$$ SELECT concat_ws(' | ', r ->> 'success', r ->> 'error_code', r ->> 'error', r ->> 'retry_recommended') $$;
SELECT is(pg_temp.env(r), e, d) FROM (VALUES
  (experiments.track_campaign_cost(NULL, 'bouncer', 1, 1), 'false | 22004 | Invalid input | false', 'NULL campaign'),
  (experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001', 'openai', 1, 1),
   'false | 22023 | Invalid input | false', 'unknown service'),
  (experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001', 'bouncer', 1, -1),
   'false | 22023 | Invalid input | false', 'negative cost'),
  (experiments.track_campaign_cost('00000000-0000-4000-8000-00000000dead', 'bouncer', 1, 1),
   'false | P0002 | Campaign not found | false', 'unknown campaign'),
  (experiments.create_campaign_with_coverage('{"name": "x", "organization_id": "x"}', '[]'),
   'false | 22P02 | Invalid input | false', 'malformed uuid'),
  (experiments.create_campaign_with_coverage('{"name": "x"}', '"78701"'),
   'false | 22023 | Invalid input | false', 'ZIPs not an array'),
  (experiments.create_campaign_with_coverage('{"description": "no name"}', '[]'),
   'false | 22023 | Invalid input | false', 'missing key'),
  (experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000ca001', '10001', '[1]'),
   'false | 22023 | Invalid input | false', 'business not an object'),
  (experiments.update_enrichment_batch('instagram', '[]'),
   'false | 22023 | Invalid input | false', 'unknown enrichment type')) v (r, e, d);

--------------------------------------------------------------------------
-- the seed's error table, each SQLSTATE produced for real
--------------------------------------------------------------------------
-- 23505: a campaign id that exists
SELECT is(pg_temp.env(experiments.create_campaign_with_coverage(
              '{"id": "00000000-0000-4000-8000-0000000ca001", "name": "again"}', '["1"]')),
          'false | 23505 | Duplicate record detected | false', '23505 unique_violation: no retry');
-- 23503: a verification naming an enrichment row that does not exist
SELECT is(pg_temp.env(experiments.update_email_verification(
              (SELECT id FROM experiments.gmaps_businesses WHERE place_id = 'tap-2'), 't@x.example',
              '{"status": "deliverable", "facebook_enrichment_id": "00000000-0000-4000-8000-00000000dead"}')),
          'false | 23503 | Referenced record not found | false', '23503 foreign_key_violation: no retry');
SELECT is((SELECT count(*)::int FROM experiments.gmaps_email_verifications v
            JOIN experiments.gmaps_businesses b ON b.id = v.business_id WHERE b.place_id = 'tap-2'),
          0, 'the failed verification logged nothing');
SELECT is((SELECT email_verified FROM experiments.gmaps_businesses WHERE place_id = 'tap-2'),
          false, 'and left the business as it was');

-- the second sessions: committed campaigns they can see
SELECT dblink_connect('tap_holder', format('dbname=%s port=%s host=%s user=%s',
    current_database(), current_setting('port'),
    split_part(current_setting('unix_socket_directories'), ',', 1), current_user)) AS holder;
SELECT dblink_connect('tap_other', format('dbname=%s port=%s host=%s user=%s',
    current_database(), current_setting('port'),
    split_part(current_setting('unix_socket_directories'), ',', 1), current_user)) AS other;
SELECT count(*) AS a FROM dblink('tap_holder', $$SELECT (experiments.create_campaign_with_coverage(
    '{"id": "00000000-0000-4000-8000-0000000ca00a", "name": "TAP conflict A"}', '[]'))::text$$) AS t (r text);
SELECT count(*) AS b FROM dblink('tap_holder', $$SELECT (experiments.create_campaign_with_coverage(
    '{"id": "00000000-0000-4000-8000-0000000ca00b", "name": "TAP conflict B"}', '[]'))::text$$) AS t (r text);
CREATE TEMP TABLE tap_holder_pid AS SELECT * FROM dblink('tap_holder', 'SELECT pg_backend_pid()') AS t (pid int);

-- 55P03: the holder keeps campaign A's row locked; our charge gives up
-- after our own (shorter) lock_timeout, in the envelope, with a retry
SELECT dblink_exec('tap_holder', 'BEGIN') AS begin_holder;
SELECT count(*) AS locked FROM dblink('tap_holder', $$SELECT 'x' FROM experiments.gmaps_campaigns
                                   WHERE id = '00000000-0000-4000-8000-0000000ca00a' FOR UPDATE$$) AS t (r text);
SET LOCAL lock_timeout = '200ms';
SELECT is(pg_temp.env(experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca00a', 'bouncer', 1, 1)),
          'false | 55P03 | Operation conflict, please retry | true', '55P03 lock_not_available: retry');
SELECT is(current_setting('lock_timeout'), '200ms', 'the caller''s lock_timeout is back');
SET LOCAL lock_timeout = 0;
-- a cancel is never hidden: statement_timeout (57014) stays an error
-- (pgTAP's throws_ok cannot catch a cancel; query_canceled must be named)
CREATE FUNCTION pg_temp.charge_a_code() RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca00a', 'bouncer', 1, 1);
    RETURN 'no error';
EXCEPTION WHEN query_canceled THEN
    RETURN SQLSTATE;
END $f$;
SET LOCAL statement_timeout = '300ms';
SELECT is(pg_temp.charge_a_code(), '57014', 'a query cancel passes through the envelope as an error');
SET LOCAL statement_timeout = 0;
SELECT dblink_exec('tap_holder', 'ROLLBACK') AS release;
SELECT dblink_exec('tap_holder', 'BEGIN') AS begin_holder;
SELECT count(*) AS locked FROM dblink('tap_holder', $$SELECT 'x' FROM experiments.gmaps_campaigns
                                   WHERE id = '00000000-0000-4000-8000-0000000ca00a' FOR UPDATE$$) AS t (r text);

-- 40P01: we hold B (in a savepoint), the holder (A) waits for B, we charge A.
-- psql's own per-statement savepoints are off here: a row locked in a
-- released savepoint makes a waiter wait for the whole transaction.
\set ON_ERROR_ROLLBACK off
SAVEPOINT before_deadlock;
UPDATE experiments.gmaps_campaigns SET description = 'tap' WHERE id = '00000000-0000-4000-8000-0000000ca00b';
SELECT dblink_exec('tap_holder', $$SET deadlock_timeout = '60s'$$) AS slow_detector;
SELECT dblink_send_query('tap_holder', $$UPDATE experiments.gmaps_campaigns SET description = 'holder'
                                         WHERE id = '00000000-0000-4000-8000-0000000ca00b'$$) AS sent;
DO $$
BEGIN
    FOR i IN 1 .. 600 LOOP   -- until the holder waits for our lock (at most 30 s)
        EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity
                           WHERE pid = (SELECT pid FROM tap_holder_pid) AND wait_event_type = 'Lock');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SET LOCAL deadlock_timeout = '100ms';
SELECT is(pg_temp.env(experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca00a', 'bouncer', 1, 1)),
          'false | 40P01 | Operation conflict, please retry | true', '40P01 deadlock_detected: retry');
SELECT is((SELECT count(*)::int FROM experiments.gmaps_api_costs
            WHERE campaign_id = '00000000-0000-4000-8000-0000000ca00a'), 0,
          'the deadlocked charge left no cost row');
ROLLBACK TO SAVEPOINT before_deadlock;   -- releases B: the holder goes on
\set ON_ERROR_ROLLBACK 1
SELECT * FROM dblink_get_result('tap_holder') AS t (status text);
SELECT * FROM dblink_get_result('tap_holder') AS t (status text);   -- the end of the results
SELECT dblink_exec('tap_holder', 'ROLLBACK') AS end_holder;

-- 40001: a REPEATABLE READ transaction charges a campaign charged by
-- someone else after its snapshot
SELECT dblink_exec('tap_holder', 'BEGIN ISOLATION LEVEL REPEATABLE READ') AS rr;
SELECT * FROM dblink('tap_holder', 'SELECT 1') AS t (one int);
SELECT count(*) AS charged FROM dblink('tap_other', $$SELECT (experiments.track_campaign_cost(
    '00000000-0000-4000-8000-0000000ca00a', 'google_maps', 1, 2.5))::text$$) AS t (r text);
SELECT is(pg_temp.env(r::jsonb), 'false | 40001 | Operation conflict, please retry | true',
          '40001 serialization_failure: retry')
  FROM dblink('tap_holder', $$SELECT experiments.track_campaign_cost(
      '00000000-0000-4000-8000-0000000ca00a', 'facebook', 1, 1)::text$$) AS t (r text);
SELECT dblink_exec('tap_holder', 'ROLLBACK') AS end_rr;
SELECT is(r, '2.5000|1', 'only the committed charge counts')
  FROM dblink('tap_other', $$SELECT actual_cost || '|' || (SELECT count(*) FROM experiments.gmaps_api_costs
                                  WHERE campaign_id = c.id)
                               FROM experiments.gmaps_campaigns c
                              WHERE id = '00000000-0000-4000-8000-0000000ca00a'$$) AS t (r text);

-- clean up what the second sessions committed (before this transaction
-- takes a table lock below, which the cascade would wait for)
SELECT dblink_exec('tap_other', $$DELETE FROM experiments.gmaps_campaigns
    WHERE id IN ('00000000-0000-4000-8000-0000000ca00a', '00000000-0000-4000-8000-0000000ca00b')$$) AS cleaned;
SELECT dblink_disconnect('tap_holder');
SELECT dblink_disconnect('tap_other');

-- a value too long for its column: class 22, no retry
SELECT is(pg_temp.env(experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000ca001', '10001',
              '[{"place_id": "tap-3", "name": "Three", "state": "TXS"}]')),
          'false | 22001 | Invalid input | false', 'a value too long for its column: 22001, no retry');
-- anything else: "Database operation failed", no retry (a CHECK this
-- transaction adds, rolled back with it)
ALTER TABLE experiments.gmaps_api_costs ADD CONSTRAINT tap_small_costs CHECK (cost_usd < 100);
SELECT is(pg_temp.env(experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001', 'bouncer', 1, 150)),
          'false | 23514 | Database operation failed | false', 'any other SQLSTATE: no retry');
ALTER TABLE experiments.gmaps_api_costs DROP CONSTRAINT tap_small_costs;

--------------------------------------------------------------------------
-- no partial write, and the caller's transaction goes on
--------------------------------------------------------------------------
SELECT is(pg_temp.env(experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000ca001', '10001',
              '[{"place_id": "tap-4", "name": "ok"}, {"place_id": "tap-5", "name": "bad", "rating": "five"}]')),
          'false | 22P02 | Invalid input | false', 'a batch with one bad value fails whole');
SELECT is((SELECT count(*)::int FROM experiments.gmaps_businesses WHERE place_id IN ('tap-4', 'tap-5')),
          0, 'and wrote none of its rows');
SELECT lives_ok($$ SELECT 1 $$, 'the transaction is still usable after a failed call');
SELECT is(pg_temp.env(experiments.create_campaign_with_coverage('{"name": "TAP half"}',
              (SELECT jsonb_agg(z) FROM (SELECT lpad(i::text, 5, '0') AS z FROM generate_series(1, 9999) i
                                         UNION ALL SELECT '') s))),
          'false | 22023 | Invalid input | false', '10 000 ZIPs, the last one empty');
SELECT is((SELECT count(*)::int FROM experiments.gmaps_campaigns WHERE name = 'TAP half'), 0,
          'no campaign row was left');

--------------------------------------------------------------------------
-- an idempotency key charges once
--------------------------------------------------------------------------
SELECT is(experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001', 'bouncer', 3, 0.03,
              '{"idempotency_key": "tap-key"}') ->> 'new_total', '0.0500', 'the first call charges');
SELECT is(experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001', 'bouncer', 3, 0.03,
              '{"idempotency_key": "tap-key"}') -> 'replayed', 'true'::jsonb, 'the repeat is a replay');
SELECT results_eq($$ SELECT actual_cost, bouncer_verification_cost,
                            (SELECT count(*) FROM experiments.gmaps_api_costs k WHERE k.campaign_id = c.id)
                       FROM experiments.gmaps_campaigns c
                      WHERE id = '00000000-0000-4000-8000-0000000ca001' $$,
                  $$ VALUES (0.0500::numeric, 0.0300::numeric, 2::bigint) $$,
                  'charged once: one row, one addition');
SELECT is(pg_temp.env(experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ca001', 'bouncer', 3, 0.04,
              '{"idempotency_key": "tap-key"}')),
          'false | 22023 | Invalid input | false', 'the same key for another amount is refused');

SELECT * FROM finish();
ROLLBACK;
