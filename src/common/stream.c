/*-------------------------------------------------------------------------
 *
 * stream.c
 *	  Statement results handed to C row by row (see stream.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/params.h"
#include "tcop/dest.h"
#include "utils/memutils.h"

#include "common/stream.h"

typedef struct StreamReceiver
{
	DestReceiver pub;
	StreamRowFn fn;
	void	   *arg;
	MemoryContext rowcxt;
} StreamReceiver;

static bool
stream_receive(TupleTableSlot *slot, DestReceiver *self)
{
	StreamReceiver *r = (StreamReceiver *) self;
	MemoryContext old = MemoryContextSwitchTo(r->rowcxt);

	r->fn(slot, r->arg);
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->rowcxt);
	return true;
}

static void
stream_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	(void) self;
	(void) operation;
	(void) typeinfo;
}

static void
stream_noop(DestReceiver *self)
{
	(void) self;
}

uint64
stmt_stream(const StmtDef *def, const char *schema, Datum *values,
			const char *nulls, int cursor_options, StreamRowFn fn, void *arg)
{
	SPIPlanPtr	plan = stmt_plan_opts(def, schema, cursor_options);
	StreamReceiver r;
	SPIExecuteOptions opts;
	ParamListInfo params;
	int			i;
	int			rc;

	params = makeParamList(def->nargs);
	for (i = 0; i < def->nargs; i++)
	{
		ParamExternData *p = &params->params[i];

		p->value = values[i];
		p->isnull = nulls != NULL && nulls[i] == 'n';
		p->pflags = PARAM_FLAG_CONST;
		p->ptype = def->argtypes[i];
	}

	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = stream_receive;
	r.pub.rStartup = stream_startup;
	r.pub.rShutdown = stream_noop;
	r.pub.rDestroy = stream_noop;
	/* any destination but DestSPI or DestNone: SPI then answers SPI_OK_SELECT */
	r.pub.mydest = DestTuplestore;
	r.fn = fn;
	r.arg = arg;
	r.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "stream row",
									 ALLOCSET_SMALL_SIZES);

	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;
	opts.dest = (DestReceiver *) &r;

	rc = SPI_execute_plan_extended(plan, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "statement %s returned %s, expected %s", def->name,
			 SPI_result_code_string(rc), SPI_result_code_string(SPI_OK_SELECT));
	MemoryContextDelete(r.rowcxt);
	pfree(params);
	return SPI_processed;
}
