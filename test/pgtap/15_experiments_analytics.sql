-- Contracts of the experiments analytics and statistics routines: kind,
-- language, volatility, result columns, privileges, SQLSTATEs.
-- One transaction, rolled back at the end.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(88);

CREATE TEMP TABLE tap_routines (sig text, result text, vol text);
INSERT INTO tap_routines VALUES
  ('experiments.normal_cdf(double precision)', 'double precision', 'i'),
  ('experiments.normal_quantile(double precision)', 'double precision', 'i'),
  ('experiments.student_t_cdf(double precision,double precision)', 'double precision', 'i'),
  ('experiments.student_t_quantile(double precision,double precision)', 'double precision', 'i'),
  ('experiments.chi_square_sf(double precision,double precision)', 'double precision', 'i'),
  ('experiments.mean_test(bigint,double precision,double precision,bigint,double precision,double precision,boolean,double precision,double precision)',
   'TABLE(expected double precision, ci_low double precision, ci_high double precision, p_value double precision, std_error double precision)', 'i'),
  ('experiments.proportion_test(bigint,bigint,bigint,bigint,boolean,double precision,double precision)',
   'TABLE(expected double precision, ci_low double precision, ci_high double precision, p_value double precision, std_error double precision)', 'i'),
  ('experiments.bayes_test(bigint,double precision,double precision,bigint,double precision,double precision,boolean,double precision,double precision,double precision)',
   'TABLE(chance_to_win double precision, expected double precision, ci_low double precision, ci_high double precision)', 'i'),
  ('experiments.srm_p_value(bigint[],double precision[])', 'double precision', 'i'),
  ('experiments.get_experiment_metrics(bigint,timestamp with time zone,timestamp with time zone,text[])',
   'TABLE(variant_id bigint, variant_key text, variant_name text, is_control boolean, unique_users bigint, total_events bigint, conversion_count bigint, conversion_rate numeric, avg_value numeric)', 's'),
  ('experiments.get_daily_metrics(bigint,integer)',
   'TABLE(date date, variant_key text, unique_users bigint, total_events bigint, conversions bigint)', 's'),
  ('experiments.get_funnel_metrics(bigint,text[],boolean)',
   'TABLE(variant_key text, step text, step_order integer, users_reached bigint, conversion_rate numeric)', 's'),
  ('experiments.get_experiment_stats(bigint)',
   'TABLE(total_users bigint, enrolled_users bigint, total_events bigint, avg_events_per_user numeric, days_running integer, status text)', 's'),
  ('experiments.get_variant_stats(bigint)',
   'TABLE(variant_id bigint, variant_key text, total_allocations bigint, total_conversions bigint, conversion_rate numeric)', 's'),
  ('experiments.get_conversion_timeline(bigint,integer)',
   'TABLE(bucket timestamp with time zone, assignments bigint, conversions bigint, conversion_rate double precision)', 's'),
  ('experiments.get_experiment_results(bigint,text,text,double precision,double precision)',
   'TABLE(variant_key text, is_control boolean, users bigint, mean double precision, control_mean double precision, expected double precision, ci_low double precision, ci_high double precision, p_value double precision, chance_to_win double precision, srm_p_value double precision)', 's');

-- 16 routines x 5 checks = 80
SELECT ok(to_regprocedure(sig) IS NOT NULL, sig || ' exists') FROM tap_routines;
SELECT is((SELECT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = to_regprocedure(sig)), 'c', sig || ' is C') FROM tap_routines;
SELECT is((SELECT p.provolatile::text || p.prosecdef::text FROM pg_proc p
            WHERE p.oid = to_regprocedure(sig)), vol || 'false',
          sig || ' volatility, not SECURITY DEFINER') FROM tap_routines;
SELECT is(pg_get_function_result(to_regprocedure(sig)), result, sig || ' result') FROM tap_routines;
SELECT is((SELECT domain || '/' || writes FROM experiments.api_routines r
            WHERE to_regprocedure(r.routine) = to_regprocedure(t.sig)),
          'experiments/false', sig || ' is a read-only experiments routine') FROM tap_routines t;

-- privileges: nothing for PUBLIC or an ungranted role; a read-only grant of
-- the domain is enough for every one of them
CREATE ROLE tap_an_none;
CREATE ROLE tap_an_reader;
SELECT ok(count(*) >= 16, 'read-only grant of the experiments domain')
  FROM experiments.grant_access('tap_an_reader', ARRAY['experiments'], true);
SELECT is((SELECT count(*)::int FROM tap_routines
            WHERE has_function_privilege('tap_an_reader', to_regprocedure(sig), 'EXECUTE')),
          16, 'a read-only experiments grant may call all 16');
SELECT is((SELECT count(*)::int FROM tap_routines
            WHERE has_function_privilege('tap_an_none', to_regprocedure(sig), 'EXECUTE')
               OR has_function_privilege('public', to_regprocedure(sig), 'EXECUTE')),
          0, 'no one else may');
SET ROLE tap_an_none;
SELECT throws_ok($$ SELECT * FROM experiments.get_experiment_results(1) $$, '42501', NULL,
                 'an ungranted role gets 42501');
RESET ROLE;
SET ROLE tap_an_reader;
SELECT lives_ok($$ SELECT * FROM experiments.get_experiment_results(-1) $$,
                'the granted role calls it (unknown experiment: no rows)');
RESET ROLE;

-- SQLSTATEs
SELECT throws_ok($$ SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, 0.6) $$,
                 '22023', 'p_alpha must be greater than 0 and at most 0.5, got 0.6', 'alpha outside (0, 0.5]');
SELECT throws_ok($$ SELECT * FROM experiments.get_funnel_metrics(1, NULL) $$,
                 '22004', 'p_funnel_steps must not be null', 'NULL funnel steps');
SELECT throws_ok($$ SELECT * FROM experiments.get_experiment_results(1, 'x y') $$,
                 '22023', 'unknown metric "x y"', 'unknown metric');

SELECT * FROM finish();
ROLLBACK;
