/*-------------------------------------------------------------------------
 *
 * jsonb_build.c
 *	  The only file that calls pushJsonbValue (see jsonb_build.h).
 *
 * Each value call knows from the parse state whether it is an object's
 * value or an array's element, so callers never pass WJB_* tokens.
 *
 * pushJsonbValue keeps pointers to the strings it is given until the final
 * JsonbValueToJsonb, so keys and strings are copied here: callers may pass
 * buffers they reuse.  Numerics and embedded jsonb must stay valid until
 * jbb_finish (they normally do: they are palloc'd in the same context).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "common/jsonb_build.h"

static void
push(JbBuilder *b, JsonbIteratorToken token, JsonbValue *value)
{
	b->result = pushJsonbValue(&b->state, token, value);
}

/* Push a scalar where the builder is: object value or array element. */
static void
push_scalar(JbBuilder *b, JsonbValue *value)
{
	if (b->state == NULL)
	{
		/* A bare scalar result is stored as a one-element raw-scalar array. */
		JsonbValue	array;

		array.type = jbvArray;
		array.val.array.rawScalar = true;
		array.val.array.nElems = 1;
		push(b, WJB_BEGIN_ARRAY, &array);
		push(b, WJB_ELEM, value);
		push(b, WJB_END_ARRAY, NULL);
		return;
	}
	push(b, b->state->contVal.type == jbvArray ? WJB_ELEM : WJB_VALUE, value);
}

void
jbb_begin_object(JbBuilder *b)
{
	if (b->state == NULL)
		b->result = NULL;
	push(b, WJB_BEGIN_OBJECT, NULL);
}

void
jbb_end_object(JbBuilder *b)
{
	push(b, WJB_END_OBJECT, NULL);
}

void
jbb_begin_array(JbBuilder *b)
{
	if (b->state == NULL)
		b->result = NULL;
	push(b, WJB_BEGIN_ARRAY, NULL);
}

void
jbb_end_array(JbBuilder *b)
{
	push(b, WJB_END_ARRAY, NULL);
}

Jsonb *
jbb_finish(JbBuilder *b)
{
	Assert(b->state == NULL && b->result != NULL);
	return JsonbValueToJsonb(b->result);
}

void
jbb_key(JbBuilder *b, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.len = strlen(key);
	v.val.string.val = pnstrdup(key, v.val.string.len);
	push(b, WJB_KEY, &v);
}

void
jbb_text_len(JbBuilder *b, const char *value, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = pnstrdup(value, len);
	v.val.string.len = len;
	push_scalar(b, &v);
}

void
jbb_text(JbBuilder *b, const char *value)
{
	if (value == NULL)
		jbb_null(b);
	else
		jbb_text_len(b, value, strlen(value));
}

void
jbb_numeric(JbBuilder *b, Numeric value)
{
	JsonbValue	v;

	if (value == NULL)
	{
		jbb_null(b);
		return;
	}
	v.type = jbvNumeric;
	v.val.numeric = value;
	push_scalar(b, &v);
}

void
jbb_int64(JbBuilder *b, int64 value)
{
	jbb_numeric(b, int64_to_numeric(value));
}

void
jbb_float8(JbBuilder *b, double value)
{
	if (isnan(value) || isinf(value))
		jbb_null(b);
	else
		jbb_numeric(b, DatumGetNumeric(DirectFunctionCall1(float8_numeric,
														   Float8GetDatum(value))));
}

void
jbb_bool(JbBuilder *b, bool value)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = value;
	push_scalar(b, &v);
}

void
jbb_null(JbBuilder *b)
{
	JsonbValue	v;

	v.type = jbvNull;
	push_scalar(b, &v);
}

void
jbb_jsonb(JbBuilder *b, Jsonb *value)
{
	JsonbValue	v;

	if (value == NULL)
	{
		jbb_null(b);
		return;
	}
	if (JB_ROOT_IS_SCALAR(value))
	{
		if (!JsonbExtractScalar(&value->root, &v))
			elog(ERROR, "could not extract scalar from jsonb");
		push_scalar(b, &v);
		return;
	}
	if (b->state == NULL)
		elog(ERROR, "jbb_jsonb needs an enclosing object or array");
	/* pushJsonbValue unpacks a binary container value into its parts */
	v.type = jbvBinary;
	v.val.binary.data = &value->root;
	v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	push_scalar(b, &v);
}

void
jbb_key_text(JbBuilder *b, const char *key, const char *value)
{
	jbb_key(b, key);
	jbb_text(b, value);
}

void
jbb_key_int64(JbBuilder *b, const char *key, int64 value)
{
	jbb_key(b, key);
	jbb_int64(b, value);
}

void
jbb_key_float8(JbBuilder *b, const char *key, double value)
{
	jbb_key(b, key);
	jbb_float8(b, value);
}

void
jbb_key_numeric(JbBuilder *b, const char *key, Numeric value)
{
	jbb_key(b, key);
	jbb_numeric(b, value);
}

void
jbb_key_bool(JbBuilder *b, const char *key, bool value)
{
	jbb_key(b, key);
	jbb_bool(b, value);
}

void
jbb_key_null(JbBuilder *b, const char *key)
{
	jbb_key(b, key);
	jbb_null(b);
}

void
jbb_key_jsonb(JbBuilder *b, const char *key, Jsonb *value)
{
	jbb_key(b, key);
	jbb_jsonb(b, value);
}
