/*-------------------------------------------------------------------------
 *
 * dist.c
 *	  Normal, Student t and chi-square distributions in double precision.
 *
 * Methods (textbook numerical analysis; see docs/design/experiments-analytics.md):
 *
 *	- normal CDF: 0.5 * erfc(-x / sqrt 2) from the C library, which keeps
 *	  relative precision in the lower tail; the upper tail by symmetry.
 *	- normal quantile: a rational first guess (Abramowitz & Stegun 26.2.23,
 *	  error < 4.5e-4) polished by Halley steps on the tail probability.
 *	- Student t: P(T > t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2), the
 *	  regularised incomplete beta function by its continued fraction.
 *	- chi-square: P(X > x) = Q(df/2, x/2), the regularised upper incomplete
 *	  gamma function by its series (x < a + 1, through P) or continued fraction.
 *	- t quantile: closed forms for df = 1 and 2, otherwise a Cornish-Fisher
 *	  first guess and bracketed Newton steps in log t on log P(T > t).
 *
 * The logarithms of the prefactors x^a y^b / B(a,b) and x^a e^-x / Gamma(a)
 * are the numerically hard part for huge a: lgamma(a) - lgamma(a + b) loses
 * all digits to cancellation once a is 1e9.  They are computed from Stirling
 * differences instead (log1p of the small ratio), so df = 1e10 keeps full
 * relative precision.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"

#include "common/args.h"
#include "experiments/dist.h"

#define LN_SQRT_2PI	0.91893853320467274178	/* log(sqrt(2 pi)) */
#define INV_SQRT_2PI 0.39894228040143267794 /* 1 / sqrt(2 pi) */
#define CF_EPS		(2.0 * DBL_EPSILON)
#define CF_TINY		1e-300
#define CF_MAXIT	20000000

/*
 * Stirling's correction: lgamma(a) - ((a - 1/2) log a - a + log sqrt(2 pi)).
 * The asymptotic series is exact to double precision from a = 10 on.
 */
static double
stirling_corr(double a)
{
	if (a >= 10.0)
	{
		double		r = 1.0 / a;
		double		r2 = r * r;

		return r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 -
				r2 * (1.0 / 1680.0 - r2 * (1.0 / 1188.0)))));
	}
	return lgamma(a) - ((a - 0.5) * log(a) - a + LN_SQRT_2PI);
}

/* log B(a, b) for a, b > 0, without cancellation for large arguments. */
static double
log_beta(double a, double b)
{
	double		big = Max(a, b);
	double		small = Min(a, b);

	if (big < 10.0)
		return lgamma(a) + lgamma(b) - lgamma(a + b);
	if (small < 10.0)
		/* lgamma(small) + [lgamma(big) - lgamma(big + small)] */
		return lgamma(small)
			- (big - 0.5) * log1p(small / big) - small * log(big + small) + small
			+ stirling_corr(big) - stirling_corr(big + small);
	return LN_SQRT_2PI
		- (a - 0.5) * log1p(b / a) - (b - 0.5) * log1p(a / b) - 0.5 * log(a + b)
		+ stirling_corr(a) + stirling_corr(b) - stirling_corr(a + b);
}

/* d - log(1 + d), accurate for small |d|. */
static double
d_minus_log1p(double d)
{
	if (fabs(d) < 0.1)
	{
		/* d^2/2 - d^3/3 + d^4/4 - ... */
		double		term = d * d;
		double		sum = 0.0;
		int			k;

		for (k = 2; k < 200; k++)
		{
			double		t = term / k;

			sum += (k % 2 == 0) ? t : -t;
			if (fabs(t) < DBL_EPSILON * fabs(sum))
				break;
			term *= d;
		}
		return sum;
	}
	return d - log1p(d);
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double
beta_cf(double x, double a, double b)
{
	double		qab = a + b;
	double		qap = a + 1.0;
	double		qam = a - 1.0;
	double		c = 1.0;
	double		d = 1.0 - qab * x / qap;
	double		h;
	int			m;

	if (fabs(d) < CF_TINY)
		d = CF_TINY;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= CF_MAXIT; m++)
	{
		double		m2 = 2.0 * m;
		double		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		double		del;

		d = 1.0 + aa * d;
		if (fabs(d) < CF_TINY)
			d = CF_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CF_TINY)
			c = CF_TINY;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < CF_TINY)
			d = CF_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CF_TINY)
			c = CF_TINY;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < CF_EPS)
			break;
	}
	return h;
}

