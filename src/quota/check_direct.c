/*-------------------------------------------------------------------------
 *
 * check_direct.c
 *	  sp_check_quota_and_create_recording's work, done without SPI.
 *
 * Every check waits for and then holds its user's subscription row, so its
 * cost under the lock bounds one user's checks per second, and its cost in
 * all bounds the server's.  Through SQL a check was a data-modifying WITH
 * (lock, decide, insert, count) plus the recording's foreign key check, a
 * query of its own.  Here the same effects, in this order:
 *
 *	1. the user's row is locked FOR KEY SHARE through the primary key --
 *	   what the recording's foreign key check would take, taken first so
 *	   that a concurrent delete of the user waits for us instead of
 *	   deadlocking with us; no such user: the caller raises P0002;
 *	2. the subscription is found through its unique user_id index and its
 *	   newest version locked FOR NO KEY UPDATE (READ COMMITTED follows a
 *	   concurrent update and re-checks the user id; REPEATABLE READ gets
 *	   40001); none: "No active subscription found";
 *	3. the plan's limits are read under a snapshot taken after the lock, so
 *	   a plan changed while we waited is read as it is now;
 *	4. the decision, on the counters of the locked version;
 *	5. when allowed: the recording is appended (src/common/append.c, with
 *	   its defaults -- the id among them --, constraints and index entries)
 *	   and the subscription's new version written with usage_count + 1.
 *
 * Declined (QCHECK_NOT_ELIGIBLE, nothing written) whenever a table is not
 * as shipped: a trigger other than the foreign keys' own (those of
 * user_subscriptions must not be deferrable: a deferred check of a row we
 * replace would be skipped), row-level security, generated columns, a
 * changed column type or a dropped NOT NULL, missing rights.  recording.c
 * then runs its statements, which do all of it through SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "storage/lockdefs.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "common/append.h"
#include "common/direct.h"
#include "common/probe.h"
#include "quota/check_direct.h"

char		quota_check_last_fallback[128] = "";

static void
note_fallback(const char *why)
{
	strlcpy(quota_check_last_fallback, why ? why : "", sizeof(quota_check_last_fallback));
}

typedef struct CheckTables
{
	const char *ineligible;
	Oid			user_key;		/* unique btree on user_subscriptions(user_id) */
	Oid			users_pkey;
	AttrNumber	u_id;
	AttrNumber	s_user;
	AttrNumber	s_plan;
	AttrNumber	s_count;
	AttrNumber	s_seconds;
	AttrNumber	s_start;
	AttrNumber	s_end;
	int			ncheck;
	Expr	  **checks;
} CheckTables;

static CheckTables tables;
static DirectCache tables_cache;	/* of user_subscriptions and users */

static const ProbeDef plan_limits = {
	"plans", "plans_pkey", 1, 2, {"monthly_usage_limit", "monthly_minutes"}
};

/* The recording, appended by the user it belongs to (locked in step 1). */
static const AppendDef recording_row = {
	"recordings", 4, {"user_id", "source", "language", "meta"},
	{UUIDOID, TEXTOID, TEXTOID, JSONBOID},
	"user_id", "users", "id", "id", UUIDOID
};

static const char *
subscriptions_verdict(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerDesc *td = rel->trigdesc;
	const char *shape = direct_shape_verdict(rel);
	AttrNumber	notnull[4];
	int			i;

	if (shape != NULL)
		return shape;
	for (i = 0; td != NULL && i < td->numtriggers; i++)
	{
		const Trigger *t = &td->triggers[i];
		int			kind = RI_FKey_trigger_type(t->tgfoid);

		/* the update changes no key, so its foreign keys' checks do not fire */
		if (kind == RI_TRIGGER_PK || (kind == RI_TRIGGER_FK && !t->tgdeferrable))
			continue;
		return "user_subscriptions has a trigger";
	}
	if (tables.s_user == 0 || tables.s_plan == 0 || tables.s_count == 0 ||
		tables.s_seconds == 0 || tables.s_start == 0 || tables.s_end == 0)
		return "user_subscriptions lacks a column the check uses";
	notnull[0] = tables.s_count;
	notnull[1] = tables.s_seconds;
	notnull[2] = tables.s_start;
	notnull[3] = tables.s_end;
	for (i = 0; i < 4; i++)
		if (!TupleDescAttr(desc, notnull[i] - 1)->attnotnull)
			return "a counter or cycle column of user_subscriptions may be null";
	tables.user_key = direct_key_index(rel, tables.s_user);
	if (!OidIsValid(tables.user_key))
		return "user_subscriptions has no unique index on user_id alone";
	return NULL;
}

