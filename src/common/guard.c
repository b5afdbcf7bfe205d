/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  Run API bodies as the routine's owner with a pinned lookup path.
 *
 * Why not SECURITY DEFINER with SET search_path: both would work, but the
 * fmgr wrapper they need saves and restores GUCs on every call and hides the
 * caller from the body.  Doing it here costs two assignments and a push of a
 * fixed search path, and the body can still see who called it.
 *
 * The lookup path while guarded is pg_catalog only: pg_temp is not searched
 * even for relations, and no schema a caller can write to is searched at all.
 * Statement texts are schema-qualified anyway; the pin is what makes plain
 * operators such as "=" safe to write in them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "common/compat.h"
#include "common/guard.h"

#if PG_VERSION_NUM < 170000
#define GUARD_USE_OVERRIDE_PATH 1
#else
#include "utils/guc.h"
#define GUARD_USE_OVERRIDE_PATH 0
#endif

/*
 * api_routine reads the called routine's owner and schema from pg_proc and
 * keeps them in fn_extra, so a query calling us a million times looks once.
 */
const ApiRoutine *
api_routine(FunctionCallInfo fcinfo)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	ApiRoutine *routine;
	HeapTuple	tuple;
	Form_pg_proc proc;
	char	   *nspname;

	if (flinfo == NULL || !OidIsValid(flinfo->fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("experiments functions must be called through SQL")));

	routine = (ApiRoutine *) flinfo->fn_extra;
	if (routine != NULL && routine->fn_oid == flinfo->fn_oid)
		return routine;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(flinfo->fn_oid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", flinfo->fn_oid);
	proc = (Form_pg_proc) GETSTRUCT(tuple);

	routine = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ApiRoutine));
	routine->fn_oid = flinfo->fn_oid;
	routine->owner = proc->proowner;
	routine->schema_oid = proc->pronamespace;
	ReleaseSysCache(tuple);

	nspname = get_namespace_name(routine->schema_oid);
	if (nspname == NULL)
		elog(ERROR, "cache lookup failed for namespace %u", routine->schema_oid);
	namestrcpy(&routine->schema_name, nspname);
	pfree(nspname);

	flinfo->fn_extra = routine;
	return routine;
}

static void
pin_search_path(ApiGuard *guard)
{
#if GUARD_USE_OVERRIDE_PATH
	OverrideSearchPath path;

	(void) guard;
	path.schemas = NIL;
	path.addCatalog = true;
	path.addTemp = false;
	PushOverrideSearchPath(&path);
#else
	guard->guc_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
#endif
}

static void
unpin_search_path(ApiGuard *guard)
{
#if GUARD_USE_OVERRIDE_PATH
	(void) guard;
	PopOverrideSearchPath();
#else
	AtEOXact_GUC(true, guard->guc_nestlevel);
#endif
}

void
api_guard_enter(FunctionCallInfo fcinfo, ApiGuard *guard)
{
	guard->routine = api_routine(fcinfo);
	guard->caller = GetUserId();
	GetUserIdAndSecContext(&guard->saved_userid, &guard->saved_sec_context);
	SetUserIdAndSecContext(guard->routine->owner,
						   guard->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	pin_search_path(guard);
	guard->active = true;
}

void
api_guard_leave(ApiGuard *guard)
{
	if (!guard->active)
		return;
	unpin_search_path(guard);
	SetUserIdAndSecContext(guard->saved_userid, guard->saved_sec_context);
	guard->active = false;
}

/*
 * api_guard_suspend steps out of the guard completely before a commit: the
 * next transaction records the user id in force when it starts and falls
 * back to it if it aborts, so the caller's id must be the one in force then,
 * or an error after the commit would leave the session as the owner.
 */
void
api_guard_suspend(ApiGuard *guard)
{
	if (!guard->active)
		return;
	unpin_search_path(guard);
	SetUserIdAndSecContext(guard->saved_userid, guard->saved_sec_context);
}

void
api_guard_resume(ApiGuard *guard)
{
	if (!guard->active)
		return;
	SetUserIdAndSecContext(guard->routine->owner,
						   guard->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	pin_search_path(guard);
}

/* The extension's schema: fixed by the control file, so a name lookup is exact. */
Oid
experiments_schema_oid(void)
{
	Oid			nsp = get_namespace_oid("experiments", true);

	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"experiments\" is not installed in this database")));
	return nsp;
}

/*
 * experiments_owner returns the owner of the extension's schema, which the
 * extension created and which owns every object the extension made.
 */
Oid
experiments_owner(void)
{
	Oid			nsp = experiments_schema_oid();
	HeapTuple	tuple;
	Oid			owner;

	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);
	return owner;
}

void
api_spi_begin(FunctionCallInfo fcinfo, ApiGuard *guard)
{
	api_guard_enter(fcinfo, guard);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

void
api_spi_end(ApiGuard *guard)
{
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	api_guard_leave(guard);
}
