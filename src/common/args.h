/*-------------------------------------------------------------------------
 *
 * args.h
 *	  Argument checks shared by every entry point.
 *
 * Functions are declared CALLED ON NULL INPUT where NULL has a meaning, and
 * STRICT-like checks happen here with a message naming the parameter:
 *
 *	arg_not_null(fcinfo, 0, "p_role");        -> 22004 if NULL
 *	n = arg_int32_in(fcinfo, 2, "p_limit", 1, 10000);  -> 22023 if out of range
 *
 * Every check runs before the first write of the call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ARGS_H
#define EXPERIMENTS_ARGS_H

#include "postgres.h"
#include "fmgr.h"

/* Raise 22004 "<name> must not be null" when argument argno is NULL. */
extern void arg_not_null(FunctionCallInfo fcinfo, int argno, const char *name);

/* The argument as a NUL-terminated string in the current context (22004 on NULL). */
extern char *arg_cstring(FunctionCallInfo fcinfo, int argno, const char *name);

/*
 * The argument as a string that is neither empty nor blank and at most
 * maxlen bytes long (22004 on NULL, 22023 otherwise).
 */
extern char *arg_text_bounded(FunctionCallInfo fcinfo, int argno, const char *name,
							  int maxlen);

/* The same with the limit in characters, as for a varchar(maxchars) column. */
extern char *arg_text_bounded_chars(FunctionCallInfo fcinfo, int argno, const char *name,
									int maxchars);

/* 22023 "<name> is too long" when value has more than maxchars characters. */
extern void text_check_chars(const char *value, const char *name, int maxchars);

/* An optional argument as an SPI parameter: its datum, or SQL NULL ('n'). */
extern void arg_datum_or_null(FunctionCallInfo fcinfo, int argno, Datum *value,
							  char *null);

/* The argument, which must lie in [min, max] (22004 on NULL, 22023 outside). */
extern int32 arg_int32_in(FunctionCallInfo fcinfo, int argno, const char *name,
						  int32 min, int32 max);
extern int64 arg_int64_in(FunctionCallInfo fcinfo, int argno, const char *name,
						  int64 min, int64 max);

/* Raise 22023 unless value is one of the NULL-terminated choices. */
extern void arg_one_of(const char *value, const char *name,
					   const char *const *choices);

#endif							/* EXPERIMENTS_ARGS_H */
