-- Benchmark data and PL/pgSQL references of the experiments domain (part 1).
-- Loaded once per benchmark cluster by the scenarios' "-- setup:" lines;
-- safe to run again by hand (it starts from scratch).
--
-- Data, made through the extension's own functions:
--   bench-exp          id 1000001, active, 50/50, users u1..u10000 assigned
--   bench-bulk-1..20   ids 1000002..1000021, active, 50/50, users b1..b1000
--                      assigned in all twenty
--   bench_experiments.batches   the record_batch_events arguments (1000, 10000)
--   bench_exp_events_<n>.csv    the same events as CSV in the data directory,
--                               for the COPY floor of the batch scenarios
--
-- The PL/pgSQL references do the work of the C functions: the same tables,
-- the same bucketing (they call the C murmur3_32, the cheapest fair hash a
-- PL/pgSQL version could use), the counter stripe, the outbox row and the
-- NOTIFY.

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_experiments CASCADE;
CREATE SCHEMA bench_experiments;

DELETE FROM experiments.experiments WHERE key LIKE 'bench-%';
-- fixed ids, so that the scenarios can name them: bench-exp is 1000001,
-- bench-bulk-1..20 are 1000002..1000021
SELECT setval('experiments.experiments_id_seq', 1000000, true);

SELECT experiment_id FROM experiments.create_experiment('bench-exp', 'Bench', p_status => 'active',
    p_variants => '[{"key": "control", "allocation_pct": 50}, {"key": "treatment", "allocation_pct": 50}]');
DO $$
BEGIN
    FOR g IN 1..20 LOOP
        PERFORM experiments.create_experiment('bench-bulk-' || g, 'Bulk ' || g, p_status => 'active',
            p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]');
    END LOOP;
END $$;
SELECT id = 1000001 AS fixed_ids FROM experiments.experiments WHERE key = 'bench-exp';

CREATE FUNCTION bench_experiments.exp_id() RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT id FROM experiments.experiments WHERE key = 'bench-exp' $$;
CREATE TABLE bench_experiments.bulk_ids AS
SELECT array_agg(id ORDER BY id) AS ids FROM experiments.experiments WHERE key LIKE 'bench-bulk-%';

-- assignments, committed in small batches (one transaction per batch)
DO $$
DECLARE
    e bigint := bench_experiments.exp_id();
BEGIN
    FOR b IN 0..19 LOOP
        PERFORM experiments.get_or_create_assignment(e, 'u' || g)
           FROM generate_series(b * 500 + 1, b * 500 + 500) g;
        COMMIT;
    END LOOP;
    FOR b IN 0..19 LOOP
        PERFORM experiments.get_bulk_assignments('b' || g, (SELECT ids FROM bench_experiments.bulk_ids), true)
           FROM generate_series(b * 50 + 1, b * 50 + 50) g;
        COMMIT;
    END LOOP;
END $$;

-- the batch arguments and the same events as CSV
CREATE TABLE bench_experiments.batches (n integer PRIMARY KEY, doc jsonb NOT NULL);
INSERT INTO bench_experiments.batches
SELECT n, (SELECT jsonb_agg(jsonb_build_object('experiment_id', bench_experiments.exp_id(),
                                               'user_id', 'u' || (g % 10000 + 1),
                                               'event_type', 'page.view',
                                               'properties', jsonb_build_object('i', g),
                                               'value', g % 7) ORDER BY g)
             FROM generate_series(1, n) g)
  FROM unnest(ARRAY[1000, 10000]) n;

SELECT current_setting('data_directory') AS datadir \gset
SELECT :'datadir' || '/bench_exp_events_1000.csv' AS csv1000,
       :'datadir' || '/bench_exp_events_10000.csv' AS csv10000 \gset
CREATE TABLE bench_experiments.csv_rows AS
SELECT n, g, a.experiment_id, a.user_id, a.id AS assignment_id, a.variant_id,
       'page.view'::text AS event_type, jsonb_build_object('i', g) AS properties, g % 7 AS value
  FROM unnest(ARRAY[1000, 10000]) n, generate_series(1, n) g
  JOIN experiments.assignments a
    ON a.experiment_id = bench_experiments.exp_id() AND a.user_id = 'u' || (g % 10000 + 1);
COPY (SELECT experiment_id, user_id, assignment_id, variant_id, event_type, properties, value
        FROM bench_experiments.csv_rows WHERE n = 1000 ORDER BY g) TO :'csv1000' (FORMAT csv);
COPY (SELECT experiment_id, user_id, assignment_id, variant_id, event_type, properties, value
        FROM bench_experiments.csv_rows WHERE n = 10000 ORDER BY g) TO :'csv10000' (FORMAT csv);

--------------------------------------------------------------------------
-- PL/pgSQL references
--------------------------------------------------------------------------

-- get_or_create_assignment: lookup; on a first call lock the experiment,
-- bucket with murmur3_32, insert, bump the stripe, write the outbox row.
CREATE FUNCTION bench_experiments.get_or_create_assignment(
    p_experiment_id bigint, p_user_id text, p_variant_key text DEFAULT NULL,
    p_enroll boolean DEFAULT false)
RETURNS TABLE (assignment_id bigint, experiment_id bigint, user_id text, variant_id bigint,
               variant_key text, variant_name text, enrolled_at timestamptz,
               created_at timestamptz, is_new boolean)
