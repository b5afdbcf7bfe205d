--------------------------------------------------------------------------
-- Experiments domain, part 2: the statistics a product team decides on.
-- Pure functions (no table): the distributions they rest on, and the tests
-- of GrowthBook's published engine (reference peers.md section 1.3) over
-- per-arm sufficient statistics.  C in src/experiments/dist.c and stats.c;
-- see docs/reference/experiments-analytics.md.
--
-- Every required argument that is NULL raises 22004; out-of-range values
-- raise 22023.  Degenerate data (n <= 1, zero variance, a zero control mean
-- for a relative test) gives NULL statistics, never NaN.
--------------------------------------------------------------------------

CREATE FUNCTION experiments.normal_cdf(p_x double precision)
RETURNS double precision
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_normal_cdf';
COMMENT ON FUNCTION experiments.normal_cdf(double precision) IS
    'experiments statistics: P(Z <= p_x) for a standard normal Z';

CREATE FUNCTION experiments.normal_quantile(p_p double precision)
RETURNS double precision
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_normal_quantile';
COMMENT ON FUNCTION experiments.normal_quantile(double precision) IS
    'experiments statistics: x with P(Z <= x) = p_p (standard normal; -/+Infinity at 0 and 1)';

CREATE FUNCTION experiments.student_t_cdf(p_t double precision, p_df double precision)
RETURNS double precision
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_student_t_cdf';
COMMENT ON FUNCTION experiments.student_t_cdf(double precision, double precision) IS
    'experiments statistics: P(T <= p_t) for Student''s t with p_df > 0 degrees of freedom';

CREATE FUNCTION experiments.student_t_quantile(p_p double precision, p_df double precision)
RETURNS double precision
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_student_t_quantile';
COMMENT ON FUNCTION experiments.student_t_quantile(double precision, double precision) IS
    'experiments statistics: t with P(T <= t) = p_p for Student''s t with p_df degrees of freedom';

CREATE FUNCTION experiments.chi_square_sf(p_x double precision, p_df double precision)
RETURNS double precision
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_chi_square_sf';
COMMENT ON FUNCTION experiments.chi_square_sf(double precision, double precision) IS
    'experiments statistics: P(X > p_x) for a chi-square X with p_df degrees of freedom';

CREATE FUNCTION experiments.mean_test(
    p_a_n               bigint,
    p_a_sum             double precision,
    p_a_sum_squares     double precision,
    p_b_n               bigint,
    p_b_sum             double precision,
    p_b_sum_squares     double precision,
    p_relative          boolean          DEFAULT true,
    p_alpha             double precision DEFAULT 0.05,
    p_sequential_tuning double precision DEFAULT NULL)
RETURNS TABLE (expected double precision, ci_low double precision,
               ci_high double precision, p_value double precision,
               std_error double precision)
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_mean_test';
COMMENT ON FUNCTION experiments.mean_test(bigint, double precision, double precision, bigint, double precision, double precision, boolean, double precision, double precision) IS
    'experiments statistics: Welch t-test of treatment b against control a from n, sum, sum of squares (relative lift by the delta method; sequential with a tuning N*)';

CREATE FUNCTION experiments.proportion_test(
    p_a_n               bigint,
    p_a_conversions     bigint,
    p_b_n               bigint,
    p_b_conversions     bigint,
    p_relative          boolean          DEFAULT true,
    p_alpha             double precision DEFAULT 0.05,
    p_sequential_tuning double precision DEFAULT NULL)
RETURNS TABLE (expected double precision, ci_low double precision,
               ci_high double precision, p_value double precision,
               std_error double precision)
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_proportion_test';
COMMENT ON FUNCTION experiments.proportion_test(bigint, bigint, bigint, bigint, boolean, double precision, double precision) IS
    'experiments statistics: a conversion rate tested as a mean with variance p(1 - p)';

CREATE FUNCTION experiments.bayes_test(
    p_a_n             bigint,
    p_a_sum           double precision,
    p_a_sum_squares   double precision,
    p_b_n             bigint,
    p_b_sum           double precision,
    p_b_sum_squares   double precision,
    p_relative        boolean          DEFAULT true,
    p_alpha           double precision DEFAULT 0.05,
    p_prior_mean      double precision DEFAULT 0,
    p_prior_variance  double precision DEFAULT NULL)
RETURNS TABLE (chance_to_win double precision, expected double precision,
               ci_low double precision, ci_high double precision)
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_bayes_test';
COMMENT ON FUNCTION experiments.bayes_test(bigint, double precision, double precision, bigint, double precision, double precision, boolean, double precision, double precision, double precision) IS
    'experiments statistics: normal-approximation Bayesian chance that b beats a (flat prior when the prior variance is NULL)';

CREATE FUNCTION experiments.srm_p_value(p_observed bigint[], p_weights double precision[])
RETURNS double precision
LANGUAGE C IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_srm_p_value';
COMMENT ON FUNCTION experiments.srm_p_value(bigint[], double precision[]) IS
    'experiments statistics: Pearson chi-square p-value of observed units against the allocation weights (sample ratio mismatch)';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.normal_cdf(double precision)',                              'experiments', false),
    ('experiments.normal_quantile(double precision)',                         'experiments', false),
    ('experiments.student_t_cdf(double precision, double precision)',         'experiments', false),
    ('experiments.student_t_quantile(double precision, double precision)',    'experiments', false),
    ('experiments.chi_square_sf(double precision, double precision)',         'experiments', false),
    ('experiments.mean_test(bigint, double precision, double precision, bigint, double precision, double precision, boolean, double precision, double precision)',
     'experiments', false),
    ('experiments.proportion_test(bigint, bigint, bigint, bigint, boolean, double precision, double precision)',
     'experiments', false),
    ('experiments.bayes_test(bigint, double precision, double precision, bigint, double precision, double precision, boolean, double precision, double precision, double precision)',
     'experiments', false),
    ('experiments.srm_p_value(bigint[], double precision[])',                 'experiments', false);
