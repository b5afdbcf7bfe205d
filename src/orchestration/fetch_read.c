/*-------------------------------------------------------------------------
 *
 * fetch_read.c
 *	  The second step of fetch_orchestration_item() without SQL: the
 *	  instance row, the current execution's history and the KV snapshot,
 *	  read by index scans (see fetch_read.h).
 *
 * The statement it replaces (read_instance in fetch_orch.c) is a UNION ALL
 * of two branches with five subqueries: setting it up cost a fetch as much
 * as the direct claim does in all.  The reads here walk the same primary
 * keys the plan would, under a snapshot taken as SPI takes one for a
 * statement, with the rights a SELECT needs; a hub table under row-level
 * security, or without SELECT for the routine's owner, goes back to SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/rel.h"

#include "common/direct.h"
#include "common/jsonb_build.h"
#include "common/probe.h"
#include "orchestration/fetch_read.h"

char		orch_read_last_fallback[128] = "";

/* What the direct read knows about one hub's history and kv_store. */
typedef struct ReadEntry
{
	DirectSchemaEntry hdr;		/* over history, kv_store */
	AttrNumber	h_execution;
	AttrNumber	h_type;
	AttrNumber	h_data;
	Oid			h_index;		/* btree on (instance_id, execution_id, event_id, ...) */
	DirectKeyProc h_instance_eq;
	DirectKeyProc h_execution_eq;
	AttrNumber	k_key;
	AttrNumber	k_value;
	AttrNumber	k_updated;
	Oid			k_index;		/* btree on (instance_id, ...) */
	DirectKeyProc k_instance_eq;
} ReadEntry;

static DirectSchemaEntry *entries = NULL;

static const ProbeDef instance_row = {
	"instances", "instances_pkey", 1, 3,
	{"orchestration_name", "orchestration_version", "current_execution_id"}
};

static const char *
describe(DirectSchemaEntry *entry, Relation *rels)
{
	ReadEntry  *e = (ReadEntry *) entry;
	Relation	history = rels[0];
	Relation	kv = rels[1];
	AttrNumber	atts[3];

	/* events come in event_id order within an execution */
	DIRECT_REQUIRE_COLUMN(atts[0], history, "instance_id", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->h_execution, history, "execution_id", INT8OID);
	DIRECT_REQUIRE_COLUMN(atts[2], history, "event_id", INT8OID);
	DIRECT_REQUIRE_COLUMN(e->h_type, history, "event_type", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->h_data, history, "event_data", TEXTOID);
	atts[1] = e->h_execution;
	e->h_index = direct_prefix_index(history, atts, 3);

	DIRECT_REQUIRE_COLUMN(atts[0], kv, "instance_id", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->k_key, kv, "key", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->k_value, kv, "value", TEXTOID);
	DIRECT_REQUIRE_COLUMN(e->k_updated, kv, "last_updated_at_ms", INT8OID);
	e->k_index = direct_prefix_index(kv, atts, 1);

	if (!OidIsValid(e->h_index) || !OidIsValid(e->k_index))
		return "an index the direct read walks is missing";
	if (!direct_key_proc(e->h_index, 0, BTEqualStrategyNumber, &e->h_instance_eq) ||
		!direct_key_proc(e->h_index, 1, BTEqualStrategyNumber, &e->h_execution_eq) ||
		!direct_key_proc(e->k_index, 0, BTEqualStrategyNumber, &e->k_instance_eq))
		return "an index the direct read walks has no suitable operator";
	return NULL;
}

/* One index scan: open it over nkeys keys of the index's leading columns. */
typedef struct IxScan
{
	Relation	index;
	IndexScanDesc desc;
	TupleTableSlot *slot;
} IxScan;

static void
scan_begin(IxScan *s, Relation rel, Oid indexid, Snapshot snapshot, ScanKey keys, int nkeys)
{
	s->index = index_open(indexid, AccessShareLock);
	s->slot = table_slot_create(rel, NULL);
	s->desc = index_beginscan(rel, s->index, snapshot, nkeys, 0);
	index_rescan(s->desc, keys, nkeys, NULL, 0);
}

static void
scan_end(IxScan *s)
{
	index_endscan(s->desc);
	ExecDropSingleTupleTableSlot(s->slot);
	index_close(s->index, NoLock);
}

static Jsonb *
text_to_jsonb(Datum value)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
											  CStringGetDatum(TextDatumGetCString(value))));
}

/* jsonb ->> key: a string as itself, null or absent as NULL, others as JSON text */
static bool
field_text(Jsonb *jb, const char *key, Datum *out)
{
	JsonbValue	k;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(jb))
		return false;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL || v->type == jbvNull)
		return false;
	if (v->type == jbvString)
		*out = PointerGetDatum(cstring_to_text_with_len(v->val.string.val,
														v->val.string.len));
	else
	{
		Jsonb	   *j = JsonbValueToJsonb(v);

		*out = PointerGetDatum(cstring_to_text(JsonbToCString(NULL, &j->root, VARSIZE(j))));
	}
	return true;
}

static void
history_keys(const ReadEntry *e, ScanKeyData *keys, Datum instance, int64 execution)
{
	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   e->h_instance_eq.collation, e->h_instance_eq.proc, instance);
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   e->h_execution_eq.collation, e->h_execution_eq.proc,
						   Int64GetDatum(execution));
}

