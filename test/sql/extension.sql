-- The extension as a whole: version, what it installs, what DROP removes.

-- the loaded library and the installed SQL agree
SELECT library_version = extension_version AS same, versions_match
  FROM experiments.version();
SELECT extversion, extrelocatable, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'experiments';

-- every routine of the extension is registered exactly once with its domain
SELECT p.oid::regprocedure AS unregistered_routine
  FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'experiments')
   AND p.oid NOT IN (SELECT to_regprocedure(routine) FROM experiments.api_routines
                      WHERE to_regprocedure(routine) IS NOT NULL);
SELECT routine AS registered_but_missing
  FROM experiments.api_routines WHERE to_regprocedure(routine) IS NULL;
SELECT to_regprocedure(routine) AS registered_twice
  FROM experiments.api_routines GROUP BY 1 HAVING count(*) > 1;
-- (each domain's pgTAP file checks its own routines and write flags; here
-- only which domains have routines)
SELECT domain, count(*) > 0 AS has_routines
  FROM experiments.api_routines GROUP BY domain ORDER BY domain;

-- nothing but version() is executable by PUBLIC, no table or sequence is
-- granted to PUBLIC
SELECT p.oid::regprocedure AS public_routine
  FROM pg_proc p
 WHERE p.pronamespace = 'experiments'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY 1;
SELECT c.relname, c.relacl
  FROM pg_class c
 WHERE c.relnamespace = 'experiments'::regnamespace
   AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
   AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0);

-- DROP EXTENSION removes every object the install script made, and a second
-- CREATE gives the same objects back.  The schema itself is made by
-- CREATE EXTENSION from the control file, outside the extension: it is left
-- behind empty (DROP SCHEMA experiments CASCADE removes schema and extension).
CREATE TEMP TABLE objects_before AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'experiments');
SELECT count(*) > 0 AS has_objects FROM objects_before;
DROP EXTENSION experiments;
SELECT count(*) AS objects_left_in_schema
  FROM (SELECT oid FROM pg_class WHERE relnamespace = 'experiments'::regnamespace
        UNION ALL SELECT oid FROM pg_proc WHERE pronamespace = 'experiments'::regnamespace
        UNION ALL SELECT oid FROM pg_type WHERE typnamespace = 'experiments'::regnamespace
        UNION ALL SELECT oid FROM pg_operator WHERE oprnamespace = 'experiments'::regnamespace) o;
CREATE EXTENSION experiments;
SELECT object AS missing_after_recreate FROM objects_before
EXCEPT
SELECT pg_describe_object(classid, objid, objsubid)
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'experiments');

-- the extension cannot be moved to another schema
ALTER EXTENSION experiments SET SCHEMA public;
