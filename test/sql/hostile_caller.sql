-- The hostile caller (SPEC section 4) against the foundation: version(),
-- the admin routines and the shared layer.  Each domain has its own
-- hostile_<domain>.sql built the same way.

\i test/sql/include/hostile_setup.sql

-- The trap is armed: unqualified SQL of the hostile caller reaches it.
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT 'a'::text = 'a'::text;
SELECT count(*) FROM api_routines;  -- resolves to the pg_temp shadow view
RESET ROLE;
RESET search_path;

--------------------------------------------------------------------------
-- Calls.  Each routine is called by the hostile role (or, for the admin
-- routines, by a superuser) with the hostile search_path in force.
--------------------------------------------------------------------------
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;

-- Projections below use no operator of their own: the caller's expression
-- would meet the shadows, not the routine's.
-- extension
SELECT versions_match FROM experiments.version();
SELECT experiments.uuid_v7() IS NOT NULL AS has_id;

-- admin routines, as a superuser with the same hostile path
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
CREATE ROLE regress_hostile_target;
SELECT count(*) > 0 AS granted
  FROM experiments.grant_access('regress_hostile_target', ARRAY['quota', 'campaigns'], true);
SELECT count(*) > 0 AS revoked FROM experiments.revoke_access('regress_hostile_target');
SELECT count(*) AS target_schema_grants_left
  FROM pg_namespace n, aclexplode(n.nspacl) a
 WHERE n.nspname OPERATOR(pg_catalog.=) 'experiments'
   AND a.grantee OPERATOR(pg_catalog.=) 'regress_hostile_target'::regrole;
DROP ROLE regress_hostile_target;

-- the shared layer: a cached statement comparing text under the guard
CREATE FUNCTION experiments.regress_guarded_stmt(text) RETURNS text
    LANGUAGE C AS 'experiments', 'experiments_selftest_stmt';
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT split_part(experiments.regress_guarded_stmt('public'), ',', 1) AS counted;
RESET ROLE;
DROP FUNCTION experiments.regress_guarded_stmt(text);

\i test/sql/include/hostile_teardown.sql
