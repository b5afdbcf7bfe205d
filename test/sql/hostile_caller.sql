-- The hostile caller (SPEC section 4).  A role with a hostile search_path,
-- tables shadowing every extension table in pg_temp and public, shadowing
-- "=" operators and functions, calls every routine.  Each shadow object
-- raises "hostile object ... was used" when reached, so any leak fails the
-- call loudly; the results must be exactly the ones of a normal caller.
--
-- Every domain adds its calls to the "calls" part below.

CREATE ROLE regress_hostile LOGIN;
GRANT CREATE ON SCHEMA public TO regress_hostile;
SELECT count(*) >= 0 AS granted FROM experiments.grant_access('regress_hostile');

-- The trap: any use of a shadow object ends up here.
CREATE FUNCTION public.hostile_trap(what text) RETURNS boolean
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hostile object % was used', what;
END $$;
CREATE FUNCTION public.hostile_rows(what text) RETURNS SETOF integer
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.hostile_trap(what);
END $$;
CREATE FUNCTION public.hostile_write_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.hostile_trap(TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    RETURN NULL;
END $$;

-- Shadowing "=" for the types our statements compare.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'integer', 'bigint', 'uuid', 'boolean',
                             'numeric', 'timestamptz', 'jsonb', 'oid', 'name']
    LOOP
        EXECUTE format('CREATE FUNCTION public.hostile_eq(%1$s, %1$s) RETURNS boolean
                        LANGUAGE sql AS $f$ SELECT public.hostile_trap(%2$L) $f$',
                       t, 'operator public.= (' || t || ')');
        EXECUTE format('CREATE OPERATOR public.= (LEFTARG = %1$s, RIGHTARG = %1$s,
                        FUNCTION = public.hostile_eq)', t);
    END LOOP;
END $$;

-- Shadowing tables: in public, real tables of the same shape whose every
-- write traps; in pg_temp, views of the same shape whose every read traps.
DO $$
DECLARE
    r record;
    cols text;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c
              WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('CREATE TABLE public.%I (LIKE experiments.%I)', r.relname, r.relname);
        EXECUTE format('CREATE TRIGGER hostile BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
                        ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION public.hostile_write_trigger()',
                       r.relname);
        EXECUTE format('ALTER TABLE public.%I OWNER TO regress_hostile', r.relname);
        SELECT string_agg(format('NULL::%s AS %I', format_type(a.atttypid, a.atttypmod), a.attname),
                          ', ' ORDER BY a.attnum)
          INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = format('experiments.%I', r.relname)::regclass
           AND a.attnum > 0 AND NOT a.attisdropped;
        EXECUTE format('CREATE TEMP VIEW %I AS SELECT %s FROM public.hostile_rows(%L)',
                       r.relname, cols, 'pg_temp.' || r.relname);
    END LOOP;
END $$;

-- Shadowing functions: common built-ins, and every routine of the extension
-- under the same name and arguments in public.
DO $$
DECLARE
    r record;
BEGIN
    CREATE FUNCTION public.lower(text) RETURNS text
        LANGUAGE sql AS $f$ SELECT public.hostile_trap('public.lower')::text $f$;
    CREATE FUNCTION public.now() RETURNS timestamptz
        LANGUAGE sql AS $f$ SELECT public.hostile_trap('public.now')::text::timestamptz $f$;
    CREATE FUNCTION public.gen_random_uuid() RETURNS uuid
        LANGUAGE sql AS $f$ SELECT public.hostile_trap('public.gen_random_uuid')::text::uuid $f$;
    FOR r IN SELECT p.proname, oidvectortypes(p.proargtypes) AS args
               FROM pg_proc p WHERE p.pronamespace = 'experiments'::regnamespace
                AND p.prokind = 'f'
    LOOP
        EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS SETOF record
                        LANGUAGE sql AS $f$ SELECT public.hostile_trap(%L), NULL::text $f$',
                       r.proname, r.args, 'public.' || r.proname);
    END LOOP;
