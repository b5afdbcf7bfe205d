/*-------------------------------------------------------------------------
 *
 * listing.c
 *	  The management reads: list_instances(), list_instances_by_status(),
 *	  list_executions(), latest_execution_id(), get_instance_info(),
 *	  get_execution_info(), list_children(), get_parent_id().
 *
 * Each is one statement over the hub's indexes (instances by primary key,
 * by parent, by creation time; executions by status): see
 * sql/src/250_orchestration_management.sql and the benchmark report for the
 * plans on a hub of a million instances.  Orders are made total with the
 * instance id, so equal creation times list the same way every time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"
#include "orchestration/management.h"
#include "orchestration/orchestration.h"

static const StmtDef select_instances = {
	"orchestration.list_instances",
	"SELECT i.instance_id FROM @schema@.instances i"
	" ORDER BY i.created_at DESC, i.instance_id DESC",
	0, {InvalidOid}
};

/* $1 status of the current execution. */
static const StmtDef select_instances_by_status = {
	"orchestration.list_instances_by_status",
	"SELECT i.instance_id"
	"  FROM @schema@.executions e"
	"  JOIN @schema@.instances i ON i.instance_id = e.instance_id"
	"                           AND i.current_execution_id = e.execution_id"
	" WHERE e.status = $1"
	" ORDER BY i.created_at DESC, i.instance_id DESC",
	1, {TEXTOID}
};

static const StmtDef select_executions = {
	"orchestration.list_executions",
	"SELECT e.execution_id FROM @schema@.executions e"
	" WHERE e.instance_id = $1 ORDER BY e.execution_id",
	1, {TEXTOID}
};

static const StmtDef select_latest_execution = {
	"orchestration.latest_execution_id",
	"SELECT i.current_execution_id FROM @schema@.instances i WHERE i.instance_id = $1",
	1, {TEXTOID}
};

static const StmtDef select_instance_info = {
	"orchestration.get_instance_info",
	"SELECT i.instance_id, i.orchestration_name,"
	"       COALESCE(i.orchestration_version, 'unknown'), i.current_execution_id,"
	"       i.created_at, i.updated_at, e.status, e.output, i.parent_instance_id"
	"  FROM @schema@.instances i"
	"  LEFT JOIN @schema@.executions e ON e.instance_id = i.instance_id"
	"                                 AND e.execution_id = i.current_execution_id"
	" WHERE i.instance_id = $1",
	1, {TEXTOID}
};

static const StmtDef select_execution_info = {
	"orchestration.get_execution_info",
	"SELECT e.execution_id, e.status, e.output, e.started_at, e.completed_at,"
	"       (SELECT count(*) FROM @schema@.history h"
	"         WHERE h.instance_id = $1 AND h.execution_id = $2)"
	"  FROM @schema@.executions e"
	" WHERE e.instance_id = $1 AND e.execution_id = $2",
	2, {TEXTOID, INT8OID}
};

static const StmtDef select_children = {
	"orchestration.list_children",
	"SELECT i.instance_id FROM @schema@.instances i"
	" WHERE i.parent_instance_id = $1 ORDER BY i.created_at, i.instance_id",
	1, {TEXTOID}
};

/* Columns: 1 found, 2 parent. */
static const StmtDef select_parent = {
	"orchestration.get_parent_id",
	"SELECT i.parent_instance_id FROM @schema@.instances i WHERE i.instance_id = $1",
	1, {TEXTOID}
};

/* Run a one-argument (or no-argument) listing into a one-column result. */
static Datum
run_listing(FunctionCallInfo fcinfo, const StmtDef *def, const char *column,
			Oid type, const char *argname)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];

	if (argname != NULL)
		arg_not_null(fcinfo, 0, argname);
	orch_srf_begin_scalar(fcinfo, column, type);
	api_spi_begin(fcinfo, &guard);
	if (argname != NULL)
		args[0] = PG_GETARG_DATUM(0);
	(void) stmt_run(def, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_list_instances);

Datum
experiments_orch_list_instances(PG_FUNCTION_ARGS)
{
	return run_listing(fcinfo, &select_instances, "instance_id", TEXTOID, NULL);
}

PG_FUNCTION_INFO_V1(experiments_orch_list_instances_by_status);

Datum
experiments_orch_list_instances_by_status(PG_FUNCTION_ARGS)
{
	return run_listing(fcinfo, &select_instances_by_status, "instance_id", TEXTOID,
					   "p_status");
}

PG_FUNCTION_INFO_V1(experiments_orch_list_executions);

Datum
experiments_orch_list_executions(PG_FUNCTION_ARGS)
{
	return run_listing(fcinfo, &select_executions, "execution_id", INT8OID,
					   "p_instance_id");
}

PG_FUNCTION_INFO_V1(experiments_orch_list_children);

Datum
experiments_orch_list_children(PG_FUNCTION_ARGS)
{
	return run_listing(fcinfo, &select_children, "child_instance_id", TEXTOID,
					   "p_instance_id");
}

PG_FUNCTION_INFO_V1(experiments_orch_latest_execution_id);

/* latest_execution_id(p_instance_id) -> bigint, NULL when no such instance */
Datum
experiments_orch_latest_execution_id(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];
	Datum		result;
	bool		isnull;

	arg_not_null(fcinfo, 0, "p_instance_id");
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	result = mgmt_scalar(&select_latest_execution, hub, args, NULL, true, &isnull);
	api_spi_end(&guard);
	if (isnull)
		PG_RETURN_NULL();
	return result;
}

PG_FUNCTION_INFO_V1(experiments_orch_get_instance_info);

Datum
experiments_orch_get_instance_info(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];

	arg_not_null(fcinfo, 0, "p_instance_id");
	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	(void) stmt_run(&select_instance_info, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_get_execution_info);

Datum
experiments_orch_get_execution_info(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[2];

	arg_not_null(fcinfo, 0, "p_instance_id");
	arg_not_null(fcinfo, 1, "p_execution_id");
	(void) srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	(void) stmt_run(&select_execution_info, hub, args, NULL, true, 0, SPI_OK_SELECT);
	srf_put_spi_rows(fcinfo);
	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_orch_get_parent_id);

/*
 * get_parent_id(p_instance_id) -> text: NULL for a root; P0002
 * "Instance not found: <id>" when there is no such instance.
 */
Datum
experiments_orch_get_parent_id(PG_FUNCTION_ARGS)
{
	const char *hub = orch_hub(fcinfo);
	ApiGuard	guard;
	Datum		args[1];
	Datum		result = (Datum) 0;
	bool		isnull = true;
	uint64		n;

	arg_not_null(fcinfo, 0, "p_instance_id");
	api_spi_begin(fcinfo, &guard);
	args[0] = PG_GETARG_DATUM(0);
	n = stmt_run(&select_parent, hub, args, NULL, true, 0, SPI_OK_SELECT);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg(ORCH_ERR_NOT_FOUND_PARENT, TextDatumGetCString(PG_GETARG_DATUM(0)))));
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		result = SPI_datumTransfer(result, false, -1);
	api_spi_end(&guard);
	if (isnull)
		PG_RETURN_NULL();
	return result;
}
