/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  The daily partitions of experiments.events: ensure_event_partitions()
 *	  and cleanup_old_events().
 *
 * events is partitioned by range of created_at, one partition per UTC day
 * named events_pYYYYMMDD ([day 00:00 UTC, next day 00:00 UTC)), plus the
 * DEFAULT partition events_default, which takes the rows of any day that has
 * no partition yet.  The writers never look at the catalog: partitions are
 * created ahead in bulk, by ensure_event_partitions() (called by the operator
 * or a scheduler) and by every cleanup_old_events() (today to 7 days ahead).
 *
 * Creating a day: a standalone table LIKE events_default (with its key and
 * indexes: they are declared per partition, see 100_experiments_tables.sql)
 * is filled with the rows of that day the default partition holds (moved in
 * one statement), then ATTACHed.  ATTACH takes SHARE UPDATE EXCLUSIVE on the parent, so inserts
 * into other days go on; the default partition is locked ACCESS EXCLUSIVE
 * first, so no row of that day can reach it between the move and the attach.
 *
 * Cleanup keeps events in whole UTC days: with the cutoff now() - p_days,
 * a daily partition is dropped once the whole day is older than the cutoff;
 * the day straddling the cutoff is kept whole until it is entirely outside
 * the window, so an event is kept at least p_days days and less than one day
 * more.  Deleting the straddling day's older part row by row cost as much as
 * dropping all the other days together (docs/design/experiments.md,
 * "Retention").  Rows that are not in a daily partition (the default
 * partition, any partition the extension did not name) have no day to keep
 * whole: those older than the exact cutoff are deleted, first, under SHARE
 * UPDATE EXCLUSIVE on the parent (which serialises cleanups and partition
 * creation, and lets inserts run).  Then the parent is locked ACCESS
 * EXCLUSIVE, and each day to drop is locked, counted exactly (page by page,
 * heapcount.h: deleted_events stays exact) and dropped.  The parent is
 * always locked before any partition, as inserts do, so a concurrent insert
 * waits for the commit and never fails or loses a row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "access/table.h"
#include "access/xact.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/heapcount.h"
#include "common/probe.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "experiments/experiments.h"

/* Days created ahead by cleanup_old_events (today included). */
#define EXP_PARTITION_DAYS_AHEAD 7
/* Most days one ensure_event_partitions call may cover. */
#define EXP_PARTITION_MAX_SPAN 3660

/* $1 first day, $2 last day: the days in between without a partition. */
static const StmtDef missing_days = {
	"experiments.partitions.missing",
	"SELECT d::date, 'events_p' OPERATOR(pg_catalog.||) pg_catalog.to_char(d, 'YYYYMMDD')"
	"  FROM pg_catalog.generate_series($1::timestamp, $2::timestamp, interval '1 day') d"
	" WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
	"                    WHERE c.relnamespace = 'experiments'::regnamespace"
	"                      AND c.relname = 'events_p' OPERATOR(pg_catalog.||)"
	"                                      pg_catalog.to_char(d, 'YYYYMMDD'))"
	" ORDER BY 1",
	2, {DATEOID, DATEOID}
};

/*
 * $1 cutoff: every partition of events with what cleanup does with it:
 * 'd' drop (a day entirely older than the cutoff), 's' delete the rows older
 * than the cutoff (the default partition and any partition not named by the
 * extension), 'k' keep (the day straddling the cutoff, and the later days);
 * and its OID.
 */
static const StmtDef list_partitions = {
	"experiments.partitions.list",
	"SELECT c.relname::text,"
	"       CASE WHEN c.relname !~ '^events_p[0-9]{8}$' THEN 's'"
	"            WHEN (pg_catalog.to_date(pg_catalog.substr(c.relname, 9), 'YYYYMMDD') + 1)"
	"                 ::timestamp AT TIME ZONE 'UTC' <= $1 THEN 'd'"
	"            ELSE 'k' END,"
	"       c.oid"
	"  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
	" WHERE i.inhparent = 'experiments.events'::regclass"
	" ORDER BY 1",
	1, {TIMESTAMPTZOID}
};

/*
 * now() - $1 days, the days counted in UTC like the partitions: in the
 * session's time zone a day across a daylight-saving change is 23 or 25
 * hours, and the cutoff would move by an hour with the caller's TimeZone.
 */
static const StmtDef cutoff_stmt = {
	"experiments.cleanup.cutoff",
	"SELECT pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', pg_catalog.now())"
	"                                  - pg_catalog.make_interval(days => $1))",
	1, {INT4OID}
};

static const StmtDef cleanup_outbox = {
	"experiments.cleanup.outbox",
	"DELETE FROM experiments.outbox_events"
	" WHERE processed_at < pg_catalog.now() - interval '7 days'",
	0, {InvalidOid}
};