static const CheckTables *
check_tables(Relation subs, Relation users)
{
	Oid			relids[2] = {RelationGetRelid(subs), RelationGetRelid(users)};
	TupleDesc	sd = RelationGetDescr(subs);
	MemoryContext old;

	if (direct_cache_fresh(&tables_cache, relids, 2))
		return &tables;

	old = direct_cache_begin(&tables_cache, "experiments quota check tables", relids, 2);
	memset(&tables, 0, sizeof(tables));

	tables.s_user = direct_column(sd, "user_id", UUIDOID, NULL);
	tables.s_plan = direct_column(sd, "plan_id", UUIDOID, NULL);
	tables.s_count = direct_column(sd, "usage_count", INT4OID, NULL);
	tables.s_seconds = direct_column(sd, "used_seconds", INT4OID, NULL);
	tables.s_start = direct_column(sd, "cycle_start", TIMESTAMPTZOID, NULL);
	tables.s_end = direct_column(sd, "cycle_end", TIMESTAMPTZOID, NULL);
	tables.u_id = direct_column(RelationGetDescr(users), "id", UUIDOID, NULL);
	tables.ineligible = subscriptions_verdict(subs);
	if (tables.ineligible == NULL)
	{
		tables.users_pkey = direct_key_index(users, tables.u_id);
		if (!OidIsValid(tables.users_pkey) ||
			tables.users_pkey != RelationGetPrimaryKeyIndex(users))
			tables.ineligible = "users has no primary key on id";
	}
	if (tables.ineligible == NULL)
		tables.checks = direct_plan_checks(subs, &tables.ncheck);
	direct_cache_end(&tables_cache, old);
	return &tables;
}

typedef struct RecordingValues
{
	Datum		values[4];
} RecordingValues;

/* The recording's row (an AppendRowFn). */
static void
recording_values(void *arg, int row, Datum *values, bool *isnull)
{
	(void) row;
	memcpy(values, ((RecordingValues *) arg)->values, sizeof(Datum) * 4);
	memset(isnull, 0, sizeof(bool) * 4);
}

/* The subscription's new version: usage_count + 1. */
static TupleTableSlot *
counted_version(EState *estate, Relation rel, TupleTableSlot *locked, int32 count)
{
	TupleTableSlot *slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel),
												  &TTSOpsVirtual);
	int			natts = RelationGetDescr(rel)->natts;

	slot_getallattrs(locked);
	ExecClearTuple(slot);
	memcpy(slot->tts_values, locked->tts_values, sizeof(Datum) * natts);
	memcpy(slot->tts_isnull, locked->tts_isnull, sizeof(bool) * natts);
	slot->tts_values[tables.s_count - 1] = Int32GetDatum(count + 1);
	ExecStoreVirtualTuple(slot);
	return slot;
}

static bool
read_limits(Datum plan_id, QuotaDecision *d)
{
	ProbeSnapshot ps;
	Datum		limits[2];
	bool		nulls[2];
	bool		found;

	probe_snapshot_begin(&ps);
	found = probe_fetch(&plan_limits, NULL, &ps, &plan_id, limits, nulls);
	probe_snapshot_end(&ps);
	if (!found || nulls[0] || nulls[1])
		return false;
	d->usage_limit = DatumGetInt32(limits[0]);
	d->minutes_limit = DatumGetInt32(limits[1]);
	return true;
}

