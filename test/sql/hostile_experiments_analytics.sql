-- The hostile caller (SPEC section 4) against the analytics and statistics
-- routines: every one is called as regress_hostile with a hostile
-- search_path and shadow objects in place; the results are those of a
-- normal caller (worked out in the comments).

\i test/sql/include/hostile_setup.sql

-- a small experiment, written by the owner with a clean path:
-- control u1 (pageview, click, conversion 20), u2 (pageview); treatment u3 (pageview)
SET search_path = pg_catalog;
SET TimeZone = 'UTC';
INSERT INTO experiments.experiments (key, name, status, seed)
VALUES ('hostile-analytics', 'Hostile', 'active', 'h') RETURNING id AS hx \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control,
                                  total_allocations, total_conversions)
VALUES (:hx, 'control', 'Control', 50, true, 2, 1) RETURNING id AS hc \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control,
                                  total_allocations, total_conversions)
VALUES (:hx, 'treatment', 'Treatment', 50, false, 1, 0) RETURNING id AS ht \gset
INSERT INTO experiments.assignments (experiment_id, user_id, variant_id, version, assigned_at, converted_at)
VALUES (:hx, 'u1', :hc, 1, date_trunc('hour', now()), now()),
       (:hx, 'u2', :hc, 1, date_trunc('hour', now()), NULL),
       (:hx, 'u3', :ht, 1, date_trunc('hour', now()), NULL);
INSERT INTO experiments.events (experiment_id, user_id, variant_id, event_type, value, created_at)
VALUES (:hx, 'u1', :hc, 'pageview', NULL, CURRENT_DATE - 1 + time '09:00'),
       (:hx, 'u1', :hc, 'click', NULL, CURRENT_DATE - 1 + time '09:01'),
       (:hx, 'u1', :hc, 'conversion', 20, CURRENT_DATE - 1 + time '09:02'),
       (:hx, 'u2', :hc, 'pageview', NULL, CURRENT_DATE - 1 + time '10:00'),
       (:hx, 'u3', :ht, 'pageview', NULL, CURRENT_DATE - 1 + time '11:00');

SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

-- control: 2 users with events, 4 events, 1 conversion, 50 %, value 20; treatment 1, 1, 0
SELECT variant_key, unique_users, total_events, conversion_count, conversion_rate, avg_value
  FROM experiments.get_experiment_metrics(:hx, NULL, NULL, NULL);
SELECT variant_key, unique_users, total_events
  FROM experiments.get_experiment_metrics(:hx, CURRENT_DATE - 1, CURRENT_DATE, ARRAY['pageview']);
SELECT variant_key, unique_users, total_events, conversions
  FROM experiments.get_daily_metrics(:hx, 7);
-- per-step: control 2, 1, 1; ordered the same (u1 in order); treatment 1, 0, 0
SELECT * FROM experiments.get_funnel_metrics(:hx, ARRAY['pageview', 'click', 'conversion']);
SELECT * FROM experiments.get_funnel_metrics(:hx, ARRAY['pageview', 'click', 'conversion'], true);
SELECT total_users, enrolled_users, total_events, avg_events_per_user, days_running, status
  FROM experiments.get_experiment_stats(:hx);
SELECT variant_key, total_allocations, total_conversions, conversion_rate
  FROM experiments.get_variant_stats(:hx);
SELECT assignments, conversions, conversion_rate
  FROM experiments.get_conversion_timeline(:hx, 24);
SELECT variant_key, is_control, users, mean, control_mean, expected
  FROM experiments.get_experiment_results(:hx, 'conversion', 'frequentist', 0.05, NULL);
SELECT variant_key, users FROM experiments.get_experiment_results(:hx, 'pageview', 'bayesian', 0.05, NULL);
SELECT variant_key, users FROM experiments.get_experiment_results(:hx, 'value', 'sequential', 0.05, 5000);
-- the pure functions
SELECT round(experiments.normal_cdf(1.96)::numeric, 9) AS phi,
       round(experiments.normal_quantile(0.975)::numeric, 9) AS z,
       round(experiments.student_t_cdf(2.0, 10)::numeric, 9) AS t_cdf,
       round(experiments.student_t_quantile(0.975, 10)::numeric, 9) AS t_q,
       round(experiments.chi_square_sf(3.84, 1)::numeric, 9) AS chi;
SELECT round(expected::numeric, 6) AS expected, round(p_value::numeric, 6) AS p_value
  FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, true, 0.05, NULL);
SELECT round(expected::numeric, 6) AS expected, round(p_value::numeric, 6) AS p_value
  FROM experiments.proportion_test(10000, 1000, 10000, 1100, true, 0.05, NULL);
SELECT round(chance_to_win::numeric, 6) AS chance_to_win
  FROM experiments.bayes_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, true, 0.05, 0, NULL);
SELECT experiments.srm_p_value(ARRAY[4500, 5500]::bigint[], ARRAY[0.5, 0.5]::float8[])
       OPERATOR(pg_catalog.<) 0.001 AS srm_flagged;

RESET ROLE;
SET search_path = pg_catalog;
DELETE FROM experiments.experiments WHERE id = :hx;
RESET search_path;

\i test/sql/include/hostile_teardown.sql