/*
 * I_x(a, b) given both x and y = 1 - x (each with its own relative
 * precision, so that x near 1 loses nothing).
 */
static double
inc_beta_xy(double x, double y, double a, double b)
{
	double		logx,
				logy,
				lp;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	logx = (x > 0.5) ? log1p(-y) : log(x);
	logy = (y > 0.5) ? log1p(-x) : log(y);
	lp = a * logx + b * logy - log_beta(a, b);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lp) * beta_cf(x, a, b) / a;
	return 1.0 - exp(lp) * beta_cf(y, b, a) / b;
}

double
dist_inc_beta(double x, double a, double b)
{
	return inc_beta_xy(x, 1.0 - x, a, b);
}

/* log(x^a e^-x / Gamma(a)), by a Stirling difference for large a. */
static double
log_gamma_prefactor(double a, double x)
{
	if (a >= 10.0)
		return -a * d_minus_log1p((x - a) / a) + 0.5 * log(a) - LN_SQRT_2PI
			- stirling_corr(a);
	return a * log(x) - x - lgamma(a);
}

double
dist_inc_gamma_upper(double a, double x)
{
	double		lp;

	if (x <= 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	lp = log_gamma_prefactor(a, x);
	if (x < a + 1.0)
	{
		/* P(a, x) by its series, Q = 1 - P (Q is not small here) */
		double		ap = a;
		double		del = 1.0 / a;
		double		sum = del;
		int			n;

		for (n = 0; n < CF_MAXIT; n++)
		{
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * DBL_EPSILON)
				break;
		}
		return 1.0 - sum * exp(lp);
	}
	else
	{
		/* Q(a, x) by its continued fraction (modified Lentz) */
		double		b = x + 1.0 - a;
		double		c = 1.0 / CF_TINY;
		double		d = 1.0 / b;
		double		h = d;
		int			i;

		for (i = 1; i <= CF_MAXIT; i++)
		{
			double		an = -i * (i - a);
			double		del;

			b += 2.0;
			d = an * d + b;
			if (fabs(d) < CF_TINY)
				d = CF_TINY;
			c = b + an / c;
			if (fabs(c) < CF_TINY)
				c = CF_TINY;
			d = 1.0 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1.0) < CF_EPS)
				break;
		}
		return exp(lp) * h;
	}
}

double
dist_normal_cdf(double x)
{
	return 0.5 * erfc(-x * M_SQRT1_2);
}

double
dist_normal_sf(double x)
{
	return 0.5 * erfc(x * M_SQRT1_2);
}

double
dist_normal_quantile(double p)
{
	double		q,
				t,
				x;
	int			i;

	if (isnan(p))
		return p;
	if (p <= 0.0)
		return -INFINITY;
	if (p >= 1.0)
		return INFINITY;
	if (p == 0.5)
		return 0.0;

	/* work on the lower tail q = min(p, 1 - p); 1 - p is exact for p >= 1/2 */
	q = (p < 0.5) ? p : 1.0 - p;
	t = sqrt(-2.0 * log(q));
	x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
		  (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));

	/* Halley steps on Phi(x) - q, both computed in the lower tail */
	for (i = 0; i < 40; i++)
	{
		double		pdf = INV_SQRT_2PI * exp(-0.5 * x * x);
		double		u,
					step;

		if (pdf <= 0.0)
			break;
		u = (dist_normal_cdf(x) - q) / pdf;
		step = u / (1.0 + 0.5 * x * u);
		x -= step;
		if (fabs(step) <= 4.0 * DBL_EPSILON * fabs(x))
			break;
	}
	return (p < 0.5) ? x : -x;
}

/*
 * P(T > t) for t >= 0 and large df, by double-exponential (exp-sinh)
 * quadrature of the density over [t, inf): u = t + exp(pi/2 sinh(s)).
 * The continued fraction of I_x(df/2, 1/2) converges too slowly for huge df
 * (x sits next to its switch-over point and every factor is 1 + O(eps), so
 * it stops early); the density itself is exact to double precision there.
 */
