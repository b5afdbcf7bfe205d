/*-------------------------------------------------------------------------
 *
 * stream.h
 *	  Run a kept statement and hand each result row to C as the executor
 *	  produces it.
 *
 * SPI's usual ways to read a large result both cost something per row and
 * more: SPI_execute_plan copies every row into SPI_tuptable (all of them,
 * at once, in memory), and a cursor copies them batch by batch and runs
 * the plan without parallel workers (a cursor may be suspended between
 * fetches, which parallel query does not allow).  stmt_stream runs the plan
 * once, to completion, with a receiver that calls fn for each row's slot:
 * nothing is copied, and a plan prepared with CURSOR_OPT_PARALLEL_OK may
 * use its workers.
 *
 *	static void count_row(TupleTableSlot *slot, void *arg) { ... }
 *
 *	n = stmt_stream(&events_by_user, NULL, args, NULL,
 *					CURSOR_OPT_PARALLEL_OK, count_row, &state);
 *
 * fn runs in a memory context reset after every row: what it keeps must be
 * allocated elsewhere (the slot's values, too, live only until the next
 * row).  Read-only statements only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_STREAM_H
#define EXPERIMENTS_STREAM_H

#include "postgres.h"
#include "executor/tuptable.h"

#include "common/stmt.h"

typedef void (*StreamRowFn) (TupleTableSlot *slot, void *arg);

/*
 * Run def (values/nulls as for stmt_run) and call fn(slot, arg) for each
 * row; returns the number of rows.
 */
extern uint64 stmt_stream(const StmtDef *def, const char *schema,
						  Datum *values, const char *nulls, int cursor_options,
						  StreamRowFn fn, void *arg);

#endif							/* EXPERIMENTS_STREAM_H */