END $$;

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

-- quota: the plan as a superuser (upsert_plan is an admin routine) ...
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.upsert_plan('HOSTILE', 'Hostile', 10, 3) IS NOT NULL AS plan_upserted;
-- ... the calls as the hostile role
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
CALL experiments.sp_register_user('Hostile@Example.com', 'hostile_user', 'h', 'Hostile', 'HOSTILE');
RESET ROLE;
SELECT id AS hostile_uid FROM experiments.users
 WHERE email OPERATOR(pg_catalog.=) 'hostile@example.com' \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'realtime');
SELECT recording_id AS hostile_rec
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'upload', 'en', '{"k": 1}') \gset
CALL experiments.sp_complete_recording(:'hostile_rec', 61500,
    '[{"idx": 0, "start_ms": 0, "end_ms": 61500, "text": "hostile"}]');
SELECT recording_id AS hostile_rec
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'upload') \gset
-- a bad completion outside a transaction block commits the 'failed' mark
-- inside the call; the session is still the hostile role afterwards
\set VERBOSITY terse
CALL experiments.sp_complete_recording(:'hostile_rec', 1000, '[{"idx": 0}]');
\set VERBOSITY default
SELECT current_user AS still_hostile;
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'upload');
SELECT * FROM experiments.sp_get_user_stats(:'hostile_uid');
CALL experiments.sp_change_user_plan(:'hostile_uid', 'FREE', true, NULL, NULL);
SET client_min_messages = warning;  -- the reset's NOTICE names the month
CALL experiments.sp_reset_monthly_cycles();
RESET client_min_messages;
SELECT * FROM experiments.sp_cleanup_old_recordings(36500, 10);
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT status FROM experiments.recordings
 WHERE user_id OPERATOR(pg_catalog.=) :'hostile_uid'::uuid ORDER BY status;
DELETE FROM experiments.users WHERE email OPERATOR(pg_catalog.=) 'hostile@example.com';
DELETE FROM experiments.plans WHERE code OPERATOR(pg_catalog.=) 'HOSTILE';
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;

-- admin routines, as a superuser with the same hostile path
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
CREATE ROLE regress_hostile_target;
SELECT count(*) AS granted
  FROM experiments.grant_access('regress_hostile_target', ARRAY['quota', 'campaigns'], true);
SELECT count(*) AS revoked FROM experiments.revoke_access('regress_hostile_target');
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

--------------------------------------------------------------------------
-- Afterwards: no shadow table holds a row, and everything is dropped.
--------------------------------------------------------------------------
RESET ROLE;
RESET search_path;
DO $$
DECLARE
    r record;
    n bigint;
BEGIN
    FOR r IN SELECT c.relname FROM pg_class c
              WHERE c.relnamespace = 'experiments'::regnamespace AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('SELECT count(*) FROM public.%I', r.relname) INTO n;
        IF n <> 0 THEN
            RAISE EXCEPTION 'shadow table public.% holds % rows', r.relname, n;
        END IF;
    END LOOP;
END $$;
SELECT count(*) >= 0 AS revoked FROM experiments.revoke_access('regress_hostile');
DROP OWNED BY regress_hostile;
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p
              WHERE p.pronamespace = 'public'::regnamespace
                AND p.proname IN (SELECT proname FROM pg_proc
                                   WHERE pronamespace = 'experiments'::regnamespace)
    LOOP
        EXECUTE format('DROP FUNCTION %s', r.fn);
    END LOOP;
END $$;
DROP FUNCTION public.lower(text), public.now(), public.gen_random_uuid();
SET client_min_messages = warning;  -- the list of dropped views is unordered
DROP FUNCTION public.hostile_rows(text) CASCADE;  -- and the pg_temp views
RESET client_min_messages;
DROP FUNCTION public.hostile_write_trigger(), public.hostile_trap(text);
REVOKE CREATE ON SCHEMA public FROM regress_hostile;
DROP ROLE regress_hostile;
