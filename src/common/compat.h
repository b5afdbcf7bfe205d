/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  The one place where differences between PostgreSQL major versions live.
 *
 * The extension targets PostgreSQL 15 and keeps 14 to 17 a build away.  Code
 * elsewhere calls the names defined here and never tests PG_VERSION_NUM.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_COMPAT_H
#define EXPERIMENTS_COMPAT_H

#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"

#if PG_VERSION_NUM < 140000
#error "experiments needs PostgreSQL 14 or later"
#endif

/*
 * Materialize-mode set-returning functions: InitMaterializedSRF is the name
 * from 15.2 and 16 on; 15.0/15.1 only had SetSingleFuncCall, and 14 needs
 * the hand-written set-up (in srf.c).
 */
#if PG_VERSION_NUM >= 160000 || (PG_VERSION_NUM >= 150002)
#define compat_init_materialized_srf(fcinfo, use_expected) \
	InitMaterializedSRF((fcinfo), (use_expected) ? MAT_SRF_USE_EXPECTED_DESC : 0)
#define COMPAT_HAVE_MATERIALIZED_SRF 1
#elif PG_VERSION_NUM >= 150000
#define compat_init_materialized_srf(fcinfo, use_expected) \
	SetSingleFuncCall((fcinfo), (use_expected) ? SRF_SINGLE_USE_EXPECTED : 0)
#define COMPAT_HAVE_MATERIALIZED_SRF 1
#else
#define COMPAT_HAVE_MATERIALIZED_SRF 0
#endif

/*
 * PostgreSQL 19 changes pushJsonbValue to take a JsonbInState; keep every
 * jsonb construction behind jsonb_build.c so only that file needs touching.
 */

/*
 * This backend's number among the server's processes: a small integer,
 * distinct between backends alive at the same time (MyBackendId, 1-based,
 * until 16; MyProcNumber, 0-based, from 17).
 */
#if PG_VERSION_NUM >= 170000
#include "storage/procnumber.h"
#define compat_backend_number() ((int) MyProcNumber)
#else
#include "storage/backendid.h"
#define compat_backend_number() ((int) MyBackendId)
#endif

/* Reserving the prefix of our settings: PostgreSQL 15 renamed the call. */
#if PG_VERSION_NUM >= 150000
#define compat_reserve_guc_prefix(prefix) MarkGUCPrefixReserved(prefix)
#else
#define compat_reserve_guc_prefix(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* PostgreSQL 15 does not declare _PG_init in fmgr.h. */
PGDLLEXPORT void _PG_init(void);

#endif							/* EXPERIMENTS_COMPAT_H */
