/*-------------------------------------------------------------------------
 *
 * jsonb_read.c
 *	  Read typed fields out of jsonb arguments without detours through text.
 *
 * Numbers are checked for the target type: an integer field refuses 1.5
 * and values beyond its range, rather than rounding or wrapping.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <math.h>

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "common/jsonb_read.h"

/* A number as shown in a message: long ones are cut to their first digits. */
static const char *
shown_number(const char *digits)
{
	if (strlen(digits) <= 32)
		return digits;
	return psprintf("%.24s... (%zu characters)", digits, strlen(digits));
}

static const char *
jbv_type_name(enum jbvType type)
{
	switch (type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvArray:
			return "array";
		case jbvObject:
			return "object";
		case jbvBinary:
			return "container";
		default:
			return "unknown";
	}
}

/* The JSON type name of a value, looking inside binary containers. */
static const char *
value_type_name(const JsonbValue *v)
{
	if (v->type == jbvBinary)
		return JsonContainerIsArray(v->val.binary.data) ? "array" : "object";
	return jbv_type_name(v->type);
}

char *
jbr_where(const JbObject *obj)
{
	if (obj->index >= 0)
		return psprintf("%s[%d]", obj->ctx, obj->index);
	return pstrdup(obj->ctx);
}

JbObject
jbr_object(Jsonb *jb, const char *ctx)
{
	JbObject	obj;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", ctx)));
	obj.c = &jb->root;
	obj.ctx = ctx;
	obj.index = -1;
	return obj;
}

int
jbr_array(Jsonb *jb, const char *ctx, JsonbContainer **array)
{
	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON array", ctx)));
	*array = &jb->root;
	return JsonContainerSize(&jb->root);
}

JbObject
jbr_element_object(JsonbContainer *array, const char *ctx, int i)
{
	JsonbValue *v = getIthJsonbValueFromContainer(array, i);
	JbObject	obj;

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s[%d] must be a JSON object, not %s", ctx, i,
						v == NULL ? "missing" : value_type_name(v))));
	obj.c = v->val.binary.data;
	obj.ctx = ctx;
	obj.index = i;
	return obj;
}

char *
jbr_element_text(JsonbContainer *array, const char *ctx, int i)
{
	JsonbValue *v = getIthJsonbValueFromContainer(array, i);

	if (v == NULL || v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s[%d] must be a string, not %s", ctx, i,
						v == NULL ? "missing" : value_type_name(v))));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Find key; NULL when absent or JSON null (an error then if required). */
static JsonbValue *
find_value(const JbObject *obj, const char *key, bool required, JsonbValue *buf)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj->c, key, strlen(key), buf);

	if (v != NULL && v->type != jbvNull)
		return v;
	if (required)
	{
		if (v == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is missing key \"%s\"", jbr_where(obj), key)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" of %s must not be null", key, jbr_where(obj))));
	}
	return NULL;
}

static void
wrong_type(const JbObject *obj, const char *key, const char *expected,
		   const JsonbValue *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("key \"%s\" of %s must be %s, not %s",
					key, jbr_where(obj), expected, value_type_name(v))));
}

bool
jbr_has(const JbObject *obj, const char *key)
{
	JsonbValue	buf;

	return find_value(obj, key, false, &buf) != NULL;
}

bool
jbr_text(const JbObject *obj, const char *key, bool required, char **out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);

	if (v == NULL)
		return false;
	if (v->type != jbvString)
		wrong_type(obj, key, "a string", v);
	*out = pnstrdup(v->val.string.val, v->val.string.len);
	return true;
}

/*
 * parse_integer reads an integral JSON number into an int64, refusing
 * fractions, exponents that leave a fraction, and values beyond int64.
 */
static int64
parse_integer(const JbObject *obj, const char *key, const JsonbValue *v,
			  int64 min, int64 max, const char *expected)
{
	char	   *digits;
	char	   *end;
	long long	value;

	if (v->type != jbvNumeric)
		wrong_type(obj, key, expected, v);
	if (numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric))
		wrong_type(obj, key, expected, v);

	/* numeric_normalize drops trailing fractional zeros: "2.0" -> "2" */
	digits = numeric_normalize(v->val.numeric);
	errno = 0;
	value = strtoll(digits, &end, 10);
	if (*end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" of %s must be %s, not %s",
						key, jbr_where(obj), expected, shown_number(digits))));
	if (errno == ERANGE || value < min || value > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" of %s is out of range: %s",
						key, jbr_where(obj), shown_number(digits))));
	pfree(digits);
	return (int64) value;
}

bool
jbr_int32(const JbObject *obj, const char *key, bool required, int32 *out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);

	if (v == NULL)
		return false;
	*out = (int32) parse_integer(obj, key, v, PG_INT32_MIN, PG_INT32_MAX,
								 "an integer");
	return true;
}

bool
jbr_int64(const JbObject *obj, const char *key, bool required, int64 *out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);

	if (v == NULL)
		return false;
	*out = parse_integer(obj, key, v, PG_INT64_MIN, PG_INT64_MAX, "an integer");
	return true;
}

bool
jbr_float8(const JbObject *obj, const char *key, bool required, double *out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);
	char	   *digits;
	double		value;

	if (v == NULL)
		return false;
	if (v->type != jbvNumeric)
		wrong_type(obj, key, "a number", v);
	digits = numeric_normalize(v->val.numeric);
	errno = 0;
	value = strtod(digits, NULL);
	if (errno == ERANGE || isinf(value) || isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" of %s is out of range: %s",
						key, jbr_where(obj), shown_number(digits))));
	pfree(digits);
	*out = value;
	return true;
}

bool
jbr_numeric(const JbObject *obj, const char *key, bool required, Numeric *out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);

	if (v == NULL)
		return false;
	if (v->type != jbvNumeric)
		wrong_type(obj, key, "a number", v);
	*out = v->val.numeric;
	return true;
}

bool
jbr_bool(const JbObject *obj, const char *key, bool required, bool *out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);

	if (v == NULL)
		return false;
	if (v->type != jbvBool)
		wrong_type(obj, key, "a boolean", v);
	*out = v->val.boolean;
	return true;
}

bool
jbr_jsonb(const JbObject *obj, const char *key, bool required, Jsonb **out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);

	if (v == NULL)
		return false;
	*out = JsonbValueToJsonb(v);
	return true;
}

bool
jbr_sub_object(const JbObject *obj, const char *key, bool required, JbObject *out)
{
	JsonbValue	buf;
	JsonbValue *v = find_value(obj, key, required, &buf);

	if (v == NULL)
		return false;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		wrong_type(obj, key, "an object", v);
	out->c = v->val.binary.data;
	out->ctx = psprintf("%s.%s", jbr_where(obj), key);
	out->index = -1;
	return true;
}
