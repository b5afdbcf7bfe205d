/*-------------------------------------------------------------------------
 *
 * lease.c
 *	  A fetch's claim commits without waiting for its WAL flush, when the
 *	  claim is all its transaction wrote.
 *
 * A fetch (fetch_orchestration_item, fetch_work_item) writes a lease: the
 * instance lock or the item's lock token, with an expiry.  Losing a lease in
 * a crash is what its expiry does anyway - the work is handed out again and
 * the holder's ack fails its token check - so a transaction that wrote
 * nothing but the lease need not wait for the disk at commit.  The ack that
 * follows commits durably, and WAL is flushed in order: once an ack is on
 * disk, so is the claim it acknowledges.  What a crash may lose is a claim
 * not yet acked (the work is handed out again) and the attempt count it
 * added.
 *
 * Only when the claim is the transaction's only WAL: at its start the
 * transaction has no xid (it wrote nothing before), and at commit no WAL
 * was written after the claim (XactLastRecEnd unchanged).  Any other write
 * in the same transaction - before, after, by a trigger - makes the commit
 * an ordinary one, in whatever synchronous_commit mode the caller set.
 * Setting experiments.durable_leases = on turns all of this off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "utils/guc.h"

#include "extension/settings.h"
#include "orchestration/orchestration.h"

static bool callback_registered = false;
static bool lease_pending = false;
static SubTransactionId lease_subxact;
static XLogRecPtr lease_end;

static void
lease_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PRE_COMMIT && lease_pending && XactLastRecEnd == lease_end &&
		!experiments_durable_leases && synchronous_commit > SYNCHRONOUS_COMMIT_OFF)
		(void) set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PRE_PREPARE)
		lease_pending = false;
}

static void
lease_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	/* a claim made in a subtransaction that rolls back is gone */
	if (event == SUBXACT_EVENT_ABORT_SUB && lease_pending && mySubid == lease_subxact)
		lease_pending = false;
}

bool
orch_lease_begin(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(lease_xact_callback, NULL);
		RegisterSubXactCallback(lease_subxact_callback, NULL);
		callback_registered = true;
	}
	lease_pending = false;
	return !TransactionIdIsValid(GetTopTransactionIdIfAny());
}

void
orch_lease_end(bool alone)
{
	if (alone && TransactionIdIsValid(GetTopTransactionIdIfAny()))
	{
		lease_pending = true;
		lease_subxact = GetCurrentSubTransactionId();
		lease_end = XactLastRecEnd;
	}
}
