/*-------------------------------------------------------------------------
 *
 * stats.h
 *	  The experiment statistics (GrowthBook's published engine, reference
 *	  peers.md section 1.3): Welch t with Welch-Satterthwaite degrees of
 *	  freedom, delta-method relative lift, the asymptotic confidence sequence,
 *	  the normal-approximation Bayesian chance to win, Pearson's SRM check.
 *
 * The C API works on per-arm sufficient statistics (n, mean, variance) so that
 * get_experiment_results() and the SQL entry points share one implementation.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_STATS_H
#define EXPERIMENTS_STATS_H

#include "postgres.h"
#include "fmgr.h"

/* One arm: units, mean per unit, variance per unit. */
typedef struct StatArm
{
	double		n;
	double		mean;
	double		var;
} StatArm;

/* A test's answer; has_* false means SQL NULL (degenerate input). */
typedef struct StatResult
{
	bool		has_expected;
	double		expected;
	bool		has_stats;		/* ci, p_value, std_error, chance_to_win */
	double		ci_low;
	double		ci_high;
	double		p_value;
	double		std_error;
	double		chance_to_win;
} StatResult;

/* Frequentist test; tuning <= 0 (or NaN) means fixed-horizon, else sequential. */
extern void stat_frequentist(const StatArm *a, const StatArm *b, bool relative,
							 double alpha, double tuning, StatResult *out);

/* Normal-approximation Bayesian test; prior_var <= 0 (or NaN) = flat prior. */
extern void stat_bayesian(const StatArm *a, const StatArm *b, bool relative,
						  double alpha, double prior_mean, double prior_var,
						  StatResult *out);

/*
 * Pearson chi-square SRM p-value of k observed counts against weights.
 * Returns false (SQL NULL) when there is nothing to test.
 */
extern bool stat_srm(int k, const int64 *observed, const double *weights,
					 double *p_value);

/* Argument checks shared with the analytics (22004 / 22023). */
extern double stat_arg_alpha(FunctionCallInfo fcinfo, int argno);
extern double stat_arg_tuning(FunctionCallInfo fcinfo, int argno);

extern PGDLLEXPORT Datum experiments_mean_test(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_proportion_test(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_bayes_test(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_srm_p_value(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_STATS_H */
