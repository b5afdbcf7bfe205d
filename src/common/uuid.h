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

/*
 * A new version-7 uuid, palloc'd: the Unix time in milliseconds in its first
 * 48 bits, then 74 random bits.  Ids drawn later sort later (to the
 * millisecond), so a primary key of them grows at its right edge.
 */
extern pg_uuid_t *uuid_time_ordered(void);

/* A uuid datum in its canonical text form, palloc'd. */
extern char *uuid_cstring(Datum uuid);

#endif							/* EXPERIMENTS_COMMON_UUID_H */
