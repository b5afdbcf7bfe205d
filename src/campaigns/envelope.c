/*-------------------------------------------------------------------------
 *
 * envelope.c
 *	  The campaigns domain's JSONB envelope (seed 004's error contract).
 *
 * Every writing entry point runs its body here:
 *
 *	guard + SPI_connect
 *	lock_timeout := least(the caller's, 5 s)          (restored on the way out)
 *	subtransaction { body: argument checks, statements, success fields }
 *	success  -> {"success": true, ...}
 *	an error -> subtransaction rolled back (nothing of the call remains),
 *	            {"success": false, "error", "error_code", "error_detail",
 *	             "retry_recommended"}
 *
 * The subtransaction is what lets a C function turn deadlock_detected
 * (40P01), serialization_failure (40001) and lock_not_available (55P03)
 * raised by its own statements into data: PostgreSQL raises them in the
 * backend that waits, inside whatever subtransaction is current, and rolling
 * that subtransaction back releases every lock it took, exactly as a
 * PL/pgSQL EXCEPTION block would.  Locks and writes the caller made before
 * the call stay, so a retry in a new transaction is what clears a conflict;
 * hence retry_recommended.
 *
 * Errors a subtransaction runner must never hide (out of memory, cancel,
 * shutdown, internal errors: subxact_must_rethrow) are re-thrown.
 *
 * The lock bound: lock_timeout's variable, lowered for the call and put back
 * by PG_FINALLY whichever way the call ends (the setting has no assign hook
 * and nothing reads it but a lock wait).  lock_timeout is read when a wait begins, so it
 * takes effect for the statements of this call; statement_timeout is armed
 * at statement start and cannot be changed from inside a statement, which
 * is why the seed's suggested statement_timeout is left to the caller.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

#include "common/args.h"
#include "common/guard.h"
#include "common/subxact.h"
#include "campaigns/campaigns.h"

typedef struct EnvelopeCall
{
	FunctionCallInfo fcinfo;
	CampaignBody body;
	Jsonb	   *result;
} EnvelopeCall;

static void
envelope_body(void *arg)
{
	EnvelopeCall *call = (EnvelopeCall *) arg;
	JbBuilder	b = {0};

	jbb_begin_object(&b);
	jbb_key_bool(&b, "success", true);
	call->body(call->fcinfo, &b);
	jbb_end_object(&b);
	call->result = jbb_finish(&b);
}

const char *
campaigns_error_text(const CaughtError *err, bool *retry)
{
	*retry = false;
	switch (err->sqlerrcode)
	{
		case ERRCODE_UNIQUE_VIOLATION:
			return "Duplicate record detected";
		case ERRCODE_FOREIGN_KEY_VIOLATION:
			return "Referenced record not found";
		case ERRCODE_T_R_DEADLOCK_DETECTED:
		case ERRCODE_T_R_SERIALIZATION_FAILURE:
		case ERRCODE_LOCK_NOT_AVAILABLE:
			*retry = true;
			return "Operation conflict, please retry";
		case ERRCODE_NO_DATA_FOUND:
			{
				/* our own "campaign not found": the message, capitalised */
				char	   *text = pstrdup(err->message);

				if (text[0] >= 'a' && text[0] <= 'z')
					text[0] += 'A' - 'a';
				return text;
			}
		default:
			break;
	}
	if (ERRCODE_TO_CATEGORY(err->sqlerrcode) == ERRCODE_DATA_EXCEPTION)
		return "Invalid input";
	return "Database operation failed";
}

static Jsonb *
failure_envelope(const CaughtError *err)
{
	JbBuilder	b = {0};
	bool		retry;
	const char *text = campaigns_error_text(err, &retry);

	jbb_begin_object(&b);
	jbb_key_bool(&b, "success", false);
	jbb_key_text(&b, "error", text);
	jbb_key_text(&b, "error_code", err->sqlstate);
	jbb_key_text(&b, "error_detail", err->message);
	jbb_key_bool(&b, "retry_recommended", retry);
	jbb_end_object(&b);
	return jbb_finish(&b);
}

Datum
campaigns_envelope(FunctionCallInfo fcinfo, CampaignBody body)
{
	MemoryContext caller = CurrentMemoryContext;
	ApiGuard	guard;
	EnvelopeCall call;
	CaughtError err;
	int			saved_timeout;
	Jsonb	   *result;
	bool		ok;

	api_spi_begin(fcinfo, &guard);

	call.fcinfo = fcinfo;
	call.body = body;
	call.result = NULL;

	/*
	 * The lock bound, set on lock_timeout's variable for the length of the
	 * call and put back on every way out.  Through set_config_option it was
	 * a GUC nest level, and popping one walks every setting the server has,
	 * under the campaign row lock of a charge.
	 */
	saved_timeout = LockTimeout;
	if (LockTimeout <= 0 || LockTimeout > CAMPAIGNS_LOCK_TIMEOUT_MS)
		LockTimeout = CAMPAIGNS_LOCK_TIMEOUT_MS;
	PG_TRY();
	{
		ok = subxact_run(envelope_body, &call, &err);
	}
	PG_FINALLY();
	{
		LockTimeout = saved_timeout;
	}
	PG_END_TRY();

	MemoryContextSwitchTo(caller);
	if (ok)
		result = (Jsonb *) PG_DETOAST_DATUM_COPY(JsonbPGetDatum(call.result));
	else
		result = failure_envelope(&err);
	api_spi_end(&guard);

	PG_RETURN_JSONB_P(result);
}




bool
campaigns_enrichment_is_facebook(const char *type, const char *name)
{
	if (strcmp(type, "facebook") == 0)
		return true;
	if (strcmp(type, "linkedin") == 0)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be one of facebook, linkedin", name),
			 errdetail("The value given was \"%s\".", type)));
	return false;				/* keep the compiler quiet */
}

Datum
campaigns_arg_amount(FunctionCallInfo fcinfo, int argno, const char *name,
					 int scale, const char *max)
{
	Numeric		value;
	Datum		rounded;
	Datum		zero;
	Datum		limit;
	char	   *given;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
	value = PG_GETARG_NUMERIC(argno);
	if (numeric_is_nan(value) || numeric_is_inf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", name)));
	given = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(value)));
	rounded = DirectFunctionCall2(numeric_round, NumericGetDatum(value), Int32GetDatum(scale));
	zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, rounded, zero)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", name),
				 errdetail("The value given was %s.", given)));
	limit = DirectFunctionCall3(numeric_in, CStringGetDatum(max),
								ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, rounded, limit)) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be at most %s", name, max),
				 errdetail("The value given was %s.", given)));
	return rounded;
}

bool
campaigns_jb_string_array(const JbObject *obj, const char *key, Jsonb **out)
{
	Jsonb	   *value;
	int			n;
	int			i;

	if (!jbr_jsonb(obj, key, false, &value))
		return false;
	if (!JB_ROOT_IS_ARRAY(value) || JB_ROOT_IS_SCALAR(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" of %s must be an array of strings",
						key, jbr_where(obj))));
	n = JsonContainerSize(&value->root);
	for (i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&value->root, i);

		if (v == NULL || v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key \"%s\" of %s must be an array of strings",
							key, jbr_where(obj)),
					 errdetail("Element %d is not a string.", i)));
	}
	*out = value;
	return true;
}

char *
campaigns_jb_varchar(const JbObject *obj, const char *key, bool required, int maxlen)
{
	char	   *value;

	if (!jbr_text(obj, key, required, &value))
		return NULL;
	text_check_chars(value, psprintf("%s.%s", jbr_where(obj), key), maxlen);
	return value;
}

