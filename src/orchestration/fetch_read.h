/*-------------------------------------------------------------------------
 *
 * fetch_read.h
 *	  The second step of fetch_orchestration_item() -- the instance row, the
 *	  current execution's history, the KV snapshot -- read without SQL
 *	  (fetch_read.c), with the same result as the read_instance statement
 *	  of fetch_orch.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCHESTRATION_FETCH_READ_H
#define EXPERIMENTS_ORCHESTRATION_FETCH_READ_H

#include "postgres.h"
#include "utils/jsonb.h"

typedef struct OrchRead
{
	bool		row;			/* the instance row exists */
	bool		has_name;		/* name: its orchestration_name; without a row, */
	Datum		name;			/* the OrchestrationStarted event's "name" */
	bool		has_version;	/* version (text): the row's, 'unknown' if NULL; */
	Datum		version;		/* without a row, that event's "version" */
	bool		has_execution;	/* the current execution: the row's, else the */
	int64		execution;		/* latest in history; neither: false */
	Jsonb	   *history;		/* that execution's events by event_id */
	Jsonb	   *kv;				/* {key: {"value", "last_updated_at_ms"}} */
} OrchRead;

/*
 * Read instance (text) of hub schema.  NULL when done (out filled, in
 * CurrentMemoryContext); else why SQL must read it, nothing read.
 */
extern const char *orch_read_direct(const char *schema, Datum instance, OrchRead *out);

/* '' after a direct read, else why the last read of this backend used SQL */
extern char orch_read_last_fallback[128];

#endif							/* EXPERIMENTS_ORCHESTRATION_FETCH_READ_H */
