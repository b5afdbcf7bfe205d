/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  mean_test, proportion_test, bayes_test, srm_p_value: pure functions
 *	  over per-arm sufficient statistics (control = a, treatment = b).
 *
 * Formulas (reference/peers.md section 1.3; docs/design/experiments-analytics.md):
 *
 *	absolute effect   D = mean_b - mean_a,  V = var_b/n_b + var_a/n_a
 *	relative effect   D = (mean_b - mean_a) / mean_a,
 *	                  V = var_b/(mean_a^2 n_b) + var_a mean_b^2/(mean_a^4 n_a)
 *	Welch df          (var_b/n_b + var_a/n_a)^2 /
 *	                  ((var_b/n_b)^2/(n_b - 1) + (var_a/n_a)^2/(n_a - 1))
 *	fixed horizon     D +- t_{1-alpha/2, df} sqrt V,  p = 2 P(T_df > |D|/sqrt V)
 *	sequential        N = n_a + n_b, rho = sqrt((-2 ln alpha + ln(1 - 2 ln alpha)) / N*),
 *	                  D +- sqrt(V N) sqrt(2 (N rho^2 + 1) / (N^2 rho^2)
 *	                                      ln(sqrt(N rho^2 + 1) / alpha)),
 *	                  p = min(1, sqrt(N rho^2 + 1) exp(-rho^2 N D^2 / (2 V (N rho^2 + 1))))
 *	                  (the p-value is the alpha at which the interval touches 0)
 *	Bayesian          posterior precision 1/V + 1/s0^2, mean (D/V + m0/s0^2) / precision;
 *	                  chance to win = P(effect > 0) = Phi(mean / sd),
 *	                  interval mean +- z_{1-alpha/2} sd
 *	SRM               Pearson X^2 = sum (o_i - e_i)^2 / e_i, e_i = w_i / sum w * sum o,
 *	                  p = P(chi^2_{k-1} > X^2)
 *
 * Variances per unit: a mean's is the sample variance (n - 1); a proportion's
 * is p(1 - p), as GrowthBook's engine has it.  Degenerate inputs (n <= 1, a
 * standard error that is not positive, a zero control mean for a relative
 * test) give NULL statistics, never NaN and never an error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "common/args.h"
#include "common/srf.h"
#include "experiments/dist.h"
#include "experiments/stats.h"

/* The effect and its variance; false when undefined. */
static bool
effect_moments(const StatArm *a, const StatArm *b, bool relative,
			   double *d, double *v, bool *v_ok)
{
	*v_ok = false;
	if (!(a->n >= 1.0) || !(b->n >= 1.0))
		return false;
	if (relative)
	{
		if (a->mean == 0.0)
			return false;
		*d = (b->mean - a->mean) / a->mean;
		*v = b->var / (a->mean * a->mean * b->n)
			+ a->var * b->mean * b->mean / (pow(a->mean, 4) * a->n);
	}
	else
	{
		*d = b->mean - a->mean;
		*v = b->var / b->n + a->var / a->n;
	}
	if (!isfinite(*d))
		return false;
	*v_ok = (a->n > 1.0 && b->n > 1.0 && *v > 0.0 && isfinite(*v));
	return true;
}

void
stat_frequentist(const StatArm *a, const StatArm *b, bool relative,
				 double alpha, double tuning, StatResult *out)
{
	double		d,
				v,
				se;
	bool		v_ok;

	memset(out, 0, sizeof(*out));
	if (!effect_moments(a, b, relative, &d, &v, &v_ok))
		return;
	out->has_expected = true;
	out->expected = d;
	if (!v_ok)
		return;
	se = sqrt(v);

	if (tuning > 0.0)
	{
		double		n = a->n + b->n;
		double		l2a = -2.0 * log(alpha);
		double		rho2 = (l2a + log(l2a + 1.0)) / tuning;
		double		nr1 = n * rho2 + 1.0;
		double		width = sqrt(v * n) *
			sqrt(2.0 * nr1 / (n * n * rho2) * log(sqrt(nr1) / alpha));
		double		logp = 0.5 * log(nr1) - rho2 * n * d * d / (2.0 * v * nr1);

		out->ci_low = d - width;
		out->ci_high = d + width;
		out->p_value = (logp >= 0.0) ? 1.0 : exp(logp);
	}
	else
	{
		double		va = a->var / a->n;
		double		vb = b->var / b->n;
		double		df = pow(va + vb, 2) /
			(vb * vb / (b->n - 1.0) + va * va / (a->n - 1.0));
		double		tcrit = dist_t_quantile(1.0 - 0.5 * alpha, df);

		out->ci_low = d - tcrit * se;
		out->ci_high = d + tcrit * se;
		out->p_value = Min(1.0, 2.0 * dist_t_sf(fabs(d) / se, df));
	}
	out->std_error = se;
	out->has_stats = isfinite(out->ci_low) && isfinite(out->ci_high) &&
		isfinite(out->p_value);
}

