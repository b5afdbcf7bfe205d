/*-------------------------------------------------------------------------
 *
 * access.c
 *	  grant_access() and revoke_access(): the extension's privilege model.
 *
 * Nothing the extension creates is usable by PUBLIC except version().
 * Which routines belong to which domain, and which of them write, is kept
 * in experiments.api_routines, filled by the install script next to each
 * routine's declaration.  grant_access() hands a role EXECUTE on a domain's
 * routines (only the non-writing ones when read-only); the routines then
 * reach the tables with the extension owner's rights, so the role never
 * needs, and never gets, a privilege on a table.
 *
 * Only the extension owner (or a member of its role, or a superuser) may
 * grant or revoke; the GRANT itself runs as the owner, who is the grantor.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/srf.h"
#include "common/stmt.h"

static const char *const api_domains[] = {
	"experiments", "orchestration", "quota", "campaigns", NULL
};

/*
 * Concurrent GRANTs on one object fail with "tuple concurrently updated";
 * grant_access and revoke_access take turns on a self-conflicting lock of
 * the registry instead.  Readers of the registry are not blocked.
 */
static const StmtDef lock_registry = {
	"access.lock_registry",
	"LOCK TABLE experiments.api_routines IN SHARE UPDATE EXCLUSIVE MODE",
	0, {InvalidOid}
};

static const StmtDef select_routines = {
	"access.select_routines",
	"SELECT domain, routine, writes"
	"  FROM experiments.api_routines"
	" WHERE domain = ANY ($1) AND (NOT $2 OR NOT writes)"
	" ORDER BY domain, routine",
	2, {TEXTARRAYOID, BOOLOID}
};

/* The role argument as a name, checked to exist and not to be PUBLIC. */
static char *
role_argument(FunctionCallInfo fcinfo)
{
	Oid			roleid;
	char	   *name;

	arg_not_null(fcinfo, 0, "p_role");
	roleid = PG_GETARG_OID(0);
	if (!OidIsValid(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_role must name a role"),
				 errhint("PUBLIC cannot be given access; grant to a role instead.")));
	name = GetUserNameFromId(roleid, true);
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", roleid)));
	return name;
}

/* p_domains as a text[] datum: NULL means every domain; checked element-wise. */
static Datum
domains_argument(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;
	int			i;

	if (PG_ARGISNULL(argno))
	{
		Datum		all[4];

		for (i = 0; i < 4; i++)
			all[i] = CStringGetTextDatum(api_domains[i]);
		return PointerGetDatum(construct_array(all, 4, TEXTOID, -1, false,
											   TYPALIGN_INT));
	}

	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_domains must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &elem_nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_domains must not be empty"),
				 errhint("Pass NULL for every domain.")));
	for (i = 0; i < n; i++)
	{
		if (elem_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("p_domains must not contain null")));
		arg_one_of(TextDatumGetCString(elems[i]), "domain", api_domains);
	}
	return PointerGetDatum(arr);
}

static void
require_extension_owner(const char *action)
{
	Oid			owner = experiments_owner();

	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s access to extension \"experiments\"",
						action),
				 errdetail("Only the extension owner \"%s\" and members of its role may %s access.",
						   GetUserNameFromId(owner, false), action)));
}

/*
 * change_access runs GRANT or REVOKE for the selected routines and returns
 * them as rows (domain, routine, writes).
 */
static Datum
change_access(FunctionCallInfo fcinfo, bool grant)
{
	char	   *role = role_argument(fcinfo);
	Datum		domains = domains_argument(fcinfo, 1);
	bool		read_only = false;
	ApiGuard	guard;
	Datum		args[2];
	StringInfoData sql;
	uint64		n;
	uint64		i;

	if (grant)
	{
		arg_not_null(fcinfo, 2, "p_read_only");
		read_only = PG_GETARG_BOOL(2);
	}
	require_extension_owner(grant ? "grant" : "revoke");

	srf_begin(fcinfo);
	api_spi_begin(fcinfo, &guard);

	(void) stmt_run(&lock_registry, NULL, NULL, NULL, false, 0, SPI_OK_UTILITY);

	initStringInfo(&sql);
	args[0] = domains;
	args[1] = BoolGetDatum(read_only);
	n = stmt_run(&select_routines, NULL, args, NULL, true, 0, SPI_OK_SELECT);
	if (n > 0)
	{
		SPITupleTable *rows = SPI_tuptable;

		appendStringInfo(&sql, "%s EXECUTE ON ROUTINE ", grant ? "GRANT" : "REVOKE");
		for (i = 0; i < n; i++)
			appendStringInfo(&sql, "%s%s", i == 0 ? "" : ", ",
							 SPI_getvalue(rows->vals[i], rows->tupdesc, 2));
		appendStringInfo(&sql, " %s %s", grant ? "TO" : "FROM", quote_identifier(role));
		srf_put_spi_rows(fcinfo);

		if (SPI_execute(sql.data, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not change access: %s", sql.data);
	}
	/*
	 * Schema usage goes with any grant and with a revoke of every domain, so
	 * that a fully revoked role holds nothing of ours and can be dropped.
	 */
	if (grant || PG_ARGISNULL(1))
	{
		resetStringInfo(&sql);
		appendStringInfo(&sql, "%s USAGE ON SCHEMA experiments %s %s",
						 grant ? "GRANT" : "REVOKE", grant ? "TO" : "FROM",
						 quote_identifier(role));
		if (SPI_execute(sql.data, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not change schema usage");
	}

	api_spi_end(&guard);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(experiments_grant_access);

/* experiments_grant_access: grant_access(p_role, p_domains, p_read_only). */
Datum
experiments_grant_access(PG_FUNCTION_ARGS)
{
	return change_access(fcinfo, true);
}

PG_FUNCTION_INFO_V1(experiments_revoke_access);

/* experiments_revoke_access: revoke_access(p_role, p_domains). */
Datum
experiments_revoke_access(PG_FUNCTION_ARGS)
{
	return change_access(fcinfo, false);
}