/* Run a statement built here (names quoted), checking its result code. */
static uint64
run_sql(const char *sql, int nargs, Oid *types, Datum *values, int expect_rc)
{
	int			rc;

	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	if (rc != expect_rc)
		elog(ERROR, "experiments partitions: \"%s\" gave SPI code %d", sql, rc);
	return SPI_processed;
}

/* "experiments"."<relname>" */
static char *
qualified(const char *relname)
{
	return psprintf("%s.%s", quote_identifier("experiments"), quote_identifier(relname));
}

/* Today's UTC date, from the transaction's now(). */
static DateADT
utc_today(void)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int64		days = now / USECS_PER_DAY;

	if (now < 0 && now % USECS_PER_DAY != 0)
		days--;
	return (DateADT) days;
}

/*
 * Create the missing daily partitions from day first to day last (both
 * included), moving the rows of those days out of the default partition.
 * Runs inside SPI under the guard (so as the extension owner, who then owns
 * the new tables).  Returns how many were created.
 */
static int
ensure_partitions(DateADT first, DateADT last)
{
	Datum		args[2];
	uint64		n;
	uint64		i;
	char	  **names;
	DateADT    *days;
	bool		isnull;
	char	   *parent = qualified("events");
	char	   *deflt = qualified("events_default");

	args[0] = DateADTGetDatum(first);
	args[1] = DateADTGetDatum(last);
	/* serialises partition changes; inserts (ROW EXCLUSIVE) go on */
	run_sql(psprintf("LOCK TABLE ONLY %s IN SHARE UPDATE EXCLUSIVE MODE", parent),
			0, NULL, NULL, SPI_OK_UTILITY);
	n = stmt_run(&missing_days, NULL, args, NULL, true, 0, SPI_OK_SELECT);
	if (n == 0)
		return 0;
	names = palloc(sizeof(char *) * n);
	days = palloc(sizeof(DateADT) * n);
	for (i = 0; i < n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;

		days[i] = DatumGetDateADT(SPI_getbinval(t, d, 1, &isnull));
		names[i] = TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull));
	}

	/* no row of these days may reach the default partition until commit */
	run_sql(psprintf("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", deflt),
			0, NULL, NULL, SPI_OK_UTILITY);
	for (i = 0; i < n; i++)
	{
		char	   *part = qualified(names[i]);
		Oid			types[2] = {TIMESTAMPTZOID, TIMESTAMPTZOID};
		Datum		bounds[2];
		char	   *lo;
		char	   *hi;

		bounds[0] = TimestampTzGetDatum((TimestampTz) days[i] * USECS_PER_DAY);
		bounds[1] = TimestampTzGetDatum((TimestampTz) (days[i] + 1) * USECS_PER_DAY);
		lo = DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(days[i])));
		hi = DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(days[i] + 1)));

		/* the key and indexes are per partition: those of events_default */
		run_sql(psprintf("CREATE TABLE %s (LIKE %s INCLUDING INDEXES INCLUDING STORAGE"
						 " INCLUDING COMPRESSION)", part, deflt), 0, NULL, NULL, SPI_OK_UTILITY);
		run_sql(psprintf("WITH m AS (DELETE FROM ONLY %s"
						 " WHERE created_at >= $1 AND created_at < $2 RETURNING *)"
						 " INSERT INTO %s SELECT * FROM m", deflt, part),
				2, types, bounds, SPI_OK_INSERT);
		run_sql(psprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES"
						 " FROM (%s) TO (%s)", parent, part,
						 quote_literal_cstr(psprintf("%s 00:00:00+00", lo)),
						 quote_literal_cstr(psprintf("%s 00:00:00+00", hi))),
				0, NULL, NULL, SPI_OK_UTILITY);
	}
	return (int) n;
}

/* A date argument: NULL gives dflt; an infinite date is 22023. */
static DateADT
date_arg(FunctionCallInfo fcinfo, int argno, const char *name, DateADT dflt)
{
	DateADT		d;

	if (PG_ARGISNULL(argno))
		return dflt;
	d = PG_GETARG_DATEADT(argno);
	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite date", name)));
	return d;
}

PG_FUNCTION_INFO_V1(experiments_ensure_event_partitions);

/*
 * ensure_event_partitions(p_from date, p_to date) -> integer: creates the
 * missing daily partitions from p_from to p_to (UTC days, both included;
 * defaults today and today + 7) and returns how many it created.
 */
