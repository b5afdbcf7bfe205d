-- The access model: grant_access, revoke_access, and what a granted role can
-- and cannot do (SPEC section 4).
CREATE ROLE regress_app LOGIN;
CREATE ROLE regress_reader LOGIN;
CREATE ROLE regress_admin_member LOGIN;
CREATE ROLE regress_outsider LOGIN;

-- Probe routines stand in for domain routines, registered the way the
-- install script registers real ones (one reader, one writer per domain).
CREATE FUNCTION experiments.regress_probe_read() RETURNS text
    LANGUAGE sql AS $$ SELECT 'read' $$;
CREATE FUNCTION experiments.regress_probe_write(integer) RETURNS text
    LANGUAGE sql AS $$ SELECT 'wrote ' || $1 $$;
CREATE FUNCTION experiments.regress_probe_claim() RETURNS text
    LANGUAGE sql AS $$ SELECT 'claimed' $$;
REVOKE ALL ON FUNCTION experiments.regress_probe_read(), experiments.regress_probe_write(integer),
    experiments.regress_probe_claim() FROM PUBLIC;
INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.regress_probe_read()',          'quota',     false),
    ('experiments.regress_probe_write(integer)',  'quota',     true),
    ('experiments.regress_probe_claim()',         'campaigns', true);

-- a fresh role can call version() and nothing else
SET ROLE regress_outsider;
SELECT versions_match FROM experiments.version();
SELECT * FROM experiments.grant_access('regress_outsider');
SELECT * FROM experiments.api_routines;
RESET ROLE;

-- granting returns what was granted; a role gets EXECUTE, never a table
-- (only the probe routines are shown: the real ones come and go with domains)
SELECT domain, routine, writes FROM experiments.grant_access('regress_app')
 WHERE routine LIKE 'experiments.regress_probe%';
SELECT domain, routine, writes
  FROM experiments.grant_access('regress_reader', ARRAY['quota', 'campaigns'], true)
 WHERE routine LIKE 'experiments.regress_probe%';
SELECT count(*) AS table_privileges
  FROM information_schema.role_table_grants
 WHERE grantee IN ('regress_app', 'regress_reader') AND table_schema = 'experiments';
-- grants are idempotent
SELECT count(*) AS regranted FROM experiments.grant_access('regress_app')
 WHERE routine LIKE 'experiments.regress_probe%';

-- the granted roles can call what they were given, and only that
SET ROLE regress_app;
SELECT experiments.regress_probe_read(), experiments.regress_probe_write(1),
       experiments.regress_probe_claim();
SET ROLE regress_reader;
SELECT experiments.regress_probe_read();
SELECT experiments.regress_probe_write(2);
SELECT experiments.regress_probe_claim();

-- the granted role still cannot touch the tables directly
SET ROLE regress_app;
SELECT * FROM experiments.api_routines;
INSERT INTO experiments.api_routines VALUES ('x()', 'public', false);
RESET ROLE;

-- grant_access is an administrator's routine: EXECUTE alone is not enough,
-- the caller must have the privileges of the extension owner
GRANT EXECUTE ON FUNCTION experiments.grant_access(regrole, text[], boolean)
    TO regress_outsider;
SET ROLE regress_outsider;
SELECT * FROM experiments.grant_access('regress_outsider');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION experiments.grant_access(regrole, text[], boolean)
    FROM regress_outsider;

-- bad arguments: SQLSTATEs of SPEC section 5
\set VERBOSITY sqlstate
SELECT * FROM experiments.grant_access(NULL);
SELECT * FROM experiments.grant_access('regress_app', NULL, NULL);
SELECT * FROM experiments.grant_access('regress_app', ARRAY['billing']);
SELECT * FROM experiments.grant_access('regress_app', ARRAY['quota', NULL]);
SELECT * FROM experiments.grant_access('regress_app', '{}');
SELECT * FROM experiments.grant_access('regress_app', '{{quota},{campaigns}}');
SELECT * FROM experiments.grant_access('-');
SELECT * FROM experiments.grant_access(999999::oid::regrole);
SELECT * FROM experiments.grant_access('no_such_role');
SELECT * FROM experiments.revoke_access(NULL);
SELECT * FROM experiments.revoke_access('regress_app', ARRAY['admin']);
\set VERBOSITY default
SELECT * FROM experiments.grant_access('regress_app', ARRAY['billing']);
SELECT * FROM experiments.grant_access('-');

-- revoking takes back exactly what was granted
SELECT count(*) AS revoked FROM experiments.revoke_access('regress_app')
 WHERE routine LIKE 'experiments.regress_probe%';
SELECT count(*) AS revoked FROM experiments.revoke_access('regress_reader', ARRAY['quota'])
 WHERE routine LIKE 'experiments.regress_probe%';
SELECT p.oid::regprocedure AS still_executable_by_app
  FROM pg_proc p
 WHERE p.pronamespace = 'experiments'::regnamespace
   AND p.oid::regprocedure::text NOT IN ('experiments.version()', 'experiments.uuid_v7()')
   AND has_function_privilege('regress_app', p.oid, 'EXECUTE');

SET ROLE regress_reader;
SELECT experiments.regress_probe_read();
RESET ROLE;
SELECT count(*) AS revoked FROM experiments.revoke_access('regress_reader')
 WHERE routine LIKE 'experiments.regress_probe%';
SET ROLE regress_reader;
SELECT experiments.regress_probe_read();
RESET ROLE;

-- a member of the owner's role may administer access
GRANT postgres TO regress_admin_member;
SET ROLE regress_admin_member;
SELECT count(*) AS granted_by_member
  FROM experiments.grant_access('regress_outsider', ARRAY['campaigns'])
 WHERE routine LIKE 'experiments.regress_probe%';
RESET ROLE;
SELECT count(*) AS revoked FROM experiments.revoke_access('regress_outsider')
 WHERE routine LIKE 'experiments.regress_probe%';
REVOKE postgres FROM regress_admin_member;

-- a fully revoked role holds nothing of ours and can be dropped
DELETE FROM experiments.api_routines WHERE routine LIKE 'experiments.regress_probe%';
DROP FUNCTION experiments.regress_probe_read(), experiments.regress_probe_write(integer),
    experiments.regress_probe_claim();
DROP ROLE regress_app, regress_reader, regress_admin_member, regress_outsider;
