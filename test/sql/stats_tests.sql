-- mean_test, proportion_test, bayes_test, srm_p_value against the formulas of
-- reference/peers.md section 1.3 (GrowthBook's published engine).
--
-- Reference values: computed with mpmath 1.3.0 at 50 significant digits from
-- the same sufficient statistics (the double inputs taken exactly), with the
-- formulas written out independently of the C code:
--   absolute  D = mb - ma,  V = vb/nb + va/na
--   relative  D = (mb - ma)/ma,  V = vb/(ma^2 nb) + va mb^2/(ma^4 na)
--   Welch df  (va/na + vb/nb)^2 / ((vb/nb)^2/(nb-1) + (va/na)^2/(na-1))
--   fixed     CI D -+ t_{1-alpha/2, df} sqrt V;  p = I_{df/(df+z^2)}(df/2, 1/2), z = D/sqrt V
--   sequential (tuning N* = 5000, N = na + nb)
--             rho^2 = (-2 ln alpha + ln(1 - 2 ln alpha)) / N*
--             CI D -+ sqrt(V N) sqrt(2 (N rho^2 + 1)/(N^2 rho^2) ln(sqrt(N rho^2 + 1)/alpha))
--             p = min(1, sqrt(N rho^2 + 1) exp(-rho^2 N D^2 / (2 V (N rho^2 + 1))))
--   Bayesian  precision 1/V + 1/s0^2, mean (D/V + m0/s0^2)/precision (flat: D),
--             chance to win ncdf(mean/sd), CI mean -+ z_{1-alpha/2} sd
--   SRM       X^2 = sum (o - e)^2/e, e = w/sum(w) * sum(o), p = gammainc((k-1)/2, X^2/2, inf)
-- Variances: sample variance (n - 1) for means, p(1 - p) for proportions.
-- Each check prints the value rounded to 6 places and whether it is within
-- 1e-9 (relative, or absolute below 1) of the reference; the issue asks 5 places.
SET extra_float_digits = 0;

CREATE TEMP TABLE ref (label text, col text, want float8);
CREATE FUNCTION pg_temp.close_to(got float8, want float8) RETURNS boolean
LANGUAGE sql IMMUTABLE AS
$$ SELECT abs(got - want) <= 1e-9 * greatest(1.0, abs(want)) $$;

-- Control a: n = 1000, mean 10.2, sd 3.1 -> sum 10200, sum of squares 113640.39
-- Treatment b: n = 1050, mean 10.6, sd 3.4 -> sum 11130, sum of squares 130104.44
INSERT INTO ref VALUES
  ('mean abs', 'expected', 0.4), ('mean abs', 'ci_low', 0.11839223053351861),
  ('mean abs', 'ci_high', 0.68160776946648139), ('mean abs', 'p_value', 0.0053919604255430995),
  ('mean abs', 'std_error', 0.14359499924970859),
  ('mean rel', 'expected', 0.039215686274509804), ('mean rel', 'ci_low', 0.011097291788761875),
  ('mean rel', 'ci_high', 0.067334080760257733), ('mean rel', 'p_value', 0.0062898167987561706),
  ('mean rel', 'std_error', 0.014337888626913648),
  ('mean rel alpha 0.01', 'ci_low', 0.0022492168456100568),
  ('mean rel alpha 0.01', 'ci_high', 0.076182155703409551),
  ('mean rel seq', 'expected', 0.039215686274509804), ('mean rel seq', 'ci_low', -0.0054983087733089532),
  ('mean rel seq', 'ci_high', 0.083929681322328561), ('mean rel seq', 'p_value', 0.1179852500988174),
  ('mean abs seq', 'ci_low', -0.047813918242515971), ('mean abs seq', 'ci_high', 0.84781391824251597),
  ('mean abs seq', 'p_value', 0.1060514330353396),
  -- small samples (df about 13): a n = 12, sum 30, sumsq 99.75; b n = 9, sum 27.9, sumsq 87.77
  ('small abs', 'expected', 0.60000000000000024), ('small abs', 'ci_low', -0.37862899349715459),
  ('small abs', 'ci_high', 1.5786289934971551), ('small abs', 'p_value', 0.20818040452332842),
  ('small abs', 'std_error', 0.45307590730227285),
  ('small rel alpha 0.1', 'expected', 0.24000000000000009), ('small rel alpha 0.1', 'ci_low', -0.15184775708128025),
  ('small rel alpha 0.1', 'ci_high', 0.63184775708128044), ('small rel alpha 0.1', 'p_value', 0.2978050535164822),
  -- proportions: a 1 000 of 10 000, b 1 100 of 10 000
  ('prop rel', 'expected', 0.1), ('prop rel', 'ci_low', 0.010864708144846952),
  ('prop rel', 'ci_high', 0.18913529185515305), ('prop rel', 'p_value', 0.027889528764600518),
  ('prop rel', 'std_error', 0.045475268003608291),
  ('prop abs', 'expected', 0.01), ('prop abs', 'ci_low', 0.0015035439810862771),
  ('prop abs', 'ci_high', 0.018496456018913723), ('prop abs', 'p_value', 0.021068257468733822),
  ('prop rel seq', 'ci_low', -0.04220635376208541), ('prop rel seq', 'ci_high', 0.24220635376208541),
  ('prop rel seq', 'p_value', 0.54903794434520689),
  -- a large experiment: a 4 000 of 200 000, b 4 150 of 201 000 (df about 4e5)
  ('prop big rel', 'expected', 0.032338308457711443), ('prop big rel', 'ci_low', -0.01203674573320006),
  ('prop big rel', 'ci_high', 0.076713362648622945), ('prop big rel', 'p_value', 0.15319838840095146),
  -- Bayesian on the mean arms above
  ('bayes rel flat', 'chance_to_win', 0.99688201757880124), ('bayes rel flat', 'expected', 0.039215686274509804),
  ('bayes rel flat', 'ci_low', 0.011113940951412603), ('bayes rel flat', 'ci_high', 0.067317431597607005),
  ('bayes abs flat', 'chance_to_win', 0.99732866371799763), ('bayes abs flat', 'ci_low', 0.11855897311051505),
  ('bayes abs flat', 'ci_high', 0.68144102688948495),
  -- GrowthBook's proper prior N(0, 0.3^2) on the relative effect
  ('bayes rel prior', 'chance_to_win', 0.99685235202138982), ('bayes rel prior', 'expected', 0.03912631522761978),
  ('bayes rel prior', 'ci_low', 0.011056609569813906), ('bayes rel prior', 'ci_high', 0.067196020885425653),
  -- SRM
  ('srm 4500/5500 of 50/50', 'p_value', 1.5239706048321052e-23),
  ('srm 3300/3350/3350 equal', 'p_value', 0.77880078307140487),
  ('srm 100/210 of 1:2', 'p_value', 0.68797131618064058),
  ('srm 5020/4980 of 50/50', 'p_value', 0.68915651677935167);

CREATE TEMP TABLE got (label text, col text, val float8);
-- each call's columns, as (label, column, value) rows

INSERT INTO got SELECT 'mean abs', key, value::float8
  FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, false) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'mean rel', key, value::float8
  FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'mean rel alpha 0.01', key, value::float8
  FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, true, 0.01) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'mean rel seq', key, value::float8
  FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, true, 0.05, 5000) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'mean abs seq', key, value::float8
  FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, false, 0.05, 5000) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'small abs', key, value::float8
  FROM experiments.mean_test(12, 30, 99.75, 9, 27.900000000000002, 87.77000000000001, false) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'small rel alpha 0.1', key, value::float8
  FROM experiments.mean_test(12, 30, 99.75, 9, 27.900000000000002, 87.77000000000001, true, 0.1) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'prop rel', key, value::float8
  FROM experiments.proportion_test(10000, 1000, 10000, 1100) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'prop abs', key, value::float8
  FROM experiments.proportion_test(10000, 1000, 10000, 1100, false) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'prop rel seq', key, value::float8
  FROM experiments.proportion_test(10000, 1000, 10000, 1100, true, 0.05, 5000) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'prop big rel', key, value::float8
  FROM experiments.proportion_test(200000, 4000, 201000, 4150) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'bayes rel flat', key, value::float8
  FROM experiments.bayes_test(1000, 10200, 113640.39, 1050, 11130, 130104.44) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'bayes abs flat', key, value::float8
  FROM experiments.bayes_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, false) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got SELECT 'bayes rel prior', key, value::float8
  FROM experiments.bayes_test(1000, 10200, 113640.39, 1050, 11130, 130104.44, true, 0.05, 0, 0.09) t, jsonb_each_text(to_jsonb(t));