LANGUAGE plpgsql AS $$
DECLARE
    e record;
    a record;
    v record;
    bucket bigint;
    cum integer := 0;
    chosen record;
BEGIN
    IF p_user_id IS NULL THEN
        RAISE EXCEPTION 'p_user_id must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT x.status, x.version, x.seed INTO e FROM experiments.experiments x WHERE x.id = p_experiment_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'experiment % not found', p_experiment_id USING ERRCODE = 'P0002';
    END IF;
    IF e.status <> 'active' THEN
        RAISE EXCEPTION 'experiment % is not active', p_experiment_id USING ERRCODE = '55000';
    END IF;
    SELECT s.id, s.variant_id, vv.key, vv.name, s.enrolled_at, s.assigned_at INTO a
      FROM experiments.assignments s JOIN experiments.variants vv ON vv.id = s.variant_id
     WHERE s.experiment_id = p_experiment_id AND s.user_id = p_user_id;
    IF FOUND THEN
        RETURN QUERY SELECT a.id, p_experiment_id, p_user_id, a.variant_id, a.key, a.name,
                            a.enrolled_at, a.assigned_at, false;
        RETURN;
    END IF;
    SELECT x.status, x.version, x.seed INTO e FROM experiments.experiments x
     WHERE x.id = p_experiment_id FOR KEY SHARE;
    bucket := experiments.murmur3_32(p_experiment_id || ':' || p_user_id || ':' || e.seed) % 10000;
    FOR v IN SELECT vv.id, vv.key, vv.name, vv.allocation_pct FROM experiments.variants vv
              WHERE vv.experiment_id = p_experiment_id ORDER BY vv.id LOOP
        cum := cum + v.allocation_pct;
        IF bucket < cum * 100 THEN
            chosen := v;
            EXIT;
        END IF;
    END LOOP;
    IF chosen IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO experiments.assignments AS s (experiment_id, user_id, variant_id, version, source)
    VALUES (p_experiment_id, p_user_id, chosen.id, e.version, 'hash')
    ON CONFLICT ON CONSTRAINT assignments_experiment_id_user_id_key DO NOTHING
    RETURNING s.id, s.enrolled_at, s.assigned_at INTO a;
    IF NOT FOUND THEN
        RETURN QUERY SELECT * FROM bench_experiments.get_or_create_assignment(p_experiment_id, p_user_id);
        RETURN;
    END IF;
    INSERT INTO experiments.variant_counters AS c (variant_id, slot, allocations)
    VALUES (chosen.id, (pg_backend_pid() % 16)::smallint, 1)
    ON CONFLICT ON CONSTRAINT variant_counters_pkey DO UPDATE SET allocations = c.allocations + 1;
    INSERT INTO experiments.outbox_events (aggregate_type, aggregate_id, event_type, payload)
    VALUES ('assignment', a.id::text, 'assignment_created',
            jsonb_build_object('assignment_id', a.id, 'experiment_id', p_experiment_id,
                               'user_id', p_user_id, 'variant_key', chosen.key, 'enrolled', p_enroll));
    PERFORM pg_notify('experiments_outbox', '');
    RETURN QUERY SELECT a.id, p_experiment_id, p_user_id, chosen.id, chosen.key, chosen.name,
                        a.enrolled_at, a.assigned_at, true;
END $$;

-- record_event: assignment lookup, the event, its outbox row, the NOTIFY.
CREATE FUNCTION bench_experiments.record_event(
    p_experiment_id bigint, p_user_id text, p_event_type text,
    p_properties jsonb DEFAULT '{}', p_value numeric DEFAULT NULL)
RETURNS TABLE (event_id bigint, assignment_id bigint, variant_key text, created_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    a record;
    ev record;
BEGIN
    IF p_event_type !~ '^[a-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'p_event_type "%" is not a valid event type', p_event_type USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(p_properties) <> 'object' THEN
        RAISE EXCEPTION 'p_properties must be a JSON object' USING ERRCODE = '22023';
    END IF;
    SELECT s.id, s.variant_id, v.key INTO a
      FROM experiments.assignments s JOIN experiments.variants v ON v.id = s.variant_id
     WHERE s.experiment_id = p_experiment_id AND s.user_id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no assignment found for user % in experiment %', p_user_id, p_experiment_id
            USING ERRCODE = 'P0002';
    END IF;
    INSERT INTO experiments.events AS x (experiment_id, user_id, assignment_id, variant_id,
                                         event_type, properties, value)
    VALUES (p_experiment_id, p_user_id, a.id, a.variant_id, p_event_type, p_properties, p_value)
    RETURNING x.id, x.created_at INTO ev;
    INSERT INTO experiments.outbox_events (aggregate_type, aggregate_id, event_type, payload)
    VALUES ('event', ev.id::text, 'event_recorded',
            jsonb_build_object('event_id', ev.id, 'experiment_id', p_experiment_id,
                               'user_id', p_user_id, 'event_type', p_event_type,
                               'variant_key', a.key, 'properties', p_properties, 'value', p_value));
    PERFORM pg_notify('experiments_outbox', '');
    RETURN QUERY SELECT ev.id, a.id, a.key, ev.created_at;
END $$;

VACUUM ANALYZE experiments.experiments, experiments.variants, experiments.assignments,
               experiments.variant_counters;
