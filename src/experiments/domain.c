/*-------------------------------------------------------------------------
 *
 * domain.c
 *	  Small pieces the experiments entry points share: the counter stripe,
 *	  the outbox NOTIFY, and the user id and event type checks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/async.h"
#include "utils/builtins.h"

#include "common/args.h"
#include "common/compat.h"
#include "experiments/experiments.h"

int16
exp_counter_slot(void)
{
	/*
	 * Backends alive at the same time have distinct numbers, so up to 16
	 * concurrent sessions never share a stripe.
	 */
	return (int16) (compat_backend_number() % EXP_COUNTER_SLOTS);
}

void
exp_notify_outbox(void)
{
	Async_Notify(EXP_OUTBOX_CHANNEL, NULL);
}

char *
exp_user_id_arg(FunctionCallInfo fcinfo, int argno)
{
	return arg_text_bounded(fcinfo, argno, "p_user_id", EXP_MAX_TEXT);
}

bool
exp_event_type_valid(const char *s, size_t len)
{
	size_t		i;

	if (len < 1 || len > 64)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '.' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

void
exp_check_event_type(const char *s, const char *argname)
{
	if (!exp_event_type_valid(s, strlen(s)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" is not a valid event type", argname, s),
				 errhint("An event type is 1 to 64 characters from a-z, 0-9, \"_\", \".\", \":\" and \"-\".")));
}
