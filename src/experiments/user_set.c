/*-------------------------------------------------------------------------
 *
 * user_set.c
 *	  A set of user ids (see user_set.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/memutils.h"

#include "experiments/user_set.h"

#define USER_SET_MIN_SIZE 1024

void
user_set_init(UserSet *set)
{
	set->cxt = CurrentMemoryContext;
	set->size = USER_SET_MIN_SIZE;
	set->count = 0;
	set->slots = palloc0(sizeof(UserSetSlot) * set->size);
	initStringInfo(&set->arena);
}

void
user_set_clear(UserSet *set)
{
	if (set->count == 0)
		return;
	memset(set->slots, 0, sizeof(UserSetSlot) * set->size);
	set->count = 0;
	resetStringInfo(&set->arena);
}

/* Twice the slots, every id placed again by its kept hash. */
static void
user_set_grow(UserSet *set)
{
	UserSetSlot *old = set->slots;
	uint32		oldsize = set->size;
	uint32		mask;
	uint32		i;

	if ((Size) oldsize * 2 * sizeof(UserSetSlot) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct users in one group")));
	set->size = oldsize * 2;
	mask = set->size - 1;
	set->slots = MemoryContextAllocZero(set->cxt, sizeof(UserSetSlot) * set->size);
	for (i = 0; i < oldsize; i++)
	{
		uint32		j;

		if (old[i].offset == 0)
			continue;
		j = old[i].hash & mask;
		while (set->slots[j].offset != 0)
			j = (j + 1) & mask;
		set->slots[j] = old[i];
	}
	pfree(old);
}

bool
user_set_add(UserSet *set, Datum user)
{
	text	   *t = DatumGetTextPP(user);
	const char *id = VARDATA_ANY(t);
	uint32		len = VARSIZE_ANY_EXHDR(t);
	uint32		h = hash_bytes((const unsigned char *) id, len);
	uint32		mask = set->size - 1;
	uint32		i = h & mask;
	UserSetSlot *slot;

	for (;;)
	{
		slot = &set->slots[i];
		if (slot->offset == 0)
			break;
		if (slot->hash == h)
		{
			const char *stored = set->arena.data + slot->offset - 1;
			uint32		slen;

			memcpy(&slen, stored, sizeof(uint32));
			if (slen == len && memcmp(stored + sizeof(uint32), id, len) == 0)
				return false;
		}
		i = (i + 1) & mask;
	}
	slot->hash = h;
	/* the arena is a StringInfo, below 1 GB: the offset fits */
	slot->offset = (uint32) set->arena.len + 1;
	appendBinaryStringInfoNT(&set->arena, (const char *) &len, sizeof(uint32));
	appendBinaryStringInfoNT(&set->arena, id, len);
	set->count++;
	if (set->count * 2 > set->size)
		user_set_grow(set);
	return true;
}
