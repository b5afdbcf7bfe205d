-- The hostile caller (SPEC section 4) against the experiments routines
-- (part 1): every routine is called with a hostile search_path, shadow
-- tables and operators; results are the normal ones and no shadow is used.

\i test/sql/include/hostile_setup.sql

-- Shadows for the daily partitions of events the calls below create (the
-- setup shadowed the tables that existed): today to 7 days ahead (UTC, by
-- cleanup_old_events) and two fixed days (ensure_event_partitions).
DO $$
DECLARE
    n text;
BEGIN
    FOR n IN SELECT 'events_p' || to_char(d, 'YYYYMMDD')
               FROM generate_series((now() AT TIME ZONE 'UTC')::date::timestamp,
                                    (now() AT TIME ZONE 'UTC')::date + 7, interval '1 day') d
             UNION SELECT 'events_p20010101' UNION SELECT 'events_p20010102'
    LOOP
        IF to_regclass(format('public.%I', n)) IS NULL THEN
            EXECUTE format('CREATE TABLE public.%I (LIKE experiments.events)', n);
            EXECUTE format('CREATE TRIGGER hostile BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
                            ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION public.hostile_write_trigger()', n);
            EXECUTE format('ALTER TABLE public.%I OWNER TO regress_hostile', n);
        END IF;
    END LOOP;
END $$;

SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;

SELECT experiment_key, experiment_status, experiment_version
  FROM experiments.create_experiment('hostile-exp', 'Hostile', 'd', 'draft', NULL, NULL,
       '{"bucketing": "mmh3"}',
       '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]');
SELECT experiment_id AS hexp FROM experiments.create_experiment('hostile-gb', 'Hostile GB',
       p_status => 'active', p_config => '{"bucketing": "growthbook", "traffic_allocation": 1}',
       p_variants => '[{"key": "x", "allocation_pct": 30}, {"key": "y", "allocation_pct": 70}]') \gset
SELECT experiment_key, experiment_status,
       pg_catalog.jsonb_array_length(variants) AS variant_count
  FROM experiments.get_experiment_with_variants(:hexp);
SELECT success, message FROM experiments.activate_experiment(:hexp);
SELECT success, message FROM experiments.pause_experiment(:hexp);
SELECT success, message FROM experiments.activate_experiment(:hexp);
SELECT experiment_key, variant_count FROM experiments.list_active_experiments(1000)
 WHERE experiment_key OPERATOR(pg_catalog.=) 'hostile-gb';

-- assignment: the GrowthBook rule, whatever the shadows
SELECT user_id, variant_key, is_new FROM experiments.get_or_create_assignment(:hexp, 'h-user');
SELECT user_id, variant_key, is_new FROM experiments.get_or_create_assignment(:hexp, 'h-user', NULL, true);
SELECT variant_key, is_new FROM experiments.get_or_create_assignment(:hexp, 'h-forced', 'y');
SELECT variant_key, is_new FROM experiments.get_bulk_assignments('h-user2', ARRAY[:hexp]::bigint[], true);
SELECT pg_catalog.float8lt(experiments.hash('hostile-gb', 'h-user', 2), 0.3) AS rule_says_x;
SELECT experiments.murmur3_32('hostile') AS murmur;

-- events, batches, conversions
SELECT variant_key FROM experiments.record_event(:hexp, 'h-user', 'click', '{"k": 1}', 2);
SELECT success_count, error_count FROM experiments.record_batch_events(
       pg_catalog.jsonb_build_array(
           pg_catalog.jsonb_build_object('experiment_id', :hexp, 'user_id', 'h-user', 'event_type', 'view'),
           pg_catalog.jsonb_build_object('experiment_id', :hexp, 'user_id', 'h-nobody', 'event_type', 'view')));
SELECT converted, variant_key FROM experiments.record_conversion(:hexp, 'h-user', 5);
SELECT converted FROM experiments.record_conversion(:hexp, 'h-user', 5);
SELECT experiments.fold_variant_counters(:hexp) AS folded;
SELECT deleted_events, deleted_outbox FROM experiments.cleanup_old_events(36500);
-- the partitions: created by the owner, named and bounded as the extension says
SELECT experiments.ensure_event_partitions('2001-01-01', '2001-01-02') AS created;
SELECT experiments.ensure_event_partitions('2001-01-01', '2001-01-02') AS created_again;
SELECT c.relname, pg_catalog.pg_get_userbyid(c.relowner) OPERATOR(pg_catalog.=)
       pg_catalog.pg_get_userbyid(e.extowner) AS owned_by_extension_owner,
       pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM pg_catalog.pg_class c, pg_catalog.pg_extension e
 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'experiments'::regnamespace
   AND c.relname OPERATOR(pg_catalog.~) '^events_p2001' AND c.relkind OPERATOR(pg_catalog.=) 'r'
   AND e.extname OPERATOR(pg_catalog.=) 'experiments'
 ORDER BY 1;

-- the relay
SELECT event_type FROM experiments.claim_outbox_events(10000, 60)
 WHERE aggregate_type OPERATOR(pg_catalog.=) 'experiment' LIMIT 0;
SELECT pg_catalog.int4ge(experiments.ack_outbox_events(ARRAY[-1]::bigint[]), 0) AS acked;

-- leads
SELECT is_new FROM experiments.capture_lead('Hostile@Example.com', 'hostile');
SELECT is_new FROM experiments.capture_lead('hostile@example.com');
SELECT email, status FROM experiments.claim_leads('waitlist', 1000)
 WHERE email OPERATOR(pg_catalog.=) 'hostile@example.com';
SELECT experiments.set_lead_status(lead_id, 'invited') AS changed
  FROM experiments.capture_lead('hostile@example.com');
SELECT success, message FROM experiments.complete_experiment(:hexp);

-- the rows are where they belong, seen as the owner
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT a.user_id, v.key AS variant_key, a.enrolled_at IS NOT NULL AS enrolled,
       a.converted_at IS NOT NULL AS converted
  FROM experiments.assignments a JOIN experiments.variants v ON v.id OPERATOR(pg_catalog.=) a.variant_id
 WHERE a.experiment_id OPERATOR(pg_catalog.=) :hexp ORDER BY a.user_id COLLATE "C";
SELECT pg_catalog.count(*) AS events FROM experiments.events
 WHERE experiment_id OPERATOR(pg_catalog.=) :hexp;
DELETE FROM experiments.outbox_events
 WHERE payload OPERATOR(pg_catalog.->>) 'experiment_id' OPERATOR(pg_catalog.=) :'hexp';
DELETE FROM experiments.events WHERE experiment_id OPERATOR(pg_catalog.=) :hexp;
DELETE FROM experiments.experiments WHERE key OPERATOR(pg_catalog.~~) 'hostile-%';
DELETE FROM experiments.leads WHERE email OPERATOR(pg_catalog.=) 'hostile@example.com';

RESET ROLE;
RESET search_path;
DROP TABLE experiments.events_p20010101, experiments.events_p20010102;

\i test/sql/include/hostile_teardown.sql
