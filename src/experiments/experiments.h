/*-------------------------------------------------------------------------
 *
 * experiments.h
 *	  Experiments domain, part 1 (seeds 000 and 003): definitions,
 *	  deterministic assignment, events, conversions, the outbox relay and
 *	  the leads queue.  Shared pieces of the entry points.
 *
 * Entry points live one concern per file:
 *	  bucketing.c    murmur3_32, hash, the variant choice
 *	  definitions.c  create_experiment, get_experiment_with_variants,
 *	                 list_active_experiments, activate/pause/complete_experiment
 *	  assignment.c   get_or_create_assignment, get_bulk_assignments
 *	  events.c       record_event, record_batch_events, record_conversion,
 *	                 fold_variant_counters
 *	  retention.c    the daily partitions of events: ensure_event_partitions,
 *	                 cleanup_old_events
 *	  outbox.c       claim_outbox_events, ack_outbox_events, the NOTIFY
 *	  leads.c        capture_lead, claim_leads, set_lead_status
 *	  realtime.c     the experiments_realtime publication (install time)
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_EXPERIMENTS_H
#define EXPERIMENTS_EXPERIMENTS_H

#include "postgres.h"
#include "fmgr.h"

/* Longest key, name, user id, email and source accepted (bytes). */
#define EXP_MAX_TEXT 255

/* Number of counter stripes per variant (variant_counters.slot 0..15). */
#define EXP_COUNTER_SLOTS 16

/* The LISTEN channel woken once per committing transaction with outbox rows. */
#define EXP_OUTBOX_CHANNEL "experiments_outbox"

/* Largest record_batch_events array. */
#define EXP_MAX_BATCH 100000

/* This backend's counter stripe. */
extern int16 exp_counter_slot(void);

/*
 * Queue the outbox NOTIFY for this transaction; PostgreSQL folds identical
 * notifications of one transaction into one, delivered at commit.
 */
extern void exp_notify_outbox(void);

/* The user id argument: not NULL (22004), not blank, at most EXP_MAX_TEXT bytes. */
extern char *exp_user_id_arg(FunctionCallInfo fcinfo, int argno);

/*
 * Is s (len bytes) an event type: 1 to 64 characters of [a-z0-9_.:-]?
 * exp_check_event_type raises 22023 for one that is not.
 */
extern bool exp_event_type_valid(const char *s, size_t len);
extern void exp_check_event_type(const char *s, const char *argname);

extern Datum experiments_install_realtime_publication(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_EXPERIMENTS_H */
