/*-------------------------------------------------------------------------
 *
 * jsonb_build.h
 *	  Build jsonb results in C.
 *
 *	JbBuilder b;
 *	jbb_begin_object(&b);
 *	jbb_key_bool(&b, "success", true);
 *	jbb_key_int64(&b, "inserted", n);
 *	PG_RETURN_JSONB_P(jbb_finish(&b));
 *
 * The builder sits over pushJsonbValue, whose signature changes in
 * PostgreSQL 19; only jsonb_build.c touches it.  Build in the memory context
 * the result must live in (the caller's, not SPI's).
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_JSONB_BUILD_H
#define EXPERIMENTS_JSONB_BUILD_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

typedef struct JbBuilder
{
	JsonbParseState *state;
	JsonbValue *result;
} JbBuilder;

extern void jbb_begin_object(JbBuilder *b);
extern void jbb_end_object(JbBuilder *b);
extern void jbb_begin_array(JbBuilder *b);
extern void jbb_end_array(JbBuilder *b);
extern Jsonb *jbb_finish(JbBuilder *b);

/* A key inside an object; the next value call supplies its value. */
extern void jbb_key(JbBuilder *b, const char *key);

/* Values: as an array element, or as the value of the key just given. */
extern void jbb_text(JbBuilder *b, const char *value);	/* NULL -> null */
extern void jbb_text_len(JbBuilder *b, const char *value, int len);
extern void jbb_int64(JbBuilder *b, int64 value);
extern void jbb_float8(JbBuilder *b, double value);	/* NaN/inf -> null */
extern void jbb_numeric(JbBuilder *b, Numeric value);	/* NULL -> null */
extern void jbb_bool(JbBuilder *b, bool value);
extern void jbb_null(JbBuilder *b);
extern void jbb_jsonb(JbBuilder *b, Jsonb *value);	/* embed; NULL -> null */

/* key + value in one call, the common case. */
extern void jbb_key_text(JbBuilder *b, const char *key, const char *value);
extern void jbb_key_int64(JbBuilder *b, const char *key, int64 value);
extern void jbb_key_float8(JbBuilder *b, const char *key, double value);
extern void jbb_key_numeric(JbBuilder *b, const char *key, Numeric value);
extern void jbb_key_bool(JbBuilder *b, const char *key, bool value);
extern void jbb_key_null(JbBuilder *b, const char *key);
extern void jbb_key_jsonb(JbBuilder *b, const char *key, Jsonb *value);

#endif							/* EXPERIMENTS_JSONB_BUILD_H */