void
stat_bayesian(const StatArm *a, const StatArm *b, bool relative,
			  double alpha, double prior_mean, double prior_var,
			  StatResult *out)
{
	double		d,
				v,
				prec,
				mean,
				sd,
				z;
	bool		v_ok;
	bool		proper = (prior_var > 0.0 && isfinite(prior_var));

	memset(out, 0, sizeof(*out));
	if (!effect_moments(a, b, relative, &d, &v, &v_ok))
		return;
	out->has_expected = true;
	out->expected = d;
	if (!v_ok)
		return;
	prec = 1.0 / v + (proper ? 1.0 / prior_var : 0.0);
	mean = proper ? (d / v + prior_mean / prior_var) / prec : d;
	sd = sqrt(1.0 / prec);
	z = -dist_normal_quantile(0.5 * alpha);

	out->expected = mean;
	out->ci_low = mean - z * sd;
	out->ci_high = mean + z * sd;
	out->chance_to_win = dist_normal_cdf(mean / sd);
	out->std_error = sd;
	out->has_stats = isfinite(out->ci_low) && isfinite(out->ci_high);
}

bool
stat_srm(int k, const int64 *observed, const double *weights, double *p_value)
{
	double		wsum = 0.0,
				total = 0.0,
				x2 = 0.0;
	int			arms = 0,
				i;

	for (i = 0; i < k; i++)
	{
		if (weights[i] > 0.0)
		{
			wsum += weights[i];
			total += (double) observed[i];
			arms++;
		}
		else if (observed[i] > 0)
		{
			/* units in an arm that should get none: certainly a mismatch */
			*p_value = 0.0;
			return true;
		}
	}
	if (arms < 2 || total <= 0.0)
		return false;
	for (i = 0; i < k; i++)
	{
		double		e;

		if (!(weights[i] > 0.0))
			continue;
		e = weights[i] / wsum * total;
		x2 += ((double) observed[i] - e) * ((double) observed[i] - e) / e;
	}
	*p_value = dist_chisq_sf(x2, (double) (arms - 1));
	return true;
}

/* ------------------------------------------------------------------------
 * argument checks
 * ------------------------------------------------------------------------
 */

static void
bad_arg(const char *fmt_name, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s %s", fmt_name, msg)));
}

double
stat_arg_alpha(FunctionCallInfo fcinfo, int argno)
{
	double		alpha;

	arg_not_null(fcinfo, argno, "p_alpha");
	alpha = PG_GETARG_FLOAT8(argno);
	if (!(alpha > 0.0 && alpha <= 0.5))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_alpha must be greater than 0 and at most 0.5, got %g", alpha)));
	return alpha;
}

/* NULL = off (returns 0); otherwise finite and > 0. */
double
stat_arg_tuning(FunctionCallInfo fcinfo, int argno)
{
	double		tuning;

	if (PG_ARGISNULL(argno))
		return 0.0;
	tuning = PG_GETARG_FLOAT8(argno);
	if (!(tuning > 0.0) || isinf(tuning))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_sequential_tuning must be a positive number, got %g", tuning)));
	return tuning;
}

static int64
arg_count(FunctionCallInfo fcinfo, int argno, const char *name)
{
	int64		n;

	arg_not_null(fcinfo, argno, name);
	n = PG_GETARG_INT64(argno);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative, got " INT64_FORMAT, name, n)));
	return n;
}

static double
arg_finite(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v;

	arg_not_null(fcinfo, argno, name);
	v = PG_GETARG_FLOAT8(argno);
	if (!isfinite(v))
		bad_arg(name, "must be a finite number");
	return v;
}

