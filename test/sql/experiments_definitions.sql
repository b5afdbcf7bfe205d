-- Experiments: definitions (create, read, list) and status changes.
-- Generated ids and timestamps are never printed.
\set VERBOSITY default
-- experiment ids in messages are this file's own: start its sequence at 3000
SELECT setval('experiments.experiments_id_seq', 3000) AS seq_base \gset

--------------------------------------------------------------------------
-- create_experiment
--------------------------------------------------------------------------
SELECT experiment_key, experiment_name, experiment_status, experiment_version,
       experiment_id > 0 AS has_id, created_at IS NOT NULL AS has_created_at
  FROM experiments.create_experiment('def-checkout', 'Checkout button', 'Green or blue?',
       p_variants => '[{"key": "control", "name": "Blue", "allocation_pct": 50},
                       {"key": "green", "name": "Green", "allocation_pct": 50,
                        "config": {"color": "#0f0"}, "description": "the new one"}]');
SELECT id AS checkout FROM experiments.experiments WHERE key = 'def-checkout' \gset
-- the stored row: seed = key, config {}, traffic 1, version 1, draft
SELECT key, name, description, status, seed, version, config, traffic_allocation,
       starts_at IS NULL AS no_start, ends_at IS NULL AS no_end
  FROM experiments.experiments WHERE id = :checkout;
SELECT key, name, description, allocation_pct, is_control, config,
       total_allocations, total_conversions, conversion_rate
  FROM experiments.variants WHERE experiment_id = :checkout ORDER BY id;
-- get_experiment_with_variants: variants in id order, the seed's keys
SELECT experiment_key, experiment_name, experiment_status, experiment_version,
       jsonb_path_query_array(variants, '$[*].key') AS keys,
       jsonb_path_query_array(variants, '$[*].allocation_pct') AS pcts,
       jsonb_path_query_array(variants, '$[*].is_control') AS controls,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(variants->0) k) AS variant_keys
  FROM experiments.get_experiment_with_variants(:checkout);
-- unknown id: no row; NULL id: 22004
SELECT count(*) AS unknown_rows FROM experiments.get_experiment_with_variants(-1);
SELECT * FROM experiments.get_experiment_with_variants(NULL);

-- no variants: [] ; the config names a seed, GrowthBook bucketing, traffic
SELECT experiment_status, experiment_version
  FROM experiments.create_experiment('def-empty', 'Empty', p_status => 'paused',
       p_config => '{"seed": "s-1", "bucketing": "growthbook", "traffic_allocation": 0.25}');
SELECT e.seed, e.traffic_allocation, e.config->>'bucketing' AS bucketing, g.variants
  FROM experiments.experiments e, experiments.get_experiment_with_variants(e.id) g
 WHERE e.key = 'def-empty';
-- no weights at all: an equal split, the remainder to the first variants;
-- no control marked: the first is the control
SELECT experiment_key FROM experiments.create_experiment('def-three', 'Three',
       p_variants => '[{"key": "x"}, {"key": "y"}, {"key": "z"}]');
SELECT v.key, v.allocation_pct, v.is_control
  FROM experiments.variants v JOIN experiments.experiments e ON e.id = v.experiment_id
 WHERE e.key = 'def-three' ORDER BY v.id;
-- a marked control is kept
SELECT experiment_key FROM experiments.create_experiment('def-ctl', 'Control second',
       p_variants => '[{"key": "x", "allocation_pct": 30}, {"key": "y", "allocation_pct": 70, "is_control": true}]');
SELECT v.key, v.is_control
  FROM experiments.variants v JOIN experiments.experiments e ON e.id = v.experiment_id
 WHERE e.key = 'def-ctl' ORDER BY v.id;
-- once weights are given, a variant without one has 0 (and gets nobody)
SELECT experiment_key FROM experiments.create_experiment('def-zero', 'Zero',
       p_variants => '[{"key": "a", "allocation_pct": 100}, {"key": "b"}]');
SELECT v.key, v.allocation_pct
  FROM experiments.variants v JOIN experiments.experiments e ON e.id = v.experiment_id
 WHERE e.key = 'def-zero' ORDER BY v.id;

-- bad input: nothing is written
SELECT count(*) AS experiments_before FROM experiments.experiments \gset
SELECT * FROM experiments.create_experiment('def-checkout', 'Again');
SELECT * FROM experiments.create_experiment(NULL, 'x');
SELECT * FROM experiments.create_experiment('  ', 'x');
SELECT * FROM experiments.create_experiment('k', NULL);
SELECT * FROM experiments.create_experiment(repeat('k', 256), 'x');
SELECT * FROM experiments.create_experiment('k', 'x', p_status => 'running');
SELECT * FROM experiments.create_experiment('k', 'x', p_status => NULL);
SELECT * FROM experiments.create_experiment('k', 'x', p_starts_at => '2030-01-02', p_ends_at => '2030-01-01');
SELECT * FROM experiments.create_experiment('k', 'x', p_config => '[]');
SELECT * FROM experiments.create_experiment('k', 'x', p_config => '{"bucketing": "md5"}');
SELECT * FROM experiments.create_experiment('k', 'x', p_config => '{"traffic_allocation": 0}');
SELECT * FROM experiments.create_experiment('k', 'x', p_config => '{"traffic_allocation": 1.5}');
SELECT * FROM experiments.create_experiment('k', 'x', p_config => '{"traffic_allocation": "all"}');
SELECT * FROM experiments.create_experiment('k', 'x', p_config => '{"seed": ""}');
SELECT * FROM experiments.create_experiment('k', 'x', p_variants => '{}');
SELECT * FROM experiments.create_experiment('k', 'x', p_variants => '[1]');
SELECT * FROM experiments.create_experiment('k', 'x', p_variants => '[{"name": "no key"}]');
-- allocations not summing to 100
SELECT * FROM experiments.create_experiment('k', 'x',
    p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 40}]');
