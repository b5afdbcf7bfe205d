/*-------------------------------------------------------------------------
 *
 * daily.c
 *	  get_daily_metrics: per day and variant, the distinct users, the
 *	  events and the conversions of the last p_days days.
 *
 * The query one would write by hand joins the events to variants, groups
 * by day and key and counts count(DISTINCT user_id), filtering on
 * created_at >= (CURRENT_DATE - p_days)::timestamptz.  Here:
 *
 *	- the window's start is computed once, in C, and passed as a
 *	  timestamptz: CURRENT_DATE - n cast to timestamptz is a stable
 *	  expression, which the scan would evaluate again for every row it
 *	  filters;
 *	- the window's events are read once through stmt_stream, sorted by day
 *	  and variant id (cheap keys with few values, sorted in parallel workers
 *	  when the plan has them), and each group's distinct users are counted
 *	  in a set of ids (user_set.h) emptied for the next group, where
 *	  count(DISTINCT) would sort each group's ids once more, in the leader
 *	  alone.  Memory: the largest group's distinct ids;
 *	- the groups meet their variants' keys in one small statement, which
 *	  drops events whose variant does not exist and orders the rows: newest
 *	  day first, then variant key.
 *
 * A day is the event time's date in the session's time zone, as
 * created_at::date gives it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "common/stream.h"
#include "experiments/analytics.h"
#include "experiments/user_set.h"

/* Columns: 1 day, 2 variant id, 3 user id, 4 is a conversion. */
static const StmtDef daily_events_stmt = {
	"analytics.daily_events",
	"SELECT e.created_at::date, e.variant_id, e.user_id, e.event_type = 'conversion'"
	"  FROM experiments.events e"
	" WHERE e.experiment_id = $1 AND e.created_at >= $2 AND e.variant_id IS NOT NULL"
	" ORDER BY 1, 2",
	2, {INT8OID, TIMESTAMPTZOID}
};

static const StmtDef daily_result_stmt = {
	"analytics.daily_result",
	"SELECT u.day, v.key, u.users, u.events, u.conversions"
	"  FROM ROWS FROM (pg_catalog.unnest($1::date[]), pg_catalog.unnest($2::int8[]),"
	"                  pg_catalog.unnest($3::int8[]), pg_catalog.unnest($4::int8[]),"
	"                  pg_catalog.unnest($5::int8[]))"
	"       AS u (day, variant_id, users, events, conversions)"
	"  JOIN experiments.variants v ON v.id = u.variant_id"
	" ORDER BY 1 DESC, 2",
	5, {DATEARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
};

#define DAILY_COLUMNS 5

typedef struct Daily
{
	Datum	   *cols[DAILY_COLUMNS];	/* the finished groups, column by column */
	int			ngroups;
	int			cap;
	bool		open;			/* a group is being counted */
	DateADT		day;			/* the open group */
	int64		variant_id;
	int64		events;
	int64		conversions;
	UserSet		users;			/* the open group's distinct users */
} Daily;

static void
daily_close_group(Daily *d)
{
	int			c;

	if (!d->open)
		return;
	if (d->ngroups == d->cap)
	{
		d->cap *= 2;
		for (c = 0; c < DAILY_COLUMNS; c++)
			d->cols[c] = repalloc(d->cols[c], sizeof(Datum) * d->cap);
	}
	d->cols[0][d->ngroups] = DateADTGetDatum(d->day);
	d->cols[1][d->ngroups] = Int64GetDatum(d->variant_id);
	d->cols[2][d->ngroups] = Int64GetDatum((int64) d->users.count);
	d->cols[3][d->ngroups] = Int64GetDatum(d->events);
	d->cols[4][d->ngroups] = Int64GetDatum(d->conversions);
	d->ngroups++;
	d->open = false;
}

static void
daily_row(TupleTableSlot *slot, void *arg)
{
	Daily	   *d = (Daily *) arg;
	bool		isnull;
	DateADT		day = DatumGetDateADT(slot_getattr(slot, 1, &isnull));
	int64		variant_id = DatumGetInt64(slot_getattr(slot, 2, &isnull));

	if (!d->open || day != d->day || variant_id != d->variant_id)
	{
		daily_close_group(d);
		user_set_clear(&d->users);
		d->open = true;
		d->day = day;
		d->variant_id = variant_id;
		d->events = d->conversions = 0;
	}
	d->events++;
	if (DatumGetBool(slot_getattr(slot, 4, &isnull)))
		d->conversions++;
	(void) user_set_add(&d->users, slot_getattr(slot, 3, &isnull));
}

PG_FUNCTION_INFO_V1(experiments_get_daily_metrics);
Datum
experiments_get_daily_metrics(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[DAILY_COLUMNS];
	Daily		d;
	int32		days;
	int			c;

	arg_not_null(fcinfo, 0, "p_experiment_id");
	days = arg_int32_in(fcinfo, 1, "p_days", 0, 36500);
	args[0] = PG_GETARG_DATUM(0);
	/* (CURRENT_DATE - days)::timestamptz, as the session would compute it */
	args[1] = DirectFunctionCall1(date_timestamptz,
								  DirectFunctionCall2(date_mii,
													  DateADTGetDatum(GetSQLCurrentDate()),
													  Int32GetDatum(days)));

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	memset(&d, 0, sizeof(d));
	d.cap = 64;
	for (c = 0; c < DAILY_COLUMNS; c++)
		d.cols[c] = palloc(sizeof(Datum) * d.cap);
	user_set_init(&d.users);
	stmt_stream(&daily_events_stmt, NULL, args, NULL, CURSOR_OPT_PARALLEL_OK,
				daily_row, &d);
	daily_close_group(&d);

	args[0] = PointerGetDatum(construct_array(d.cols[0], d.ngroups, DATEOID,
											  sizeof(DateADT), true, TYPALIGN_INT));
	for (c = 1; c < DAILY_COLUMNS; c++)
		args[c] = PointerGetDatum(construct_array(d.cols[c], d.ngroups, INT8OID,
												  sizeof(int64), FLOAT8PASSBYVAL,
												  TYPALIGN_DOUBLE));
	stmt_run(&daily_result_stmt, NULL, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}
