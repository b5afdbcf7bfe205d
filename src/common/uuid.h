/*-------------------------------------------------------------------------
 *
 * uuid.h
 *	  Random (version 4) uuids made in C, and uuids as text for messages.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_COMMON_UUID_H
#define EXPERIMENTS_COMMON_UUID_H

#include "postgres.h"
#include "utils/uuid.h"

/* A new version-4 uuid from the strong random source, palloc'd. */
extern pg_uuid_t *uuid_random(void);

/* A uuid datum in its canonical text form, palloc'd. */
extern char *uuid_cstring(Datum uuid);

#endif							/* EXPERIMENTS_COMMON_UUID_H */
