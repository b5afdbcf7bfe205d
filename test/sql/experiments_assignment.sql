-- Experiments: get_or_create_assignment and get_bulk_assignments.
-- Generated ids and timestamps are never printed.
\set VERBOSITY default
-- experiment ids in messages are this file's own: start its sequence at 1000
SELECT setval('experiments.experiments_id_seq', 1000) AS seq_base \gset

SELECT experiment_id AS exp FROM experiments.create_experiment('asg-home', 'Home page',
    p_status => 'active',
    p_variants => '[{"key": "control", "name": "Old", "allocation_pct": 50},
                    {"key": "treatment", "name": "New", "allocation_pct": 50}]') \gset
SELECT experiment_id AS draft FROM experiments.create_experiment('asg-draft', 'Draft',
    p_variants => '[{"key": "a", "allocation_pct": 100}]') \gset
SELECT experiment_id AS novariants FROM experiments.create_experiment('asg-none', 'No variants',
    p_status => 'active') \gset
SELECT experiment_id AS tiny FROM experiments.create_experiment('asg-tiny', 'Tiny allocation',
    p_status => 'active', p_config => '{"traffic_allocation": 0.01}',
    p_variants => '[{"key": "a", "allocation_pct": 100}]') \gset

--------------------------------------------------------------------------
-- a first assignment, then the same one again
--------------------------------------------------------------------------
SELECT user_id, variant_key, variant_name, enrolled_at IS NULL AS not_enrolled,
       created_at IS NOT NULL AS has_created_at, is_new,
       experiment_id = :exp AS right_experiment
  FROM experiments.get_or_create_assignment(:exp, 'alice');
SELECT user_id, variant_key, is_new FROM experiments.get_or_create_assignment(:exp, 'alice');
-- the variant is the bucketing rule's: murmur3("<id>:alice:asg-home") % 10000 < 5000 -> control
SELECT experiments.murmur3_32(:exp || ':alice:asg-home') % 10000 < 5000 AS rule_says_control,
       (SELECT v.key FROM experiments.assignments a JOIN experiments.variants v ON v.id = a.variant_id
         WHERE a.experiment_id = :exp AND a.user_id = 'alice') = 'control' AS stored_control;
-- stored: version of the experiment, source hash; one outbox row
SELECT a.version, a.source, a.context, a.converted_at IS NULL AS unconverted
  FROM experiments.assignments a WHERE a.experiment_id = :exp AND a.user_id = 'alice';
SELECT event_type, payload - 'assignment_id' AS payload
  FROM experiments.outbox_events
 WHERE event_type LIKE 'assignment_%' AND payload->>'user_id' = 'alice' ORDER BY id;
-- enrol an existing assignment: enrolled_at set once, an outbox row
SELECT variant_key, enrolled_at IS NOT NULL AS enrolled, is_new
  FROM experiments.get_or_create_assignment(:exp, 'alice', p_enroll => true);
SELECT enrolled_at AS first_enrolled FROM experiments.assignments
 WHERE experiment_id = :exp AND user_id = 'alice' \gset
SELECT enrolled_at = :'first_enrolled' AS unchanged
  FROM experiments.get_or_create_assignment(:exp, 'alice', p_enroll => true);
SELECT count(*) AS enrolled_rows FROM experiments.outbox_events
 WHERE event_type = 'assignment_enrolled' AND payload->>'user_id' = 'alice';
-- an override: p_variant_key chooses a new assignment's variant ...
SELECT variant_key, is_new, enrolled_at IS NOT NULL AS enrolled
  FROM experiments.get_or_create_assignment(:exp, 'bob', 'treatment', true);
SELECT source FROM experiments.assignments WHERE experiment_id = :exp AND user_id = 'bob';
-- ... but an existing assignment's stored variant wins
SELECT variant_key, is_new FROM experiments.get_or_create_assignment(:exp, 'bob', 'control');
-- counters: two allocations so far
SELECT variant_key, total_allocations, total_conversions
  FROM experiments.variant_totals WHERE experiment_id = :exp ORDER BY variant_id;

--------------------------------------------------------------------------
-- traffic allocation: a user outside it gets no row and nothing is written
--------------------------------------------------------------------------
SELECT count(*) AS rows_returned
  FROM generate_series(1, 2000) g, experiments.get_or_create_assignment(:tiny, 'tiny-' || g);
SELECT count(*) AS stored FROM experiments.assignments WHERE experiment_id = :tiny;
SELECT count(*) AS expected FROM generate_series(1, 2000) g
 WHERE experiments.murmur3_32(:tiny || ':tiny-' || g || ':asg-tiny') % 10000 < 100;
