-- Demo: the experiment statistics on published-style numbers.  The analytics
-- (get_experiment_results and friends) work on any experiment the demo of
-- part 1 creates; these calls need no data.
SELECT * FROM experiments.proportion_test(10000, 1000, 10000, 1100);
SELECT * FROM experiments.mean_test(1000, 10200, 113640.39, 1050, 11130, 130104.44);
SELECT * FROM experiments.bayes_test(1000, 10200, 113640.39, 1050, 11130, 130104.44);
SELECT experiments.srm_p_value('{4500,5500}', '{50,50}') AS srm_p_value;
