-- Experiments demo: a landing-page test with a control and two treatments,
-- a pricing test bucketed the GrowthBook way, visitors assigned and
-- converting, events through the outbox, and a few leads.  The calls run as
-- demo_app (granted every domain by 00_access.sql), as an application would
-- make them.
--
-- Try, as demo_app:
--   SELECT * FROM experiments.list_active_experiments();
--   SELECT * FROM experiments.get_or_create_assignment(<id>, 'visitor-42');
--   SELECT * FROM experiments.claim_outbox_events(10);       -- a relay's claim
--   LISTEN experiments_outbox;                                -- and its wake-up
\set ON_ERROR_STOP on

-- idempotent: a re-run starts from scratch
DELETE FROM experiments.outbox_events
 WHERE payload->>'experiment_id' IN (SELECT id::text FROM experiments.experiments WHERE key LIKE 'demo-%');
DELETE FROM experiments.events
 WHERE experiment_id IN (SELECT id FROM experiments.experiments WHERE key LIKE 'demo-%');
DELETE FROM experiments.experiments WHERE key LIKE 'demo-%';
DELETE FROM experiments.leads WHERE email LIKE '%@demo.example.com';

SET ROLE demo_app;
SELECT experiment_id AS hero FROM experiments.create_experiment(
    'demo-hero', 'Landing page hero', 'Which headline converts best?', 'draft', NULL, NULL,
    '{"bucketing": "mmh3"}',
    '[{"key": "control",  "name": "Ship faster",         "allocation_pct": 34, "is_control": true},
      {"key": "benefit",  "name": "Save 3 hours a week", "allocation_pct": 33},
      {"key": "social",   "name": "Loved by 10k teams",  "allocation_pct": 33}]') \gset
SELECT experiment_id AS pricing FROM experiments.create_experiment(
    'demo-pricing', 'Pricing page', 'Annual toggle on by default?', 'draft', NULL, NULL,
    '{"bucketing": "growthbook", "traffic_allocation": 0.5}',
    '[{"key": "monthly", "allocation_pct": 50}, {"key": "annual", "allocation_pct": 50}]') \gset
SELECT success, message, new_version FROM experiments.activate_experiment(:hero);
SELECT success, message, new_version FROM experiments.activate_experiment(:pricing);

-- 300 visitors see the hero; every fifth also sees the pricing page
-- (half of them are in the pricing test's 50 % allocation)
SELECT v.variant_key, count(*) AS visitors
  FROM generate_series(1, 300) g,
       LATERAL experiments.get_or_create_assignment(:hero, 'visitor-' || g) v
 GROUP BY v.variant_key ORDER BY v.variant_key;
SELECT count(*) AS pricing_assignments
  FROM generate_series(5, 300, 5) g,
       LATERAL experiments.get_bulk_assignments('visitor-' || g, ARRAY[:pricing]::bigint[], true) b;

-- they browse: one batch of page views and clicks
SELECT success_count, error_count FROM experiments.record_batch_events((
    SELECT jsonb_agg(jsonb_build_object('experiment_id', :hero, 'user_id', 'visitor-' || g,
                                        'event_type', CASE WHEN g % 3 = 0 THEN 'cta.click' ELSE 'page.view' END,
                                        'properties', jsonb_build_object('path', '/'))
                     ORDER BY g)
      FROM generate_series(1, 300) g));

-- some of them sign up (the first conversion of each counts)
SELECT count(*) FILTER (WHERE c.converted) AS conversions
  FROM generate_series(1, 300) g,
       LATERAL experiments.record_conversion(:hero, 'visitor-' || g, 29)  c
 WHERE (SELECT variant_key FROM experiments.get_or_create_assignment(:hero, 'visitor-' || g))
       = CASE WHEN g % 9 = 0 THEN 'control' WHEN g % 8 = 0 THEN 'benefit' WHEN g % 6 = 0 THEN 'social' END;

-- the landing page's waitlist
SELECT lead_id IS NOT NULL AS captured, is_new
  FROM unnest(ARRAY['Ada@Demo.Example.com', 'grace@demo.example.com', 'linus@demo.example.com',
                    'ada@demo.example.com']) e,
       LATERAL experiments.capture_lead(e, 'landing', 'social');
RESET ROLE;

-- what an analyst sees (as the superuser)
SELECT variant_key, total_allocations, total_conversions, conversion_rate
  FROM experiments.variant_totals WHERE experiment_id = :hero ORDER BY variant_id;
SELECT event_type, count(*) AS pending
  FROM experiments.outbox_events
 WHERE processed_at IS NULL AND payload->>'experiment_id' IN (:'hero', :'pricing')
 GROUP BY event_type ORDER BY event_type;
