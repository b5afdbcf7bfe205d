/*-------------------------------------------------------------------------
 *
 * analytics.h
 *	  The experiment analytics and the decision call (analytics.c, funnel.c,
 *	  daily.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ANALYTICS_H
#define EXPERIMENTS_ANALYTICS_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/array.h"

#define AN_MAX_STEPS 20

/*
 * The event types of a filter or funnel (arr, the argument called name):
 * 1..AN_MAX_STEPS valid names, distinct if asked; out[] gets them as C
 * strings.  Errors name the argument.
 */
extern int	an_check_types(ArrayType *arr, const char *name, bool distinct, char **out);

extern PGDLLEXPORT Datum experiments_get_experiment_metrics(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_daily_metrics(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_funnel_metrics(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_experiment_stats(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_variant_stats(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_conversion_timeline(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_experiment_results(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_ANALYTICS_H */
