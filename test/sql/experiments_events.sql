-- Experiments: record_event, record_batch_events, record_conversion,
-- fold_variant_counters, cleanup_old_events.
-- Generated ids and timestamps are never printed.
\set VERBOSITY default
-- experiment ids in messages are this file's own: start its sequence at 4000
SELECT setval('experiments.experiments_id_seq', 4000) AS seq_base \gset

SELECT experiment_id AS exp FROM experiments.create_experiment('ev-signup', 'Signup',
    p_status => 'active',
    p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]') \gset
SELECT count(*) AS assigned
  FROM generate_series(1, 20) g, experiments.get_or_create_assignment(:exp, 'ev-user-' || g);

--------------------------------------------------------------------------
-- record_event
--------------------------------------------------------------------------
SELECT r.assignment_id = a.id AS right_assignment, r.variant_key = v.key AS right_variant,
       r.event_id > 0 AS has_id, r.created_at IS NOT NULL AS has_created_at
  FROM experiments.record_event(:exp, 'ev-user-1', 'page.view:home', '{"path": "/"}', 1.5) r
  JOIN experiments.assignments a ON a.experiment_id = :exp AND a.user_id = 'ev-user-1'
  JOIN experiments.variants v ON v.id = a.variant_id;
SELECT e.event_type, e.properties, e.value, e.variant_id = a.variant_id AS variant_copied,
       e.session_id, e.request_id
  FROM experiments.events e JOIN experiments.assignments a ON a.id = e.assignment_id
 WHERE e.user_id = 'ev-user-1';
-- its outbox row, with the seed's payload
SELECT o.aggregate_type, o.aggregate_id = e.id::text AS aggregate_is_event, o.event_type,
       o.payload - 'event_id' - 'experiment_id' - 'variant_key' AS payload,
       (o.payload->>'event_id')::bigint = e.id AS event_id_ok
  FROM experiments.events e
  JOIN experiments.outbox_events o ON o.event_type = 'event_recorded'
                                  AND (o.payload->>'event_id')::bigint = e.id
 WHERE e.user_id = 'ev-user-1';
-- defaults: properties {} and value NULL; NULL properties count as {}
SELECT count(*) FROM experiments.record_event(:exp, 'ev-user-2', 'click');
SELECT count(*) FROM experiments.record_event(:exp, 'ev-user-2', 'click', NULL);
SELECT properties, value FROM experiments.events WHERE user_id = 'ev-user-2';
-- event types: [a-z0-9_.:-]{1,64}
SELECT count(*) AS accepted
  FROM unnest(ARRAY['a', 'z0-9_.:-', repeat('x', 64), 'checkout.step:2']) t,
       experiments.record_event(:exp, 'ev-user-3', t);
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', 'Click');
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', 'has space');
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', '');
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', repeat('x', 65));
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', 'é');
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', NULL);
-- properties must be an object
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', 'click', '[1, 2]');
SELECT * FROM experiments.record_event(:exp, 'ev-user-3', 'click', '"text"');
-- no assignment, unknown experiment, NULL user
SELECT * FROM experiments.record_event(:exp, 'nobody', 'click');
SELECT * FROM experiments.record_event(-1, 'ev-user-3', 'click');
SELECT * FROM experiments.record_event(:exp, NULL, 'click');
SELECT * FROM experiments.record_event(NULL, 'ev-user-3', 'click');
SELECT count(*) AS user3_events FROM experiments.events WHERE user_id = 'ev-user-3';

--------------------------------------------------------------------------
-- record_batch_events: bad elements are reported with their index and
-- SQLSTATE, the good ones all land with their outbox rows
--------------------------------------------------------------------------
SELECT * FROM experiments.record_batch_events(
  jsonb_build_array(
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-4', 'event_type', 'view',
                       'properties', '{"k": 1}'::jsonb, 'value', 2, 'session_id', 's-1',
                       'request_id', 'r-1'),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'nobody', 'event_type', 'view'),
    '"not an object"'::jsonb,
    jsonb_build_object('user_id', 'ev-user-4', 'event_type', 'view'),
    jsonb_build_object('experiment_id', 'one', 'user_id', 'ev-user-4', 'event_type', 'view'),
    jsonb_build_object('experiment_id', 1.5, 'user_id', 'ev-user-4', 'event_type', 'view'),
    jsonb_build_object('experiment_id', :exp, 'event_type', 'view'),
    jsonb_build_object('experiment_id', :exp, 'user_id', 7, 'event_type', 'view'),
    jsonb_build_object('experiment_id', :exp, 'user_id', ' ', 'event_type', 'view'),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-4'),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-4', 'event_type', 'View'),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-4', 'event_type', 3),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-4', 'event_type', 'view',
                       'properties', '[]'::jsonb),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-4', 'event_type', 'view',
                       'value', 'high'),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-4', 'event_type', 'view',
                       'session_id', 5),
    jsonb_build_object('experiment_id', -1, 'user_id', 'ev-user-4', 'event_type', 'view'),
    jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-5', 'event_type', 'click',
                       'properties', NULL, 'value', NULL)));
SELECT event_type, properties, value, session_id, request_id
  FROM experiments.events WHERE user_id IN ('ev-user-4', 'ev-user-5') ORDER BY id;