static double
t_tail_quadrature(double t, double df)
{
	double		lognorm = -0.5 * log(df) - log_beta(0.5 * df, 0.5);
	double		h = 0.5;
	double		sum = 0.0,
				prev = 0.0;
	int			level,
				k;
	bool		converged = false;

	for (level = 0; level < 12; level++)
	{
		double		step = (level == 0) ? h : 2.0 * h;
		double		start = (level == 0) ? -5.0 : -5.0 + h;
		double		tau;

		for (tau = start, k = 0; tau <= 5.0 + 1e-12; tau += step, k++)
		{
			double		e = exp(M_PI_2 * sinh(tau));
			double		u = t + e;
			double		lf;

			if (u / sqrt(df) > 1e100)
				lf = 2.0 * log(u) - log(df) + log1p(df / (u * u));
			else
				lf = log1p(u * u / df);
			lf = lognorm - 0.5 * (df + 1.0) * lf;
			sum += exp(lf + log(e) + log(M_PI_2 * cosh(tau)));
		}
		/* the error roughly squares with each halving: stop one level after
		 * the estimates agree to 1e-10 */
		if (converged)
			return sum * h;
		if (level > 0 && fabs(sum * h - prev) <= 1e-10 * fabs(sum * h))
			converged = true;
		prev = sum * h;
		h *= 0.5;
	}
	return prev;
}

/* P(T > t) for t >= 0. */
static double
t_upper_tail(double t, double df)
{
	double		x,
				y;

	if (t == 0.0)
		return 0.5;
	if (isinf(t))
		return 0.0;
	if (isinf(df) || df > 1e15)
		return dist_normal_sf(t);
	if (df == 1.0)
		return atan2(1.0, t) / M_PI;
	if (df > 100.0)
		return t_tail_quadrature(t, df);
	if (t > 1e150)
	{
		/* t^2 would overflow; x = df / t^2, y = 1 to double precision */
		x = (df / t) / t;
		y = 1.0;
	}
	else
	{
		double		t2 = t * t;

		x = df / (df + t2);
		y = t2 / (df + t2);
	}
	return 0.5 * inc_beta_xy(x, y, 0.5 * df, 0.5);
}

double
dist_t_sf(double t, double df)
{
	if (isnan(t) || isnan(df))
		return NAN;
	return (t >= 0.0) ? t_upper_tail(t, df) : 1.0 - t_upper_tail(-t, df);
}

double
dist_t_cdf(double t, double df)
{
	if (isnan(t) || isnan(df))
		return NAN;
	return (t <= 0.0) ? t_upper_tail(-t, df) : 1.0 - t_upper_tail(t, df);
}

/* log of the t density at t >= 0. */
static double
t_log_pdf(double t, double df)
{
	double		l;

	if (t / sqrt(df) > 1e100)
		l = 2.0 * log(t) - log(df) + log1p(df / (t * t));
	else
		l = log1p(t * t / df);
	return -0.5 * log(df) - log_beta(0.5 * df, 0.5) - 0.5 * (df + 1.0) * l;
}

