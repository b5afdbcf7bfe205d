/*-------------------------------------------------------------------------
 *
 * realtime.c
 *	  The experiments_realtime publication, made by the install script.
 *
 * PostgreSQL 15 cannot make a publication a member of an extension, so
 * DROP EXTENSION leaves it behind (empty: its tables are gone) and a plain
 * CREATE PUBLICATION in the install script would then fail on the next
 * CREATE EXTENSION.  The install script therefore calls this function once,
 * and drops it again: it creates the publication, or points an existing one
 * of that name at the domain's tables.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"

#include "experiments/experiments.h"

#define REALTIME_TABLES \
	"experiments.assignments, experiments.variants, " \
	"experiments.variant_counters, experiments.outbox_events"

PG_FUNCTION_INFO_V1(experiments_install_realtime_publication);

Datum
experiments_install_realtime_publication(PG_FUNCTION_ARGS)
{
	int			rc;
	bool		exists;

	SPI_connect();
	rc = SPI_execute("SELECT 1 FROM pg_catalog.pg_publication "
					 "WHERE pubname OPERATOR(pg_catalog.=) 'experiments_realtime'",
					 true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not look up publication experiments_realtime");
	exists = SPI_processed > 0;
	if (exists)
		rc = SPI_execute("ALTER PUBLICATION experiments_realtime SET TABLE "
						 REALTIME_TABLES, false, 0);
	else
		rc = SPI_execute("CREATE PUBLICATION experiments_realtime FOR TABLE "
						 REALTIME_TABLES, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "could not set up publication experiments_realtime");
	SPI_finish();
	PG_RETURN_BOOL(!exists);
}