SELECT * FROM experiments.create_experiment('k', 'x',
    p_variants => '[{"key": "a", "allocation_pct": 60}, {"key": "b", "allocation_pct": 50}]');
SELECT * FROM experiments.create_experiment('k', 'x',
    p_variants => '[{"key": "a", "allocation_pct": 101}]');
SELECT * FROM experiments.create_experiment('k', 'x',
    p_variants => '[{"key": "a", "allocation_pct": 50.5}, {"key": "b", "allocation_pct": 49.5}]');
-- duplicate variant keys, two controls
SELECT * FROM experiments.create_experiment('k', 'x',
    p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "a", "allocation_pct": 50}]');
SELECT * FROM experiments.create_experiment('k', 'x',
    p_variants => '[{"key": "a", "allocation_pct": 50, "is_control": true},
                    {"key": "b", "allocation_pct": 50, "is_control": true}]');
SELECT * FROM experiments.create_experiment('k', 'x',
    p_variants => '[{"key": "a", "allocation_pct": 100, "config": []}]');
SELECT count(*) = :experiments_before AS nothing_written FROM experiments.experiments;

--------------------------------------------------------------------------
-- status changes: the seed's messages; version bumps on each change
--------------------------------------------------------------------------
SELECT * FROM experiments.activate_experiment(:checkout);
SELECT starts_at IS NOT NULL AS started FROM experiments.experiments WHERE id = :checkout;
SELECT * FROM experiments.activate_experiment(:checkout);
SELECT * FROM experiments.pause_experiment(:checkout);
SELECT * FROM experiments.pause_experiment(:checkout);
SELECT * FROM experiments.activate_experiment(:checkout);
SELECT * FROM experiments.complete_experiment(:checkout);
SELECT status, version, ends_at IS NOT NULL AS ended FROM experiments.experiments WHERE id = :checkout;
SELECT * FROM experiments.complete_experiment(:checkout);
SELECT * FROM experiments.activate_experiment(:checkout);
SELECT * FROM experiments.pause_experiment(:checkout);
SELECT * FROM experiments.activate_experiment(-1);
SELECT * FROM experiments.pause_experiment(-1);
SELECT * FROM experiments.complete_experiment(-1);
SELECT * FROM experiments.activate_experiment(NULL);
-- a draft cannot be paused; a window that has ended cannot be activated
SELECT p.* FROM experiments.experiments e, experiments.pause_experiment(e.id) p
 WHERE e.key = 'def-three';
SELECT a.* FROM experiments.create_experiment('def-past', 'Past',
       p_starts_at => now() - interval '2 days', p_ends_at => now() - interval '1 day') c,
       experiments.activate_experiment(c.experiment_id) a;
-- each change wrote an outbox row
SELECT event_type, payload->>'status' AS status, (payload->>'version')::int AS version
  FROM experiments.outbox_events
 WHERE aggregate_type = 'experiment' AND aggregate_id = :'checkout' ORDER BY id;

--------------------------------------------------------------------------
-- list_active_experiments: active, inside the window, newest first
--------------------------------------------------------------------------
SELECT c.experiment_key FROM experiments.create_experiment('def-list-1', 'L1', p_status => 'active',
       p_variants => '[{"key": "a", "allocation_pct": 100}]') c;
SELECT c.experiment_key FROM experiments.create_experiment('def-list-2', 'L2', p_status => 'active',
       p_variants => '[{"key": "a", "allocation_pct": 40}, {"key": "b", "allocation_pct": 60}]') c;
SELECT c.experiment_key FROM experiments.create_experiment('def-list-future', 'Later', p_status => 'active',
       p_starts_at => now() + interval '1 day') c;
SELECT c.experiment_key FROM experiments.create_experiment('def-list-over', 'Over', p_status => 'active',
       p_starts_at => now() - interval '2 days', p_ends_at => now() - interval '1 day') c;
SELECT experiment_key, experiment_status, variant_count
  FROM experiments.list_active_experiments() WHERE experiment_key LIKE 'def-list-%';
SELECT experiment_key FROM experiments.list_active_experiments(1) WHERE experiment_key LIKE 'def-list-%';
SELECT count(*) AS none FROM experiments.list_active_experiments(0);
SELECT * FROM experiments.list_active_experiments(-1);
SELECT * FROM experiments.list_active_experiments(10001);
SELECT * FROM experiments.list_active_experiments(10, -1);
SELECT * FROM experiments.list_active_experiments(NULL);
