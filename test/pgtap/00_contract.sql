-- Contracts of the extension-wide routines: signatures, result columns,
-- privileges and SQLSTATEs.  One transaction, rolled back at the end.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(36);

-- schema, registry table, routines
SELECT has_schema('experiments');
SELECT has_table('experiments', 'api_routines', 'the routine registry exists');
SELECT col_is_pk('experiments', 'api_routines', 'routine', 'routine is the registry key');
SELECT has_function('experiments', 'version', ARRAY[]::name[]);
SELECT has_function('experiments', 'grant_access', ARRAY['regrole', 'text[]', 'boolean']);
SELECT has_function('experiments', 'revoke_access', ARRAY['regrole', 'text[]']);
SELECT function_lang_is('experiments', 'version', ARRAY[]::name[], 'c');
SELECT function_lang_is('experiments', 'grant_access', ARRAY['regrole', 'text[]', 'boolean'], 'c');
SELECT function_lang_is('experiments', 'revoke_access', ARRAY['regrole', 'text[]'], 'c');
SELECT volatility_is('experiments', 'version', ARRAY[]::name[], 'stable');
SELECT volatility_is('experiments', 'grant_access', ARRAY['regrole', 'text[]', 'boolean'], 'volatile');
SELECT isnt_definer('experiments', 'grant_access', ARRAY['regrole', 'text[]', 'boolean'],
                    'grant_access is not SECURITY DEFINER (the C guard switches user)');

-- result columns
SELECT is(pg_get_function_result('experiments.version()'::regprocedure),
          'record', 'version() returns one record');
SELECT is(pg_get_function_arguments('experiments.version()'::regprocedure),
          'OUT library_version text, OUT extension_version text, OUT versions_match boolean',
          'version() columns');
SELECT is(pg_get_function_result('experiments.grant_access(regrole,text[],boolean)'::regprocedure),
          'TABLE(domain text, routine text, writes boolean)', 'grant_access columns');
SELECT is(pg_get_function_arguments('experiments.grant_access(regrole,text[],boolean)'::regprocedure),
          'p_role regrole, p_domains text[] DEFAULT NULL::text[], p_read_only boolean DEFAULT false',
          'grant_access parameters and defaults');

-- privileges: PUBLIC may run version() and uuid_v7() and nothing else; no
-- table is granted
SELECT function_privs_are('experiments', 'version', ARRAY[]::name[], 'public',
                          ARRAY['EXECUTE'], 'PUBLIC may call version()');
SELECT function_privs_are('experiments', 'grant_access', ARRAY['regrole', 'text[]', 'boolean'],
                          'public', ARRAY[]::text[], 'PUBLIC may not call grant_access');
SELECT function_privs_are('experiments', 'revoke_access', ARRAY['regrole', 'text[]'],
                          'public', ARRAY[]::text[], 'PUBLIC may not call revoke_access');
SELECT table_privs_are('experiments', 'api_routines', 'public', ARRAY[]::text[],
                       'PUBLIC has no right on the registry');
SELECT schema_privs_are('experiments', 'public', ARRAY['USAGE'],
                        'PUBLIC may look names up in the schema, nothing more');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
     WHERE p.pronamespace = 'experiments'::regnamespace
       AND p.oid <> 'experiments.version()'::regprocedure
       AND p.oid <> 'experiments.uuid_v7()'::regprocedure
       AND has_function_privilege('public', p.oid, 'EXECUTE') $$,
    'no other routine is executable by PUBLIC');
SELECT function_privs_are('experiments', 'uuid_v7', ARRAY[]::name[], 'public', ARRAY['EXECUTE'],
                          'PUBLIC may call uuid_v7, as it may gen_random_uuid');
SELECT col_default_is('experiments', 'recordings', 'id', 'experiments.uuid_v7()',
                      'recording ids are time-ordered');
SELECT col_default_is('experiments', 'gmaps_api_costs', 'id', 'experiments.uuid_v7()',
                      'cost-ledger ids are time-ordered');

-- SQLSTATEs
SELECT throws_ok($$ SELECT * FROM experiments.grant_access(NULL) $$,
                 '22004', 'p_role must not be null', 'NULL role');
SELECT throws_ok($$ SELECT * FROM experiments.grant_access('postgres', NULL, NULL) $$,
                 '22004', 'p_read_only must not be null', 'NULL read-only flag');
SELECT throws_ok($$ SELECT * FROM experiments.grant_access('postgres', ARRAY['x']) $$,
                 '22023', 'invalid domain "x"', 'unknown domain');
SELECT throws_ok($$ SELECT * FROM experiments.grant_access('postgres', '{}') $$,
                 '22023', 'p_domains must not be empty', 'empty domain list');
SELECT throws_ok($$ SELECT * FROM experiments.grant_access('postgres', ARRAY[NULL]::text[]) $$,
                 '22004', 'p_domains must not contain null', 'NULL domain');
SELECT throws_ok($$ SELECT * FROM experiments.grant_access('-') $$,
                 '22023', 'p_role must name a role', 'PUBLIC as a role');
SELECT throws_ok($$ SELECT * FROM experiments.grant_access(4294967295::oid::regrole) $$,
                 '42704', NULL, 'dangling role oid');

-- a role with EXECUTE but not the owner's privileges is refused with 42501
CREATE ROLE tap_outsider;
GRANT EXECUTE ON FUNCTION experiments.grant_access(regrole, text[], boolean) TO tap_outsider;
SET LOCAL ROLE tap_outsider;
SELECT throws_ok($$ SELECT * FROM experiments.grant_access('tap_outsider') $$,
                 '42501', NULL, 'only the extension owner may grant');
SELECT throws_ok($$ SELECT * FROM experiments.api_routines $$,
                 '42501', NULL, 'an outsider cannot read the registry');
RESET ROLE;

-- version() tells the library and the SQL apart
SELECT results_eq($$ SELECT library_version, extension_version, versions_match
                       FROM experiments.version() $$,
                  $$ VALUES ('1.0'::text, '1.0'::text, true) $$,
                  'library and SQL are both 1.0');
SELECT lives_ok($$ SELECT experiments.version() $$, 'version() callable as a scalar');

SELECT * FROM finish();
ROLLBACK;
