/*-------------------------------------------------------------------------
 *
 * register.h
 *	  experiments.sp_register_user(): user, profile and subscription.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_REGISTER_H
#define EXPERIMENTS_QUOTA_REGISTER_H

#include "postgres.h"
#include "fmgr.h"

/* RFC 5321 limits on an address and its local part. */
#define QUOTA_MAX_EMAIL 254
#define QUOTA_MAX_EMAIL_LOCAL 64
#define QUOTA_MAX_USER_NAME 64
#define QUOTA_MAX_PASSWORD_HASH 1024

extern PGDLLEXPORT Datum experiments_sp_register_user(PG_FUNCTION_ARGS);

/*
 * The address lower-cased, or 22023 when it does not look like one: one
 * "@", a local part of 1 to 64 bytes, a domain with an inner dot, no blanks
 * or control characters, at most 254 bytes.
 */
extern char *quota_normalize_email(const char *email);

#endif							/* EXPERIMENTS_QUOTA_REGISTER_H */