Datum
experiments_ensure_event_partitions(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	DateADT		today = utc_today();
	DateADT		first = date_arg(fcinfo, 0, "p_from", today);
	DateADT		last = date_arg(fcinfo, 1, "p_to", today + EXP_PARTITION_DAYS_AHEAD);
	int			created;

	if (last < first)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_to must not be before p_from")));
	if ((int64) last - first >= EXP_PARTITION_MAX_SPAN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_from to p_to spans more than %d days", EXP_PARTITION_MAX_SPAN)));

	api_spi_begin(fcinfo, &guard);
	created = ensure_partitions(first, last);
	api_spi_end(&guard);
	PG_RETURN_INT32(created);
}

/*
 * The rows of a daily partition about to be dropped, exactly: locked
 * ACCESS EXCLUSIVE (the DROP that follows needs that lock anyway, and it
 * keeps every writer out), then counted page by page under the snapshot a
 * statement run here would take (heapcount.h); a partition of another
 * access method is counted with SQL.
 */
static int64
rows_to_drop(Oid relid, const char *qualified_name)
{
	Relation	rel = table_open(relid, AccessExclusiveLock);
	int64		n;

	if (heap_countable(rel))
	{
		ProbeSnapshot ps;

		probe_snapshot_begin(&ps);
		n = heap_visible_rows(rel, ps.snapshot);
		probe_snapshot_end(&ps);
	}
	else
	{
		bool		isnull;

		run_sql(psprintf("SELECT pg_catalog.count(*) FROM ONLY %s", qualified_name),
				0, NULL, NULL, SPI_OK_SELECT);
		n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										&isnull));
	}
	table_close(rel, NoLock);
	return n;
}

PG_FUNCTION_INFO_V1(experiments_cleanup_old_events);

/* cleanup_old_events(p_days_to_keep) -> TABLE(deleted_events, deleted_outbox). */
Datum
experiments_cleanup_old_events(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[1];
	Datum		cutoff;
	bool		isnull;
	uint64		n;
	uint64		i;
	int64		deleted = 0;
	int64		outbox;
	List	   *drops = NIL;	/* names of the days to drop */
	List	   *drop_oids = NIL;	/* and their OIDs */
	ListCell   *lc;
	ListCell   *lo;
	char	   *parent = qualified("events");
	Datum		values[2];
	bool		nulls[2] = {false, false};
	DateADT		today = utc_today();

	args[0] = Int32GetDatum(arg_int32_in(fcinfo, 0, "p_days_to_keep", 0, 36500));
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	(void) stmt_run(&cutoff_stmt, NULL, args, NULL, true, 0, SPI_OK_SELECT);
	cutoff = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

	/* cleanups and partition creation one at a time; inserts go on */
	run_sql(psprintf("LOCK TABLE ONLY %s IN SHARE UPDATE EXCLUSIVE MODE", parent),
			0, NULL, NULL, SPI_OK_UTILITY);
	n = stmt_run(&list_partitions, NULL, &cutoff, NULL, true, 0, SPI_OK_SELECT);
	{
		SPITupleTable *parts = SPI_tuptable;

		for (i = 0; i < n; i++)
		{
			HeapTuple	t = parts->vals[i];
			char	   *name = TextDatumGetCString(SPI_getbinval(t, parts->tupdesc, 1, &isnull));
			char	   *what = TextDatumGetCString(SPI_getbinval(t, parts->tupdesc, 2, &isnull));

			if (what[0] == 'd')
			{
				drops = lappend(drops, name);
				drop_oids = lappend_oid(drop_oids, DatumGetObjectId(SPI_getbinval(t, parts->tupdesc,
																				  3, &isnull)));
			}
			else if (what[0] == 's')
			{
				Oid			types[1] = {TIMESTAMPTZOID};

				deleted += run_sql(psprintf("DELETE FROM ONLY %s WHERE created_at < $1",
											qualified(name)),
								   1, types, &cutoff, SPI_OK_DELETE);
			}
		}
		SPI_freetuptable(parts);
	}

	outbox = (int64) stmt_run(&cleanup_outbox, NULL, NULL, NULL, false, 0, SPI_OK_DELETE);

	if (drops != NIL)
	{
		/* the parent before any partition, as every insert locks them */
		run_sql(psprintf("LOCK TABLE ONLY %s IN ACCESS EXCLUSIVE MODE", parent),
				0, NULL, NULL, SPI_OK_UTILITY);
		forboth(lc, drops, lo, drop_oids)
		{
			char	   *part = qualified((char *) lfirst(lc));

			deleted += rows_to_drop(lfirst_oid(lo), part);
			run_sql(psprintf("DROP TABLE %s", part), 0, NULL, NULL, SPI_OK_UTILITY);
		}
	}

	/* the days ahead, so that new rows do not pile up in the default partition */
	(void) ensure_partitions(today, today + EXP_PARTITION_DAYS_AHEAD);

	api_spi_end(&guard);
	values[0] = Int64GetDatum(deleted);
	values[1] = Int64GetDatum(outbox);
	srf_put(fcinfo, values, nulls);
	return (Datum) 0;
}
