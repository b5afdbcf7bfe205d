/*-------------------------------------------------------------------------
 *
 * campaigns.h
 *	  Shared pieces of the campaigns domain (seed 004): the JSONB envelope
 *	  every writing entry point answers with, and small argument helpers.
 *
 * Entry points live one concern per file:
 *	  envelope.c     the envelope: subtransaction, error mapping, lock bound
 *	  create.c       create_campaign_with_coverage
 *	  businesses.c   insert_businesses_batch
 *	  statistics.c   update_campaign_statistics
 *	  costs.c        track_campaign_cost
 *	  coverage.c     update_coverage_status
 *	  enrichment.c   update_enrichment_batch
 *	  verification.c update_email_verification
 *	  readers.c      get_businesses_for_enrichment, claim_businesses_for_enrichment
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_CAMPAIGNS_H
#define EXPERIMENTS_CAMPAIGNS_H

#include "postgres.h"
#include "fmgr.h"

#include "common/jsonb_build.h"
#include "common/jsonb_read.h"
#include "common/subxact.h"

/* The seed's lock_timeout: no call waits longer than this for a lock (ms). */
#define CAMPAIGNS_LOCK_TIMEOUT_MS 5000

/*
 * The body of an enveloped entry point.  It runs guarded, with SPI
 * connected, inside a subtransaction; it checks its arguments, does its
 * writes and adds its success fields to b (after "success": true).  The
 * envelope finishes the builder inside the subtransaction, so the body may
 * hand it values that point into SPI's result rows.
 */
typedef void (*CampaignBody) (FunctionCallInfo fcinfo, JbBuilder *b);

/*
 * Run body under the envelope and return the jsonb result.  Any error the
 * body raises - argument checks included - comes back as
 * {"success": false, "error", "error_code", "error_detail",
 *  "retry_recommended"} with nothing of the body's writes left behind;
 * errors subxact_must_rethrow() names (out of memory, cancel, crash-class
 * errors) stay errors.
 */
extern Datum campaigns_envelope(FunctionCallInfo fcinfo, CampaignBody body);

/* The seed's error table: the "error" text and whether a retry can help. */
extern const char *campaigns_error_text(const CaughtError *err, bool *retry);

/*
 * A non-negative, finite amount rounded to scale decimals and at most max
 * (22004 on NULL, 22023 otherwise), as a numeric datum.
 */
extern Datum campaigns_arg_amount(FunctionCallInfo fcinfo, int argno, const char *name,
								  int scale, const char *max);

/* An optional array of strings under key, as jsonb (22023 on another shape). */
extern bool campaigns_jb_string_array(const JbObject *obj, const char *key, Jsonb **out);

/* An optional (or required) string of at most maxlen characters. */
extern char *campaigns_jb_varchar(const JbObject *obj, const char *key, bool required,
								  int maxlen);

/* 'facebook' or 'linkedin' (22023 otherwise, naming the valid values). */
extern bool campaigns_enrichment_is_facebook(const char *type, const char *name);

#endif							/* EXPERIMENTS_CAMPAIGNS_H */
