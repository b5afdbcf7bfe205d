--------------------------------------------------------------------------
-- Experiments domain, part 2: analytics over the tables of
-- 100_experiments_tables.sql, and the decision call.  C in
-- src/experiments/analytics.c; see docs/reference/experiments-analytics.md.
--
-- All read only one experiment's rows, in the caller's snapshot (STABLE).
-- An unknown experiment gives no rows.
--------------------------------------------------------------------------

-- get_conversion_timeline() reads an experiment's recent assignments by
-- time; with converted_at included the hourly counts come from the index
-- alone.  (The tables' BRIN index on assigned_at covers all experiments.)
CREATE INDEX assignments_experiment_assigned_at_idx
    ON experiments.assignments (experiment_id, assigned_at) INCLUDE (converted_at);

CREATE FUNCTION experiments.get_experiment_metrics(
    p_experiment_id bigint,
    p_start_date    timestamptz DEFAULT NULL,
    p_end_date      timestamptz DEFAULT NULL,
    p_event_types   text[]      DEFAULT NULL)
RETURNS TABLE (variant_id bigint, variant_key text, variant_name text, is_control boolean,
               unique_users bigint, total_events bigint, conversion_count bigint,
               conversion_rate numeric, avg_value numeric)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_experiment_metrics';
COMMENT ON FUNCTION experiments.get_experiment_metrics(bigint, timestamptz, timestamptz, text[]) IS
    'experiments analytics: per variant, users with events, events, conversion events, rate in percent, mean value (seed 000)';

CREATE FUNCTION experiments.get_daily_metrics(p_experiment_id bigint, p_days integer DEFAULT 7)
RETURNS TABLE (date date, variant_key text, unique_users bigint, total_events bigint,
               conversions bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_daily_metrics';
COMMENT ON FUNCTION experiments.get_daily_metrics(bigint, integer) IS
    'experiments analytics: per day (session time zone) and variant since CURRENT_DATE - p_days, newest first (seed 000)';

CREATE FUNCTION experiments.get_funnel_metrics(
    p_experiment_id bigint,
    p_funnel_steps  text[],
    p_ordered       boolean DEFAULT false)
RETURNS TABLE (variant_key text, step text, step_order integer, users_reached bigint,
               conversion_rate numeric)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_funnel_metrics';
COMMENT ON FUNCTION experiments.get_funnel_metrics(bigint, text[], boolean) IS
    'experiments analytics: users reaching each funnel step per variant; ordered: only after the earlier steps, in time order';

CREATE FUNCTION experiments.get_experiment_stats(p_experiment_id bigint)
RETURNS TABLE (total_users bigint, enrolled_users bigint, total_events bigint,
               avg_events_per_user numeric, days_running integer, status text)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_experiment_stats';
COMMENT ON FUNCTION experiments.get_experiment_stats(bigint) IS
    'experiments analytics: assigned and enrolled users, events, events per user, days since the first event, status (seed 000)';

CREATE FUNCTION experiments.get_variant_stats(p_experiment_id bigint)
RETURNS TABLE (variant_id bigint, variant_key text, total_allocations bigint,
               total_conversions bigint, conversion_rate numeric)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_variant_stats';
COMMENT ON FUNCTION experiments.get_variant_stats(bigint) IS
    'experiments analytics: the maintained per-variant counters, O(variants) (seed 003)';

CREATE FUNCTION experiments.get_conversion_timeline(p_experiment_id bigint, p_hours integer DEFAULT 24)
RETURNS TABLE (bucket timestamptz, assignments bigint, conversions bigint,
               conversion_rate double precision)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_conversion_timeline';
COMMENT ON FUNCTION experiments.get_conversion_timeline(bigint, integer) IS
    'experiments analytics: hourly assignments and conversions of the last p_hours, newest first (seed 003)';

CREATE FUNCTION experiments.get_experiment_results(
    p_experiment_id     bigint,
    p_metric            text             DEFAULT 'conversion',
    p_engine            text             DEFAULT 'frequentist',
    p_alpha             double precision DEFAULT 0.05,
    p_sequential_tuning double precision DEFAULT NULL)
RETURNS TABLE (variant_key text, is_control boolean, users bigint, mean double precision,
               control_mean double precision, expected double precision,
               ci_low double precision, ci_high double precision, p_value double precision,
               chance_to_win double precision, srm_p_value double precision)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_experiment_results';
COMMENT ON FUNCTION experiments.get_experiment_results(bigint, text, text, double precision, double precision) IS
    'experiments statistics: every treatment against the control on one metric, with the SRM check: the decision call';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.get_experiment_metrics(bigint, timestamp with time zone, timestamp with time zone, text[])',
     'experiments', false),
    ('experiments.get_daily_metrics(bigint, integer)',                        'experiments', false),
    ('experiments.get_funnel_metrics(bigint, text[], boolean)',               'experiments', false),
    ('experiments.get_experiment_stats(bigint)',                              'experiments', false),
    ('experiments.get_variant_stats(bigint)',                                 'experiments', false),
    ('experiments.get_conversion_timeline(bigint, integer)',                  'experiments', false),
    ('experiments.get_experiment_results(bigint, text, text, double precision, double precision)',
     'experiments', false);
