/*-------------------------------------------------------------------------
 *
 * ack_rows.h
 *	  ack_orchestration_item()'s instance and execution rows written
 *	  without SQL (ack_rows.c), with the outcome of the statement's
 *	  instance and execution parts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCHESTRATION_ACK_ROWS_H
#define EXPERIMENTS_ORCHESTRATION_ACK_ROWS_H

#include "postgres.h"
#include "datatype/timestamp.h"

typedef struct OrchAckRows
{
	Datum		instance;		/* text: the locked instance */
	int64		execution;
	TimestampTz now;
	const char *name;			/* metadata; NULL when absent */
	const char *version;
	const char *parent;
	const char *status;
	const char *output;
	bool		has_pinned;
	int32		pinned[3];
	const char *cs_action;		/* 'set', 'clear' or NULL */
	const char *cs_value;
} OrchAckRows;

/*
 * Upsert the instance (inserted only when the metadata names both name and
 * version, else only updated if it exists) and the execution in hub schema.
 * NULL when done; else why the tables need the statement, and nothing was
 * written.
 */
extern const char *orch_ack_rows_direct(const char *schema, const OrchAckRows *r);

/* '' after direct instance and execution writes, else why the last ack used SQL */
extern char orch_ack_rows_last_fallback[128];

#endif							/* EXPERIMENTS_ORCHESTRATION_ACK_ROWS_H */