/*
 * One arm of mean-style statistics (n, sum, sum of squares), checked for
 * what data can produce: n >= 0, sum of squares >= 0, sum^2 <= n * sumsq
 * (Cauchy-Schwarz, with room for rounding), nothing but zeros when n = 0.
 */
static StatArm
arg_mean_arm(FunctionCallInfo fcinfo, int first, const char *nname,
			 const char *sname, const char *qname)
{
	int64		n = arg_count(fcinfo, first, nname);
	double		sum = arg_finite(fcinfo, first + 1, sname);
	double		sumsq = arg_finite(fcinfo, first + 2, qname);
	StatArm		arm;

	if (sumsq < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative, got %g", qname, sumsq)));
	if (n == 0 && (sum != 0.0 || sumsq != 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s and %s must be 0 when %s is 0", sname, qname, nname)));
	if (sum * sum > (double) n * sumsq * (1.0 + 1e-9) + 1e-300)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too small for %s and %s: no data has these sums",
						qname, nname, sname),
				 errdetail("The sum of squares of n values is at least the square of their sum divided by n.")));
	arm.n = (double) n;
	arm.mean = (n > 0) ? sum / (double) n : 0.0;
	arm.var = (n > 1) ? Max(0.0, (sumsq - sum * arm.mean) / ((double) n - 1.0)) : 0.0;
	return arm;
}

static StatArm
arg_proportion_arm(FunctionCallInfo fcinfo, int first, const char *nname,
				   const char *cname)
{
	int64		n = arg_count(fcinfo, first, nname);
	int64		c = arg_count(fcinfo, first + 1, cname);
	StatArm		arm;

	if (c > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not exceed %s, got " INT64_FORMAT " of " INT64_FORMAT,
						cname, nname, c, n)));
	arm.n = (double) n;
	arm.mean = (n > 0) ? (double) c / (double) n : 0.0;
	arm.var = arm.mean * (1.0 - arm.mean);
	return arm;
}

static bool
arg_flag(FunctionCallInfo fcinfo, int argno, const char *name)
{
	arg_not_null(fcinfo, argno, name);
	return PG_GETARG_BOOL(argno);
}

/* One row (expected, ci_low, ci_high, p_value, std_error). */
static Datum
put_frequentist_row(FunctionCallInfo fcinfo, const StatResult *r)
{
	Datum		values[5];
	bool		nulls[5];

	values[0] = Float8GetDatum(r->expected);
	nulls[0] = !r->has_expected;
	values[1] = Float8GetDatum(r->ci_low);
	values[2] = Float8GetDatum(r->ci_high);
	values[3] = Float8GetDatum(r->p_value);
	values[4] = Float8GetDatum(r->std_error);
	nulls[1] = nulls[2] = nulls[3] = nulls[4] = !r->has_stats;
	srf_begin(fcinfo);
	srf_put(fcinfo, values, nulls);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_mean_test);

/*
 * mean_test(p_a_n, p_a_sum, p_a_sum_squares, p_b_n, p_b_sum, p_b_sum_squares,
 *           p_relative, p_alpha, p_sequential_tuning)
 */
Datum
experiments_mean_test(PG_FUNCTION_ARGS)
{
	StatArm		a = arg_mean_arm(fcinfo, 0, "p_a_n", "p_a_sum", "p_a_sum_squares");
	StatArm		b = arg_mean_arm(fcinfo, 3, "p_b_n", "p_b_sum", "p_b_sum_squares");
	bool		relative = arg_flag(fcinfo, 6, "p_relative");
	double		alpha = stat_arg_alpha(fcinfo, 7);
	double		tuning = stat_arg_tuning(fcinfo, 8);
	StatResult	r;

	stat_frequentist(&a, &b, relative, alpha, tuning, &r);
	return put_frequentist_row(fcinfo, &r);
}

PG_FUNCTION_INFO_V1(experiments_proportion_test);

/*
 * proportion_test(p_a_n, p_a_conversions, p_b_n, p_b_conversions,
 *                 p_relative, p_alpha, p_sequential_tuning)
 */
