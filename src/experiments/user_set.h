/*-------------------------------------------------------------------------
 *
 * user_set.h
 *	  A set of user ids, for counting the distinct users of one group at a
 *	  time (user_set.c).
 *
 * Open addressing over 32-bit hashes, the ids themselves in one arena, so
 * adding an id costs a hash, one slot read and, when the hashes match, a
 * memcmp: no sort, no allocation per id.  user_set_clear empties the set
 * for the next group and keeps its memory, so a stream of groups costs at
 * most the largest group's ids.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_USER_SET_H
#define EXPERIMENTS_USER_SET_H

#include "postgres.h"
#include "lib/stringinfo.h"

typedef struct UserSetSlot
{
	uint32		hash;			/* the id's hash */
	uint32		offset;			/* 1 + the id's offset in the arena; 0 = free */
} UserSetSlot;

typedef struct UserSet
{
	UserSetSlot *slots;
	uint32		size;			/* slots, a power of 2 */
	uint32		count;			/* ids in the set */
	StringInfoData arena;		/* each id: its length (uint32), its bytes */
	MemoryContext cxt;			/* where the slots live */
} UserSet;

/* An empty set in the current memory context, which keeps all it grows to. */
extern void user_set_init(UserSet *set);

/* Add the id of a text datum: true when it was not in the set. */
extern bool user_set_add(UserSet *set, Datum user);

/* Empty the set, keeping its memory. */
extern void user_set_clear(UserSet *set);

#endif							/* EXPERIMENTS_USER_SET_H */
