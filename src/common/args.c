/*-------------------------------------------------------------------------
 *
 * args.c
 *	  NULL and range checks with the SQLSTATEs of SPEC section 5.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/args.h"

void
arg_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

char *
arg_cstring(FunctionCallInfo fcinfo, int argno, const char *name)
{
	arg_not_null(fcinfo, argno, name);
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* 22023 when value is empty or only white space. */
static void
check_not_blank(const char *value, const char *name)
{
	const char *p;

	for (p = value; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
		;
	if (*p == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name)));
}

char *
arg_text_bounded(FunctionCallInfo fcinfo, int argno, const char *name, int maxlen)
{
	char	   *value = arg_cstring(fcinfo, argno, name);
	size_t		len = strlen(value);

	check_not_blank(value, name);
	if (len > (size_t) maxlen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too long", name),
				 errdetail("It has %zu bytes; at most %d are allowed.", len, maxlen)));
	return value;
}

void
text_check_chars(const char *value, const char *name, int maxchars)
{
	int			len = pg_mbstrlen(value);

	if (len > maxchars)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too long", name),
				 errdetail("It has %d characters; at most %d are allowed.", len, maxchars)));
}

char *
arg_text_bounded_chars(FunctionCallInfo fcinfo, int argno, const char *name, int maxchars)
{
	char	   *value = arg_cstring(fcinfo, argno, name);

	check_not_blank(value, name);
	text_check_chars(value, name, maxchars);
	return value;
}

void
arg_datum_or_null(FunctionCallInfo fcinfo, int argno, Datum *value, char *null)
{
	if (PG_ARGISNULL(argno))
	{
		*value = (Datum) 0;
		*null = 'n';
	}
	else
	{
		*value = PG_GETARG_DATUM(argno);
		*null = ' ';
	}
}

int32
arg_int32_in(FunctionCallInfo fcinfo, int argno, const char *name,
			 int32 min, int32 max)
{
	int32		value;

	arg_not_null(fcinfo, argno, name);
	value = PG_GETARG_INT32(argno);
	if (value < min || value > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d", name, min, max),
				 errdetail("The value given was %d.", value)));
	return value;
}

int64
arg_int64_in(FunctionCallInfo fcinfo, int argno, const char *name,
			 int64 min, int64 max)
{
	int64		value;

	arg_not_null(fcinfo, argno, name);
	value = PG_GETARG_INT64(argno);
	if (value < min || value > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between " INT64_FORMAT " and " INT64_FORMAT,
						name, min, max),
				 errdetail("The value given was " INT64_FORMAT ".", value)));
	return value;
}

void
arg_one_of(const char *value, const char *name, const char *const *choices)
{
	StringInfoData list;
	const char *const *c;

	for (c = choices; *c != NULL; c++)
		if (strcmp(value, *c) == 0)
			return;

	initStringInfo(&list);
	for (c = choices; *c != NULL; c++)
		appendStringInfo(&list, "%s%s", c == choices ? "" : ", ", *c);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s \"%s\"", name, value),
			 errhint("Valid values are: %s.", list.data)));
}
