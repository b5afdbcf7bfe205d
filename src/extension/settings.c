/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  The library's configuration parameters, defined when it is loaded.
 *
 * experiments.durable_leases (boolean, default off, any user may set it):
 *	  when off, an orchestration fetch whose claim is all its transaction
 *	  wrote commits without waiting for the WAL flush (see
 *	  src/orchestration/lease.c); when on, it commits like any other
 *	  transaction, in the caller's synchronous_commit mode.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "common/compat.h"
#include "extension/settings.h"

bool		experiments_durable_leases = false;

void
_PG_init(void)
{
	DefineCustomBoolVariable("experiments.durable_leases",
							 "Makes orchestration fetches wait for the WAL flush at commit.",
							 "Off: a fetch whose claim is all its transaction wrote "
							 "commits without waiting; a crash may then lose a claim "
							 "not yet acknowledged, and the work is handed out again.",
							 &experiments_durable_leases,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	compat_reserve_guc_prefix("experiments");
}
