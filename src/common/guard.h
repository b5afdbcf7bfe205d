/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  The call guard every API entry point runs inside (SPEC section 4).
 *
 * api_guard_enter() switches the current user to the owner of the function
 * being called (the extension owner, or a hub's owner) and pins the lookup
 * path to pg_catalog alone, so neither the caller's rights nor anything the
 * caller controls (search_path, objects in pg_temp or public, shadowing
 * operators) can change what the function's SQL reaches.  api_guard_leave()
 * undoes both; an error undoes both on its own, at (sub)transaction abort.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_GUARD_H
#define EXPERIMENTS_GUARD_H

#include "postgres.h"
#include "fmgr.h"

/* What the guard learns about the routine being called; cached per call site. */
typedef struct ApiRoutine
{
	Oid			fn_oid;			/* pg_proc oid of the SQL-level routine */
	Oid			owner;			/* whose table rights the body uses */
	Oid			schema_oid;		/* the schema it lives in: its hub */
	NameData	schema_name;
} ApiRoutine;

typedef struct ApiGuard
{
	const ApiRoutine *routine;
	Oid			caller;			/* the role that called us, for auditing */
	Oid			saved_userid;
	int			saved_sec_context;
	int			guc_nestlevel;	/* used where the path is pinned by GUC */
	bool		active;
} ApiGuard;

/* Look up (or fetch from fn_extra) the routine facts of this call. */
extern const ApiRoutine *api_routine(FunctionCallInfo fcinfo);

extern void api_guard_enter(FunctionCallInfo fcinfo, ApiGuard *guard);
extern void api_guard_leave(ApiGuard *guard);

/*
 * Procedures that commit inside their body must step out of the guard around
 * SPI_commit() and back in afterwards: suspend restores the caller's user id
 * and lookup path (the transaction the commit starts must begin as the
 * caller, so an error in it falls back to the caller, not the owner), and
 * resume takes the owner's rights and the pinned path again.
 */
extern void api_guard_suspend(ApiGuard *guard);
extern void api_guard_resume(ApiGuard *guard);

/* The extension's own schema and its owner, looked up once per backend. */
extern Oid	experiments_schema_oid(void);
extern Oid	experiments_owner(void);

#endif							/* EXPERIMENTS_GUARD_H */

/*
 * The usual shape of an entry point: guard, SPI_connect, work, SPI_finish,
 * unguard.  Results handed back to the caller must be copied out of SPI
 * memory (SPI_datumTransfer, or built in the caller's context) before
 * api_spi_end().
 */
extern void api_spi_begin(FunctionCallInfo fcinfo, ApiGuard *guard);
extern void api_spi_end(ApiGuard *guard);