SELECT count(*) AS outbox_rows FROM experiments.outbox_events
 WHERE event_type = 'event_recorded' AND payload->>'user_id' IN ('ev-user-4', 'ev-user-5');
SELECT * FROM experiments.record_batch_events('[]');
SELECT * FROM experiments.record_batch_events(NULL);
SELECT * FROM experiments.record_batch_events('{"events": []}');

-- 10 000 events with a few bad elements
SELECT count(*) AS events_before FROM experiments.events \gset
SELECT count(*) AS outbox_before FROM experiments.outbox_events \gset
SELECT success_count, error_count, errors
  FROM experiments.record_batch_events((
    SELECT jsonb_agg(CASE
             WHEN g = 17   THEN jsonb_build_object('experiment_id', :exp, 'user_id', 'nobody', 'event_type', 'view')
             WHEN g = 4242 THEN jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-1', 'event_type', 'BAD')
             WHEN g = 9999 THEN jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-1', 'event_type', 'view',
                                                   'properties', '"x"'::jsonb)
             ELSE jsonb_build_object('experiment_id', :exp, 'user_id', 'ev-user-' || (g % 20 + 1),
                                     'event_type', 'bulk', 'value', g)
           END ORDER BY g)
      FROM generate_series(0, 9999) g));
SELECT count(*) - :events_before AS new_events FROM experiments.events;
SELECT count(*) - :outbox_before AS new_outbox_rows FROM experiments.outbox_events;
-- every bulk event has its outbox row with the right variant, in order
SELECT count(*) AS matched
  FROM experiments.events e
  JOIN experiments.outbox_events o ON o.aggregate_type = 'event' AND o.aggregate_id = e.id::text
  JOIN experiments.variants v ON v.id = e.variant_id
 WHERE e.event_type = 'bulk' AND o.payload->>'variant_key' = v.key
   AND (o.payload->>'value')::numeric = e.value;

--------------------------------------------------------------------------
-- record_conversion: the first counts, later ones change nothing
--------------------------------------------------------------------------
SELECT converted, variant_key = (SELECT v.key FROM experiments.assignments a
                                   JOIN experiments.variants v ON v.id = a.variant_id
                                  WHERE a.experiment_id = :exp AND a.user_id = 'ev-user-1') AS right_variant
  FROM experiments.record_conversion(:exp, 'ev-user-1', 49.90, '{"plan": "pro"}');
SELECT converted FROM experiments.record_conversion(:exp, 'ev-user-1', 99, '{"plan": "max"}');
SELECT converted_at IS NOT NULL AS converted, conversion_value, metadata
  FROM experiments.assignments WHERE experiment_id = :exp AND user_id = 'ev-user-1';
SELECT converted FROM experiments.record_conversion(:exp, 'ev-user-2');
SELECT conversion_value FROM experiments.assignments WHERE experiment_id = :exp AND user_id = 'ev-user-2';
SELECT sum(total_allocations) AS allocations, sum(total_conversions) AS conversions
  FROM experiments.variant_totals WHERE experiment_id = :exp;
SELECT count(*) AS conversion_outbox_rows FROM experiments.outbox_events
 WHERE event_type = 'assignment_converted' AND (payload->>'experiment_id')::bigint = :exp;
SELECT * FROM experiments.record_conversion(:exp, 'nobody');
SELECT * FROM experiments.record_conversion(-1, 'ev-user-1');
SELECT * FROM experiments.record_conversion(:exp, NULL);
SELECT * FROM experiments.record_conversion(:exp, 'ev-user-3', 1, '[]');

--------------------------------------------------------------------------
-- fold_variant_counters: the live totals do not change, the deltas move
--------------------------------------------------------------------------
SELECT variant_key, total_allocations, total_conversions, conversion_rate
  FROM experiments.variant_totals WHERE experiment_id = :exp ORDER BY variant_id;
SELECT experiments.fold_variant_counters(:exp) AS folded;
SELECT count(*) AS deltas_left FROM experiments.variant_counters c
  JOIN experiments.variants v ON v.id = c.variant_id WHERE v.experiment_id = :exp;
SELECT sum(v.total_allocations) AS folded_allocations, sum(v.total_conversions) AS folded_conversions
  FROM experiments.variants v WHERE v.experiment_id = :exp;
SELECT variant_key, total_allocations, total_conversions, conversion_rate
  FROM experiments.variant_totals WHERE experiment_id = :exp ORDER BY variant_id;
SELECT experiments.fold_variant_counters(:exp) AS folded_again;

--------------------------------------------------------------------------
-- cleanup_old_events
--------------------------------------------------------------------------
UPDATE experiments.events SET created_at = now() - interval '100 days' WHERE user_id = 'ev-user-2';
UPDATE experiments.outbox_events SET processed_at = now() - interval '8 days'
 WHERE event_type = 'event_recorded' AND payload->>'user_id' = 'ev-user-2';
UPDATE experiments.outbox_events SET processed_at = now() - interval '6 days'
 WHERE event_type = 'event_recorded' AND payload->>'user_id' = 'ev-user-4';
SELECT * FROM experiments.cleanup_old_events();
SELECT * FROM experiments.cleanup_old_events();
SELECT * FROM experiments.cleanup_old_events(-1);
SELECT * FROM experiments.cleanup_old_events(NULL);