INSERT INTO got VALUES
  ('srm 4500/5500 of 50/50', 'p_value', experiments.srm_p_value('{4500,5500}', '{0.5,0.5}')),
  ('srm 3300/3350/3350 equal', 'p_value', experiments.srm_p_value('{3300,3350,3350}', '{1,1,1}')),
  ('srm 100/210 of 1:2', 'p_value', experiments.srm_p_value('{100,210}', '{1,2}')),
  ('srm 5020/4980 of 50/50', 'p_value', experiments.srm_p_value('{5020,4980}', '{50,50}'));

-- every reference value was produced, and matches
SELECT r.label, r.col, round(g.val::numeric, 6) AS value,
       pg_temp.close_to(g.val, r.want) AS matches
  FROM ref r LEFT JOIN got g USING (label, col)
 ORDER BY r.label, r.col;
SELECT count(*) AS checked, count(*) FILTER (WHERE pg_temp.close_to(g.val, r.want)) AS matching
  FROM ref r LEFT JOIN got g USING (label, col);

-- SRM is flagged (p < 0.001) on a 45/55 split of a 50/50 experiment with 10 000 users
SELECT experiments.srm_p_value('{4500,5500}', '{50,50}') < 0.001 AS srm_flagged,
       abs(experiments.srm_p_value('{4500,5500}', '{50,50}') / 1.5239706048321052e-23 - 1) < 1e-9
           AS relative_error_below_1e_9;

