/*-------------------------------------------------------------------------
 *
 * jsonb_read.h
 *	  Typed readers for JSON arguments, with errors that name the key.
 *
 *	JbObject seg = jbr_element_object(segments, "in_segments", i);
 *	int32 idx;
 *	(void) jbr_int32(&seg, "idx", true, &idx);
 *
 * A missing key, a JSON null and a value of the wrong type each raise 22023
 * with the place ("in_segments[3]") and the key in the message.  Readers
 * return false when an optional key is absent or null.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_JSONB_READ_H
#define EXPERIMENTS_JSONB_READ_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* A JSON object and where it came from, for messages. */
typedef struct JbObject
{
	JsonbContainer *c;
	const char *ctx;			/* argument name, e.g. "p_variants" */
	int			index;			/* element index in ctx, or -1 */
} JbObject;

/* The argument as an object (22023 "<ctx> must be a JSON object" otherwise). */
extern JbObject jbr_object(Jsonb *jb, const char *ctx);

/* The argument as an array; returns its element count. */
extern int	jbr_array(Jsonb *jb, const char *ctx, JsonbContainer **array);

/* Element i of an array, which must be an object. */
extern JbObject jbr_element_object(JsonbContainer *array, const char *ctx, int i);

/* Element i of an array as a scalar string. */
extern char *jbr_element_text(JsonbContainer *array, const char *ctx, int i);

/* Does the object have the key with a non-null value? */
extern bool jbr_has(const JbObject *obj, const char *key);

extern bool jbr_text(const JbObject *obj, const char *key, bool required, char **out);
extern bool jbr_int32(const JbObject *obj, const char *key, bool required, int32 *out);
extern bool jbr_int64(const JbObject *obj, const char *key, bool required, int64 *out);
extern bool jbr_float8(const JbObject *obj, const char *key, bool required, double *out);
extern bool jbr_numeric(const JbObject *obj, const char *key, bool required, Numeric *out);
extern bool jbr_bool(const JbObject *obj, const char *key, bool required, bool *out);

/* Any JSON value (object, array or scalar) as a jsonb datum of its own. */
extern bool jbr_jsonb(const JbObject *obj, const char *key, bool required, Jsonb **out);

/* A sub-object (22023 if present and not an object). */
extern bool jbr_sub_object(const JbObject *obj, const char *key, bool required,
						   JbObject *out);

/* "p_variants[2]" or "p_variants", for messages of the caller's own checks. */
extern char *jbr_where(const JbObject *obj);

#endif							/* EXPERIMENTS_JSONB_READ_H */
