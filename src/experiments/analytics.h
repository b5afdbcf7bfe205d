/*-------------------------------------------------------------------------
 *
 * analytics.h
 *	  The experiment analytics and the decision call (analytics.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ANALYTICS_H
#define EXPERIMENTS_ANALYTICS_H

#include "postgres.h"
#include "fmgr.h"

extern PGDLLEXPORT Datum experiments_get_experiment_metrics(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_daily_metrics(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_funnel_metrics(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_experiment_stats(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_variant_stats(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_conversion_timeline(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_get_experiment_results(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_ANALYTICS_H */
