-- Arms the hostile caller (SPEC section 4); included by every
-- test/sql/hostile_<domain>.sql, which ends with hostile_teardown.sql
-- (pg_regress feeds psql on stdin, so the path is relative to the directory
-- it runs in: the repository root, for both scripts/test and make).
--
-- A role regress_hostile with a hostile search_path, tables shadowing every
-- extension table in pg_temp and public, shadowing "=" operators and
-- functions.  Each shadow object raises "hostile object ... was used" when
-- reached, so any leak fails the call loudly; the results must be exactly
-- the ones of a normal caller.
--
-- Between the two includes, call routines as the hostile role with
--   SET ROLE regress_hostile;
--   SET search_path = pg_temp, public, pg_catalog, experiments;
-- and write projections with no bare operator (use OPERATOR(pg_catalog.=)):
-- the caller's own expressions would meet the shadows, not the routine's.
-- Rows a test leaves in the extension's tables are fine; rows in the
-- public shadow tables fail the teardown.

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