static const char *
rights_verdict(Relation subs, Relation users)
{
	Relation	plans = direct_open_locked("plans", AccessShareLock);	/* only read */
	const char *why = direct_rights_verdict(subs, ACL_SELECT | ACL_UPDATE);

	if (why == NULL)
		why = direct_rights_verdict(users, ACL_SELECT);
	if (why == NULL)
		why = direct_rights_verdict(plans, ACL_SELECT);
	table_close(plans, NoLock);
	return why;
}

QuotaCheckOutcome
quota_check_direct(Datum user_id, Datum source, Datum language, Jsonb *meta,
				   QuotaDecision *d)
{
	Relation	subs = direct_open("user_subscriptions");
	Relation	users = direct_open_locked("users", RowShareLock);
	const CheckTables *t = check_tables(subs, users);
	QuotaCheckOutcome outcome = QCHECK_DECIDED;
	EState	   *estate;
	ResultRelInfo *rri;
	Relation	users_pkey;
	TupleTableSlot *user_row;
	TupleTableSlot *locked;
	ProbeSnapshot ps;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	const char *why;
	bool		isnull;

	memset(d, 0, sizeof(*d));
	why = t->ineligible ? t->ineligible : rights_verdict(subs, users);
	note_fallback(why);
	if (why != NULL)
	{
		table_close(users, NoLock);
		table_close(subs, NoLock);
		return QCHECK_NOT_ELIGIBLE;
	}

	direct_require_writable("SELECT FOR UPDATE");
	probe_snapshot_begin(&ps);
	estate = direct_estate(&subs, 1);
	rri = direct_result_rel(estate, subs, 1, t->checks, t->ncheck);
	users_pkey = index_open(t->users_pkey, AccessShareLock);
	user_row = table_slot_create(users, &estate->es_tupleTable);
	locked = table_slot_create(subs, &estate->es_tupleTable);

	if (!direct_lock_by_key(users, users_pkey, t->u_id, F_UUID_EQ, user_id, ps.snapshot,
							estate->es_output_cid, LockTupleKeyShare, user_row) ||
		!direct_lock_by_key(subs, direct_index(rri, t->user_key), t->s_user, F_UUID_EQ,
							user_id, ps.snapshot, estate->es_output_cid,
							LockTupleNoKeyExclusive, locked))
		outcome = QCHECK_NO_SUBSCRIPTION;
	index_close(users_pkey, NoLock);

	if (outcome == QCHECK_DECIDED &&
		!read_limits(slot_getattr(locked, t->s_plan, &isnull), d))
	{
		/* a plan we cannot see: let the statements deal with it */
		note_fallback("the plan's limits could not be read");
		outcome = QCHECK_NOT_ELIGIBLE;
	}
	if (outcome == QCHECK_DECIDED)
	{
		d->usage_count = DatumGetInt32(slot_getattr(locked, t->s_count, &isnull));
		d->used_seconds = DatumGetInt32(slot_getattr(locked, t->s_seconds, &isnull));
		d->active =
			DatumGetTimestampTz(slot_getattr(locked, t->s_start, &isnull)) <= now &&
			DatumGetTimestampTz(slot_getattr(locked, t->s_end, &isnull)) > now;
		if (d->active && d->usage_count < d->usage_limit &&
			(int64) d->used_seconds < (int64) d->minutes_limit * 60)
		{
			RecordingValues rv;
			Datum		id;

			rv.values[0] = user_id;
			rv.values[1] = source;
			rv.values[2] = language;
			rv.values[3] = JsonbPGetDatum(meta);
			why = append_rows(&recording_row, 1, recording_values, &rv, &id);
			if (why != NULL)
			{
				/* nothing written: the statements redo the check under our lock */
				note_fallback(why);
				outcome = QCHECK_NOT_ELIGIBLE;
			}
			else
			{
				direct_update(estate, rri, locked,
							  counted_version(estate, subs, locked, d->usage_count),
							  ps.snapshot);
				CommandCounterIncrement();
				d->created = true;
				d->recording_id = id;
			}
		}
	}

	probe_snapshot_end(&ps);
	direct_estate_end(estate, &rri, 1);
	table_close(users, NoLock);
	table_close(subs, NoLock);
	return outcome;
}
