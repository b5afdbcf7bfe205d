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

-- nothing but version() and uuid_v7() is executable by PUBLIC, no table or
-- sequence is granted to PUBLIC
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

-- uuid_v7(): version 7, the RFC variant, the current Unix time in
-- milliseconds in the first 48 bits, distinct values, and later calls sort
-- after earlier ones (to the millisecond)
CREATE TEMP TABLE v7 AS
SELECT g, experiments.uuid_v7() AS id FROM generate_series(1, 1000) AS g;
SELECT count(DISTINCT id) AS distinct_ids,
       bool_and(substr(id::text, 15, 1) = '7') AS version_7,
       bool_and(substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) AS rfc_variant,
       bool_and(abs(('x' || lpad(replace(substr(id::text, 1, 13), '-', ''), 16, '0'))::bit(64)::bigint
                    - (extract(epoch FROM clock_timestamp()) * 1000)::bigint) < 60000) AS time_now
  FROM v7;
SELECT pg_sleep(0.002);
SELECT bool_and(experiments.uuid_v7() > id) AS later_sorts_after FROM v7;
CREATE ROLE regress_v7_nobody;
SET ROLE regress_v7_nobody;
SELECT experiments.uuid_v7() IS NOT NULL AS anyone_may_call;
RESET ROLE;
DROP ROLE regress_v7_nobody;

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