-- the interval of the p-value: p < alpha exactly when the CI excludes 0
SELECT (p_value < 0.05) = (ci_low > 0 OR ci_high < 0) AS consistent
  FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44);
SELECT (p_value < 0.05) = (ci_low > 0 OR ci_high < 0) AS consistent_sequential
  FROM experiments.proportion_test(10000, 1000, 10000, 1100, true, 0.05, 5000);

-- degenerate inputs: NULL statistics, never NaN or an error
-- n <= 1 in an arm: the difference of means exists, its spread does not
SELECT * FROM experiments.mean_test(1, 5, 25, 10, 60, 400, false);
-- both arms without variance
SELECT * FROM experiments.mean_test(10, 50, 250, 10, 60, 360, false);
-- zero control mean for a relative test
SELECT * FROM experiments.mean_test(10, 0, 4, 10, 3, 9);
SELECT * FROM experiments.proportion_test(100, 0, 100, 5);
-- empty arms
SELECT * FROM experiments.proportion_test(0, 0, 100, 5);
SELECT * FROM experiments.mean_test(0, 0, 0, 0, 0, 0);
-- 0 % and 100 % in both arms: no variance
SELECT * FROM experiments.proportion_test(50, 50, 60, 60, false);
SELECT * FROM experiments.bayes_test(1, 5, 25, 10, 60, 400);
SELECT * FROM experiments.bayes_test(10, 0, 4, 10, 3, 9);
-- SRM with nothing to test: one arm, no units
SELECT experiments.srm_p_value('{10}', '{1}') AS one_arm,
       experiments.srm_p_value('{0,0}', '{1,1}') AS no_units,
       experiments.srm_p_value('{}', '{}') AS empty;
-- an arm with weight 0 (switched off): ignored when empty, certain mismatch otherwise
SELECT experiments.srm_p_value('{4500,5500,0}', '{1,1,0}') < 0.001 AS flagged_without_off_arm,
       experiments.srm_p_value('{5000,5000,3}', '{1,1,0}') AS units_in_off_arm;

-- bad input
\set VERBOSITY default
SELECT * FROM experiments.mean_test(NULL, 0, 0, 1, 0, 0);
SELECT * FROM experiments.mean_test(-1, 0, 0, 1, 0, 0);
SELECT * FROM experiments.mean_test(10, 5, -1, 10, 5, 5);
SELECT * FROM experiments.mean_test(10, 100, 999, 10, 5, 5);
SELECT * FROM experiments.mean_test(0, 1, 1, 10, 5, 5);
SELECT * FROM experiments.mean_test(10, 'NaN', 1, 10, 5, 5);
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 'Infinity');
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, NULL);
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, 0);
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, 0.51);
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, -0.05);
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, 'NaN');
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, NULL);
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, 0.05, 0);
SELECT * FROM experiments.mean_test(10, 5, 5, 10, 5, 5, true, 0.05, 'Infinity');
SELECT * FROM experiments.proportion_test(100, 101, 100, 5);
SELECT * FROM experiments.proportion_test(100, -1, 100, 5);
SELECT * FROM experiments.proportion_test(100, 1, -100, 5);
SELECT * FROM experiments.proportion_test(100, 1, 100, NULL);
SELECT * FROM experiments.proportion_test(100, 1, 100, 5, true, 1);
SELECT * FROM experiments.bayes_test(10, 5, 5, 10, 5, 5, true, 0.05, 0, 0);
SELECT * FROM experiments.bayes_test(10, 5, 5, 10, 5, 5, true, 0.05, 0, -1);
SELECT * FROM experiments.bayes_test(10, 5, 5, 10, 5, 5, true, 0.05, NULL, 1);
SELECT * FROM experiments.bayes_test(10, 5, 5, 10, 5, 5, true, 0.05, 'NaN', 1);
SELECT experiments.srm_p_value(NULL, '{1}');
SELECT experiments.srm_p_value('{1,2}', '{1}');
SELECT experiments.srm_p_value('{1,-2}', '{1,1}');
SELECT experiments.srm_p_value('{1,2}', '{1,-1}');
SELECT experiments.srm_p_value('{1,2}', '{1,NaN}');
SELECT experiments.srm_p_value('{1,NULL}', '{1,1}');
SELECT experiments.srm_p_value('{1,2}', '{0,0}');
SELECT experiments.srm_p_value('{{1,2}}', '{{1,1}}');