/* t >= 0 with P(T > t) = q, 0 < q < 1/2. */
static double
t_upper_quantile(double q, double df)
{
	double		z,
				t0,
				s,
				lo = -INFINITY,
				hi = INFINITY,
				logq = log(q);
	int			i;

	if (isinf(df) || df > 1e15)
		return -dist_normal_quantile(q);
	if (df == 1.0)
		return 1.0 / tan(M_PI * q);
	if (df == 2.0)
		return (1.0 - 2.0 * q) / sqrt(2.0 * q * (1.0 - q));

	/* Cornish-Fisher expansion around the normal quantile */
	z = -dist_normal_quantile(q);
	t0 = z + (z * z * z + z) / (4.0 * df)
		+ (5.0 * pow(z, 5) + 16.0 * pow(z, 3) + 3.0 * z) / (96.0 * df * df)
		+ (3.0 * pow(z, 7) + 19.0 * pow(z, 5) + 17.0 * pow(z, 3) - 15.0 * z)
		/ (384.0 * df * df * df);
	if (!(t0 > 0.0) || !isfinite(t0))
		t0 = 1.0;
	s = log(t0);

	/*
	 * Newton on h(s) = log P(T > e^s) - log q, decreasing in s, with
	 * h'(s) = -t f(t) / P(T > t); a step leaving the bracket found so far is
	 * replaced by a bisection (or a doubling while one side is open).
	 */
	for (i = 0; i < 200; i++)
	{
		double		t = exp(s);
		double		sf = t_upper_tail(t, df);
		double		h,
					dh,
					next;

		if (sf <= 0.0)
		{
			hi = s;
			next = isinf(lo) ? s - 2.0 : 0.5 * (lo + s);
		}
		else
		{
			h = log(sf) - logq;
			if (h == 0.0)
				return t;
			if (h > 0.0)
				lo = s;
			else
				hi = s;
			dh = -exp(s + t_log_pdf(t, df) - log(sf));
			next = s - h / dh;
			if (!(next > lo && next < hi))
			{
				if (isinf(hi))
					next = s + 2.0;
				else if (isinf(lo))
					next = s - 2.0;
				else
					next = 0.5 * (lo + hi);
			}
		}
		if (fabs(next - s) <= 2.0 * DBL_EPSILON * Max(1.0, fabs(s)))
		{
			s = next;
			break;
		}
		s = next;
	}
	return exp(s);
}

double
dist_t_quantile(double p, double df)
{
	if (isnan(p) || isnan(df))
		return NAN;
	if (p <= 0.0)
		return -INFINITY;
	if (p >= 1.0)
		return INFINITY;
	if (p == 0.5)
		return 0.0;
	if (p < 0.5)
		return -t_upper_quantile(p, df);
	return t_upper_quantile(1.0 - p, df);
}

double
dist_chisq_sf(double x, double df)
{
	if (isnan(x) || isnan(df))
		return NAN;
	if (x <= 0.0)
		return 1.0;
	return dist_inc_gamma_upper(0.5 * df, 0.5 * x);
}

/* ------------------------------------------------------------------------
 * SQL entry points.  Pure functions: no SQL runs, so no guard is needed
 * (the guard protects statement text from the caller's search_path).
 * ------------------------------------------------------------------------
 */

static double
arg_finite_or_inf(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v;

	arg_not_null(fcinfo, argno, name);
	v = PG_GETARG_FLOAT8(argno);
	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NaN", name)));
	return v;
}

static double
arg_probability(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		p = arg_finite_or_inf(fcinfo, argno, name);

	if (p < 0.0 || p > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1, got %g", name, p)));
	return p;
}

static double
arg_df(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		df = arg_finite_or_inf(fcinfo, argno, name);

	if (!(df > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be greater than 0, got %g", name, df)));
	return df;
}

PG_FUNCTION_INFO_V1(experiments_normal_cdf);
Datum
experiments_normal_cdf(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(dist_normal_cdf(arg_finite_or_inf(fcinfo, 0, "p_x")));
}

PG_FUNCTION_INFO_V1(experiments_normal_quantile);
Datum
experiments_normal_quantile(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(dist_normal_quantile(arg_probability(fcinfo, 0, "p_p")));
}

PG_FUNCTION_INFO_V1(experiments_student_t_cdf);
Datum
experiments_student_t_cdf(PG_FUNCTION_ARGS)
{
	double		t = arg_finite_or_inf(fcinfo, 0, "p_t");
	double		df = arg_df(fcinfo, 1, "p_df");

	PG_RETURN_FLOAT8(dist_t_cdf(t, df));
}

PG_FUNCTION_INFO_V1(experiments_student_t_quantile);
Datum
experiments_student_t_quantile(PG_FUNCTION_ARGS)
{
	double		p = arg_probability(fcinfo, 0, "p_p");
	double		df = arg_df(fcinfo, 1, "p_df");

	PG_RETURN_FLOAT8(dist_t_quantile(p, df));
}

PG_FUNCTION_INFO_V1(experiments_chi_square_sf);
Datum
experiments_chi_square_sf(PG_FUNCTION_ARGS)
{
	double		x = arg_finite_or_inf(fcinfo, 0, "p_x");
	double		df = arg_df(fcinfo, 1, "p_df");

	PG_RETURN_FLOAT8(dist_chisq_sf(x, df));
}