-- an override assigns even outside the allocation
SELECT variant_key, is_new FROM experiments.get_or_create_assignment(:tiny, 'forced', 'a');

--------------------------------------------------------------------------
-- bad input
--------------------------------------------------------------------------
SELECT * FROM experiments.get_or_create_assignment(-1, 'alice');
SELECT * FROM experiments.get_or_create_assignment(:draft, 'alice');
SELECT * FROM experiments.get_or_create_assignment(:novariants, 'alice');
SELECT * FROM experiments.get_or_create_assignment(:exp, 'carol', 'nope');
SELECT * FROM experiments.get_or_create_assignment(:exp, 'alice', 'nope');
SELECT * FROM experiments.get_or_create_assignment(NULL, 'alice');
SELECT * FROM experiments.get_or_create_assignment(:exp, NULL);
SELECT * FROM experiments.get_or_create_assignment(:exp, '');
SELECT * FROM experiments.get_or_create_assignment(:exp, repeat('u', 256));
SELECT * FROM experiments.get_or_create_assignment(:exp, 'alice', NULL, NULL);
SELECT count(*) AS carol_rows FROM experiments.assignments WHERE user_id = 'carol';
-- a paused experiment refuses even a known user
SELECT success FROM experiments.pause_experiment(:exp);
SELECT * FROM experiments.get_or_create_assignment(:exp, 'alice');
SELECT success FROM experiments.activate_experiment(:exp);
-- a new assignment carries the version at assignment time
SELECT variant_key IS NOT NULL AS assigned FROM experiments.get_or_create_assignment(:exp, 'dave');
SELECT a.version AS dave_version, e.version AS experiment_version
  FROM experiments.assignments a JOIN experiments.experiments e ON e.id = a.experiment_id
 WHERE a.experiment_id = :exp AND a.user_id = 'dave';

--------------------------------------------------------------------------
-- get_bulk_assignments
--------------------------------------------------------------------------
SELECT experiment_id AS exp2 FROM experiments.create_experiment('asg-second', 'Second',
    p_status => 'active', p_config => '{"bucketing": "growthbook"}',
    p_variants => '[{"key": "x", "allocation_pct": 20}, {"key": "y", "allocation_pct": 80}]') \gset
-- without p_create: only existing assignments, in the order asked
SELECT experiment_id = :exp AS is_exp, user_id, variant_key, variant_name,
       enrolled_at IS NOT NULL AS enrolled, is_new
  FROM experiments.get_bulk_assignments('alice', ARRAY[:exp2, :exp, -1]);
-- with p_create: the missing active ones are made (unknown, draft, no-variant
-- and out-of-allocation experiments give no row); duplicates count once
SELECT CASE experiment_id WHEN :exp THEN 'home' WHEN :exp2 THEN 'second' END AS experiment,
       variant_key, is_new
  FROM experiments.get_bulk_assignments('alice',
       ARRAY[:exp2, :exp, :exp2, -1, :draft, :novariants], true);
SELECT CASE experiment_id WHEN :exp THEN 'home' WHEN :exp2 THEN 'second' END AS experiment,
       variant_key, is_new
  FROM experiments.get_bulk_assignments('alice', ARRAY[:exp, :exp2], true);
-- the bulk-made assignment is the GrowthBook rule's: hash("asg-second", "alice") < 0.2 -> x
SELECT CASE WHEN experiments.hash('asg-second', 'alice', 2) < 0.2 THEN 'x' ELSE 'y' END AS rule,
       (SELECT v.key FROM experiments.assignments a JOIN experiments.variants v ON v.id = a.variant_id
         WHERE a.experiment_id = :exp2 AND a.user_id = 'alice') AS stored;
-- and it wrote its outbox row and counter
SELECT count(*) AS outbox_rows FROM experiments.outbox_events
 WHERE event_type = 'assignment_created' AND payload->>'user_id' = 'alice'
   AND (payload->>'experiment_id')::bigint = :exp2;
SELECT sum(total_allocations) AS allocations FROM experiments.variant_totals WHERE experiment_id = :exp2;
SELECT count(*) AS empty FROM experiments.get_bulk_assignments('alice', '{}');
SELECT * FROM experiments.get_bulk_assignments(NULL, ARRAY[1]);
SELECT * FROM experiments.get_bulk_assignments('alice', NULL);
SELECT * FROM experiments.get_bulk_assignments('alice', ARRAY[1, NULL]);
SELECT * FROM experiments.get_bulk_assignments('alice', ARRAY[[1], [2]]);
SELECT * FROM experiments.get_bulk_assignments('alice', ARRAY[1], NULL);
SELECT count(*) FROM experiments.get_bulk_assignments('alice', (SELECT array_agg(g) FROM generate_series(1, 1001) g));
