/*-------------------------------------------------------------------------
 *
 * selftest_direct.c
 *	  Self-test entry points of the write paths that bypass SQL: the
 *	  campaign charge (src/campaigns/charge.c), the row append
 *	  (src/common/append.c), the quota check (src/quota/check_direct.c) and
 *	  the orchestration claim and ack (src/orchestration/claim.c,
 *	  ack_lock.c, ack_rows.c).
 *
 * Like the others, never declared by the install script; the campaigns_charge
 * and quota_direct regression tests declare them as a superuser to see which
 * path the last call took in this backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "campaigns/charge.h"
#include "common/append.h"
#include "orchestration/ack_lock.h"
#include "orchestration/ack_rows.h"
#include "orchestration/claim.h"
#include "orchestration/fetch_read.h"
#include "orchestration/work_direct.h"
#include "quota/check_direct.h"

PG_FUNCTION_INFO_V1(experiments_selftest_charge_path);

/*
 * experiments_selftest_charge_path() -> text: 'direct', or why the last
 * charge went back to SQL.
 */
Datum
experiments_selftest_charge_path(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	PG_RETURN_TEXT_P(cstring_to_text(charge_last_fallback ? charge_last_fallback : "direct"));
}

PG_FUNCTION_INFO_V1(experiments_selftest_append_path);

/*
 * experiments_selftest_append_path() -> text: 'direct', or why the last
 * append_rows() went back to SQL.
 */
Datum
experiments_selftest_append_path(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	PG_RETURN_TEXT_P(cstring_to_text(append_last_fallback[0] ? append_last_fallback : "direct"));
}

PG_FUNCTION_INFO_V1(experiments_selftest_quota_check_path);

/*
 * experiments_selftest_quota_check_path() -> text: 'direct', or why the last
 * quota check went back to SQL.
 */
Datum
experiments_selftest_quota_check_path(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	PG_RETURN_TEXT_P(cstring_to_text(quota_check_last_fallback[0] ?
									 quota_check_last_fallback : "direct"));
}

PG_FUNCTION_INFO_V1(experiments_selftest_claim_path);

/*
 * experiments_selftest_claim_path() -> text: 'direct', or why the last
 * fetch_orchestration_item() claimed, or read the instance, by SQL.
 */
Datum
experiments_selftest_claim_path(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	if (orch_claim_last_fallback[0])
		PG_RETURN_TEXT_P(cstring_to_text(orch_claim_last_fallback));
	if (orch_read_last_fallback[0])
		PG_RETURN_TEXT_P(cstring_to_text(orch_read_last_fallback));
	PG_RETURN_TEXT_P(cstring_to_text("direct"));
}

PG_FUNCTION_INFO_V1(experiments_selftest_ack_path);

/*
 * experiments_selftest_ack_path() -> text: 'direct', or why the last
 * ack_orchestration_item() validated and released its lock, or wrote the
 * instance and execution, by SQL.
 */
Datum
experiments_selftest_ack_path(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	if (orch_ack_last_fallback[0])
		PG_RETURN_TEXT_P(cstring_to_text(orch_ack_last_fallback));
	if (orch_ack_rows_last_fallback[0])
		PG_RETURN_TEXT_P(cstring_to_text(orch_ack_rows_last_fallback));
	PG_RETURN_TEXT_P(cstring_to_text("direct"));
}

PG_FUNCTION_INFO_V1(experiments_selftest_work_path);

/*
 * experiments_selftest_work_path() -> text: 'direct', or why the last
 * fetch_work_item() (without owner) or ack_worker() used SQL.
 */
Datum
experiments_selftest_work_path(PG_FUNCTION_ARGS)
{
	(void) fcinfo;
	if (orch_work_last_fallback[0])
		PG_RETURN_TEXT_P(cstring_to_text(orch_work_last_fallback));
	PG_RETURN_TEXT_P(cstring_to_text("direct"));
}