Datum
experiments_proportion_test(PG_FUNCTION_ARGS)
{
	StatArm		a = arg_proportion_arm(fcinfo, 0, "p_a_n", "p_a_conversions");
	StatArm		b = arg_proportion_arm(fcinfo, 2, "p_b_n", "p_b_conversions");
	bool		relative = arg_flag(fcinfo, 4, "p_relative");
	double		alpha = stat_arg_alpha(fcinfo, 5);
	double		tuning = stat_arg_tuning(fcinfo, 6);
	StatResult	r;

	stat_frequentist(&a, &b, relative, alpha, tuning, &r);
	return put_frequentist_row(fcinfo, &r);
}

PG_FUNCTION_INFO_V1(experiments_bayes_test);

/*
 * bayes_test(six mean-style statistics, p_relative, p_alpha, p_prior_mean,
 *            p_prior_variance) -> (chance_to_win, expected, ci_low, ci_high)
 */
Datum
experiments_bayes_test(PG_FUNCTION_ARGS)
{
	StatArm		a = arg_mean_arm(fcinfo, 0, "p_a_n", "p_a_sum", "p_a_sum_squares");
	StatArm		b = arg_mean_arm(fcinfo, 3, "p_b_n", "p_b_sum", "p_b_sum_squares");
	bool		relative = arg_flag(fcinfo, 6, "p_relative");
	double		alpha = stat_arg_alpha(fcinfo, 7);
	double		prior_mean = arg_finite(fcinfo, 8, "p_prior_mean");
	double		prior_var = 0.0;
	StatResult	r;
	Datum		values[4];
	bool		nulls[4];

	if (!PG_ARGISNULL(9))
	{
		prior_var = PG_GETARG_FLOAT8(9);
		if (!(prior_var > 0.0) || isinf(prior_var))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_prior_variance must be a positive number or NULL (flat prior), got %g",
							prior_var)));
	}
	stat_bayesian(&a, &b, relative, alpha, prior_mean, prior_var, &r);

	values[0] = Float8GetDatum(r.chance_to_win);
	values[1] = Float8GetDatum(r.expected);
	values[2] = Float8GetDatum(r.ci_low);
	values[3] = Float8GetDatum(r.ci_high);
	nulls[1] = !r.has_expected;
	nulls[0] = nulls[2] = nulls[3] = !r.has_stats;
	srf_begin(fcinfo);
	srf_put(fcinfo, values, nulls);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_srm_p_value);

/* srm_p_value(p_observed bigint[], p_weights float8[]) -> float8 */
Datum
experiments_srm_p_value(PG_FUNCTION_ARGS)
{
	ArrayType  *obs_arr,
			   *w_arr;
	Datum	   *obs_d,
			   *w_d;
	bool	   *obs_n,
			   *w_n;
	int			k,
				kw,
				i;
	int64	   *observed;
	double	   *weights;
	double		wsum = 0.0,
				p;

	arg_not_null(fcinfo, 0, "p_observed");
	arg_not_null(fcinfo, 1, "p_weights");
	obs_arr = PG_GETARG_ARRAYTYPE_P(0);
	w_arr = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(obs_arr) > 1 || ARR_NDIM(w_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_observed and p_weights must be one-dimensional arrays")));
	deconstruct_array(obs_arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &obs_d, &obs_n, &k);
	deconstruct_array(w_arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &w_d, &w_n, &kw);
	if (k != kw)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_observed and p_weights must have the same length, got %d and %d",
						k, kw)));
	observed = palloc(sizeof(int64) * Max(k, 1));
	weights = palloc(sizeof(double) * Max(k, 1));
	for (i = 0; i < k; i++)
	{
		if (obs_n[i] || w_n[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("p_observed and p_weights must not contain NULL (element %d)",
							i + 1)));
		observed[i] = DatumGetInt64(obs_d[i]);
		weights[i] = DatumGetFloat8(w_d[i]);
		if (observed[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_observed must not contain negative counts (element %d is " INT64_FORMAT ")",
							i + 1, observed[i])));
		if (!(weights[i] >= 0.0) || isinf(weights[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_weights must be finite and not negative (element %d is %g)",
							i + 1, weights[i])));
		wsum += weights[i];
	}
	if (k > 0 && wsum <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_weights must not all be 0")));
	if (!stat_srm(k, observed, weights, &p))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(p);
}
