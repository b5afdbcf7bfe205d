/*-------------------------------------------------------------------------
 *
 * mgmt_util.c
 *	  Helpers of the orchestration management functions (management.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"

#include "common/stmt.h"
#include "orchestration/management.h"

Datum
mgmt_scalar(const StmtDef *def, const char *hub, Datum *args, const char *nulls,
			bool read_only, bool *isnull)
{
	uint64		n;
	Datum		value;

	n = stmt_run(def, hub, args, nulls, read_only, 0, SPI_OK_SELECT);
	*isnull = true;
	if (n == 0)
		return (Datum) 0;
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	if (*isnull)
		return (Datum) 0;
	return SPI_datumTransfer(value,
							 TupleDescAttr(SPI_tuptable->tupdesc, 0)->attbyval,
							 TupleDescAttr(SPI_tuptable->tupdesc, 0)->attlen);
}
