/*-------------------------------------------------------------------------
 *
 * dist.h
 *	  Probability distributions for the experiment statistics, in double
 *	  precision with no external library.
 *
 * The normal CDF rests on the C library's erfc; everything else on two
 * special functions written here: the regularised incomplete beta function
 * (Student's t) and the regularised incomplete gamma function (chi-square),
 * both by their continued fractions (modified Lentz), with the logarithm of
 * the prefactor computed from Stirling differences so that huge degrees of
 * freedom keep full relative precision.  Quantiles invert the CDFs by
 * safeguarded Newton/Halley steps.
 *
 * The dist_* functions take arguments already checked by the caller (finite,
 * df > 0, p in [0, 1]) and never raise; they return NaN only if handed NaN.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_DIST_H
#define EXPERIMENTS_DIST_H

#include "postgres.h"
#include "fmgr.h"

/* Standard normal: P(Z <= x), P(Z > x), and x with P(Z <= x) = p. */
extern double dist_normal_cdf(double x);
extern double dist_normal_sf(double x);
extern double dist_normal_quantile(double p);

/* Student's t with df > 0 degrees of freedom (df may be fractional or huge). */
extern double dist_t_cdf(double t, double df);
extern double dist_t_sf(double t, double df);
extern double dist_t_quantile(double p, double df);

/* Chi-square with df > 0 degrees of freedom: P(X > x). */
extern double dist_chisq_sf(double x, double df);

/* Regularised incomplete functions (exposed for the self-checks). */
extern double dist_inc_beta(double x, double a, double b);
extern double dist_inc_gamma_upper(double a, double x);

extern PGDLLEXPORT Datum experiments_normal_cdf(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_normal_quantile(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_student_t_cdf(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_student_t_quantile(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_chi_square_sf(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_DIST_H */
