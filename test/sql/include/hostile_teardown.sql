-- Disarms the hostile caller armed by hostile_setup.sql: checks that no
-- shadow table holds a row, then drops every shadow object and the role.

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
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'integer', 'bigint', 'uuid', 'boolean',
                             'numeric', 'timestamptz', 'jsonb', 'oid', 'name']
    LOOP
        EXECUTE format('DROP OPERATOR public.= (%1$s, %1$s)', t);
        EXECUTE format('DROP FUNCTION public.hostile_eq(%1$s, %1$s)', t);
    END LOOP;
END $$;
DROP FUNCTION public.hostile_write_trigger(), public.hostile_trap(text);
REVOKE CREATE ON SCHEMA public FROM regress_hostile;
DROP ROLE regress_hostile;
