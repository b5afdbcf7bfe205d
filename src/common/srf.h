/*-------------------------------------------------------------------------
 *
 * srf.h
 *	  Results: one composite row, or a materialized set of rows.
 *
 *	srf_begin(fcinfo);                    -- before or after SPI_connect
 *	... stmt_run(...) ...
 *	srf_put_spi_rows(fcinfo);            -- every row SPI just returned
 *	srf_put(fcinfo, values, nulls);      -- or rows built in C
 *	return (Datum) 0;
 *
 * Rows go into a tuplestore that lives in the query's memory, so they may be
 * added while SPI is connected; the values are copied on the way in.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_SRF_H
#define EXPERIMENTS_SRF_H

#include "postgres.h"
#include "fmgr.h"
#include "access/tupdesc.h"

/* Set up materialize mode; returns the expected row descriptor. */
extern TupleDesc srf_begin(FunctionCallInfo fcinfo);
extern void srf_put(FunctionCallInfo fcinfo, Datum *values, bool *nulls);

/*
 * Append every row of SPI_tuptable; its columns must match the result's in
 * number and type (checked once per call, 42804 otherwise).
 */
extern void srf_put_spi_rows(FunctionCallInfo fcinfo);

/* The descriptor of a function returning one composite (OUT params, TABLE). */
extern TupleDesc row_result_desc(FunctionCallInfo fcinfo);

/* Form one composite row in the caller's context and return it as a Datum. */
extern Datum row_result(TupleDesc desc, Datum *values, bool *nulls);

#endif							/* EXPERIMENTS_SRF_H */
