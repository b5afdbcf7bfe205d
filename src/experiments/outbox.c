/*-------------------------------------------------------------------------
 *
 * outbox.c
 *	  The outbox relay: claim_outbox_events() and ack_outbox_events().
 *
 * Every routine that writes outbox rows also queues NOTIFY
 * experiments_outbox; PostgreSQL merges the identical notifications of one
 * transaction, so a relay that LISTENs is woken once per committing
 * transaction, and never by one that rolled back.
 *
 * A relay claims a batch: the oldest unprocessed rows that nobody holds,
 * locked with SKIP LOCKED so that concurrent relays take disjoint rows, and
 * leased (claimed_until) so that the claim survives the claiming transaction
 * and a relay that dies lets its rows be claimed again when the lease ends.
 * The relay publishes them and acknowledges them by id; an acknowledged row
 * is processed and never claimed again.  Delivery is at least once: a relay
 * that publishes and dies before acknowledging leaves rows that another relay
 * re-delivers after the lease.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "experiments/experiments.h"

#define EXP_MAX_ACK 100000

/* $1 limit, $2 lease seconds. */
static const StmtDef claim_outbox = {
	"experiments.outbox.claim",
	"WITH c AS ("
	"  SELECT id FROM experiments.outbox_events"
	"   WHERE processed_at IS NULL"
	"     AND (claimed_until IS NULL OR claimed_until <= pg_catalog.now())"
	"   ORDER BY id LIMIT $1"
	"   FOR UPDATE SKIP LOCKED),"
	" u AS ("
	"  UPDATE experiments.outbox_events o"
	"     SET claimed_until = pg_catalog.now()"
	"                         + pg_catalog.make_interval(secs => $2::float8)"
	"    FROM c WHERE o.id = c.id"
	"  RETURNING o.id, o.aggregate_type, o.aggregate_id, o.event_type, o.payload,"
	"            o.created_at)"
	" SELECT * FROM u ORDER BY id",
	2, {INT4OID, INT4OID}
};

static const StmtDef ack_outbox = {
	"experiments.outbox.ack",
	"UPDATE experiments.outbox_events"
	"   SET processed_at = pg_catalog.now(), claimed_until = NULL"
	" WHERE id = ANY ($1) AND processed_at IS NULL",
	1, {INT8ARRAYOID}
};

PG_FUNCTION_INFO_V1(experiments_claim_outbox_events);

/* claim_outbox_events(p_limit, p_lease_seconds) -> the claimed rows, in id order. */
Datum
experiments_claim_outbox_events(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	Datum		args[2];

	args[0] = Int32GetDatum(arg_int32_in(fcinfo, 0, "p_limit", 1, 10000));
	args[1] = Int32GetDatum(arg_int32_in(fcinfo, 1, "p_lease_seconds", 1, 86400));
	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	(void) stmt_run(&claim_outbox, NULL, args, NULL, false, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_ack_outbox_events);

/*
 * ack_outbox_events(p_ids bigint[]) -> int: how many of the rows were
 * marked processed now (ids already processed or unknown count nothing).
 */
Datum
experiments_ack_outbox_events(PG_FUNCTION_ARGS)
{
	ApiGuard	guard;
	ArrayType  *ids;
	Datum		args[1];
	uint64		acked;

	arg_not_null(fcinfo, 0, "p_ids");
	ids = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(ids) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_ids must be a one-dimensional array")));
	if (ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids)) > EXP_MAX_ACK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_ids has more than %d elements", EXP_MAX_ACK)));
	api_spi_begin(fcinfo, &guard);
	args[0] = PointerGetDatum(ids);
	acked = stmt_run(&ack_outbox, NULL, args, NULL, false, 0, SPI_OK_UPDATE);
	api_spi_end(&guard);
	PG_RETURN_INT32((int32) acked);
}