/* The events of one execution, in event_id order, as a jsonb array. */
static Jsonb *
read_history(const ReadEntry *e, Relation history, Snapshot snapshot, Datum instance,
			 const OrchRead *r)
{
	ScanKeyData keys[2];
	IxScan		s;
	JbBuilder	b = {0};

	jbb_begin_array(&b);
	if (!r->has_execution)
	{
		/* no execution at all: an empty history */
		jbb_end_array(&b);
		return jbb_finish(&b);
	}
	history_keys(e, keys, instance, r->execution);
	scan_begin(&s, history, e->h_index, snapshot, keys, 2);
	while (index_getnext_slot(s.desc, ForwardScanDirection, s.slot))
	{
		bool		isnull;
		Datum		data = slot_getattr(s.slot, e->h_data, &isnull);

		CHECK_FOR_INTERRUPTS();
		jbb_jsonb(&b, isnull ? NULL : text_to_jsonb(data));
	}
	jbb_end_array(&b);
	scan_end(&s);
	return jbb_finish(&b);
}

/*
 * Without an instance row: the latest execution in history (false if the
 * instance has none) and its first OrchestrationStarted event's name and
 * version.
 */
static bool
history_execution(const ReadEntry *e, Relation history, Snapshot snapshot, Datum instance,
				  OrchRead *out)
{
	ScanKeyData keys[2];
	IxScan		s;
	bool		found;
	bool		isnull;

	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   e->h_instance_eq.collation, e->h_instance_eq.proc, instance);
	scan_begin(&s, history, e->h_index, snapshot, keys, 1);
	found = index_getnext_slot(s.desc, BackwardScanDirection, s.slot);
	if (found)
		out->execution = DatumGetInt64(slot_getattr(s.slot, e->h_execution, &isnull));
	scan_end(&s);
	if (!found)
		return false;

	history_keys(e, keys, instance, out->execution);
	scan_begin(&s, history, e->h_index, snapshot, keys, 2);
	while (index_getnext_slot(s.desc, ForwardScanDirection, s.slot))
	{
		Datum		type = slot_getattr(s.slot, e->h_type, &isnull);
		Datum		data;
		Jsonb	   *event;

		CHECK_FOR_INTERRUPTS();
		if (isnull || strcmp(TextDatumGetCString(type), "OrchestrationStarted") != 0)
			continue;
		data = slot_getattr(s.slot, e->h_data, &isnull);
		event = text_to_jsonb(data);
		out->has_name = field_text(event, "name", &out->name);
		out->has_version = field_text(event, "version", &out->version);
		break;
	}
	scan_end(&s);
	return true;
}

/* The instance's KV rows as {key: {"value": ..., "last_updated_at_ms": ...}}. */
static Jsonb *
read_kv(const ReadEntry *e, Relation kv, Snapshot snapshot, Datum instance)
{
	ScanKeyData key;
	IxScan		s;
	JbBuilder	b = {0};

	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   e->k_instance_eq.collation, e->k_instance_eq.proc, instance);
	scan_begin(&s, kv, e->k_index, snapshot, &key, 1);
	jbb_begin_object(&b);
	while (index_getnext_slot(s.desc, ForwardScanDirection, s.slot))
	{
		bool		null_key;
		bool		null_value;
		bool		null_updated;
		Datum		k = slot_getattr(s.slot, e->k_key, &null_key);
		Datum		v = slot_getattr(s.slot, e->k_value, &null_value);
		Datum		u = slot_getattr(s.slot, e->k_updated, &null_updated);

		CHECK_FOR_INTERRUPTS();
		if (null_key)
			continue;
		jbb_key(&b, TextDatumGetCString(k));
		jbb_begin_object(&b);
		jbb_key_text(&b, "value", null_value ? NULL : TextDatumGetCString(v));
		if (null_updated)
			jbb_key_null(&b, "last_updated_at_ms");
		else
			jbb_key_int64(&b, "last_updated_at_ms", DatumGetInt64(u));
		jbb_end_object(&b);
	}
	jbb_end_object(&b);
	scan_end(&s);
	return jbb_finish(&b);
}

const char *
orch_read_direct(const char *schema, Datum instance, OrchRead *out)
{
	Relation	instances = direct_open_in(schema, "instances", AccessShareLock);
	Relation	history = direct_open_in(schema, "history", AccessShareLock);
	Relation	kv = direct_open_in(schema, "kv_store", AccessShareLock);
	Relation	rels[2];
	ReadEntry  *e;
	const char *why;
	ProbeSnapshot ps;

	rels[0] = history;
	rels[1] = kv;
	e = (ReadEntry *) direct_schema_entry(&entries, sizeof(ReadEntry), schema,
										  "experiments orchestration read", rels, 2,
										  describe);
	why = e->hdr.ineligible;
	if (why == NULL)
		why = direct_rights_verdict(instances, ACL_SELECT);
	if (why == NULL)
		why = direct_rights_verdict(history, ACL_SELECT);
	if (why == NULL)
		why = direct_rights_verdict(kv, ACL_SELECT);
	strlcpy(orch_read_last_fallback, why ? why : "", sizeof(orch_read_last_fallback));
	memset(out, 0, sizeof(*out));
	if (why == NULL)
	{
		Datum		v[3];
		bool		n[3];

		probe_snapshot_begin(&ps);
		out->row = probe_fetch(&instance_row, schema, &ps, &instance, v, n);
		if (out->row)
		{
			out->has_name = out->has_version = out->has_execution = true;
			out->name = v[0];
			out->version = n[1] ? CStringGetTextDatum("unknown") : v[1];
			out->execution = DatumGetInt64(v[2]);
		}
		else
			out->has_execution = history_execution(e, history, ps.snapshot, instance, out);
		out->history = read_history(e, history, ps.snapshot, instance, out);
		out->kv = read_kv(e, kv, ps.snapshot, instance);
		probe_snapshot_end(&ps);
	}
	table_close(kv, NoLock);
	table_close(history, NoLock);
	table_close(instances, NoLock);
	return why;
}
