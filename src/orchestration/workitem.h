/*-------------------------------------------------------------------------
 *
 * workitem.h
 *	  Reading duroxide WorkItem JSON: an externally tagged enum, an object
 *	  with one key (the variant) whose value is an object of fields.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCH_WORKITEM_H
#define EXPERIMENTS_ORCH_WORKITEM_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "common/jsonb_read.h"

/*
 * The variant and fields of a work item.  Returns false when the item is
 * not an object whose first key holds an object (then *variant is NULL).
 * ctx/index name the item in messages ("p_worker_items", 2); body->ctx
 * becomes "p_worker_items[2].ActivityExecute".
 */
extern bool wi_variant(JsonbContainer *item, const char *ctx, int index,
					   char **variant, JbObject *body);

/*
 * The instance an orchestrator item is routed to: the "instance" field of
 * the variants that name one, "parent_instance" of SubOrchCompleted and
 * SubOrchFailed, else NULL (the caller's own instance).
 */
extern char *wi_target_instance(const char *variant, const JbObject *body);

#endif							/* EXPERIMENTS_ORCH_WORKITEM_H */
