/*-------------------------------------------------------------------------
 *
 * bucketing.h
 *	  Deterministic bucketing: MurmurHash3 x86_32, GrowthBook's FNV-1a
 *	  hash (versions 1 and 2), and the choice of a variant from weights.
 *
 * Two modes, chosen per experiment by config->>'bucketing':
 *	  mmh3        n = (murmur3_32(experiment_id || ':' || user_id || ':' || seed, 0)
 *	              % 10000) / 10000, as the seed's assignment service computed it;
 *	  growthbook  n = hash(seed, user_id, 2), as GrowthBook's SDKs compute it.
 * Then variant i (ordered by id) owns [c_i, c_i + coverage * w_i), with c_i the
 * cumulative weight; the first range holding n wins, none = not enrolled.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_BUCKETING_H
#define EXPERIMENTS_BUCKETING_H

#include "postgres.h"

typedef enum BucketingMode
{
	BUCKETING_MMH3,
	BUCKETING_GROWTHBOOK
} BucketingMode;

/* MurmurHash3 x86_32 of len bytes. */
extern uint32 exp_murmur3_32(const unsigned char *data, size_t len, uint32 seed);

/*
 * GrowthBook's hash(seed, value, version) of server-encoded strings; the
 * result is in [0, 1).  Returns false for a version other than 1 or 2.
 */
extern bool exp_growthbook_hash(const char *seed, int seed_len,
								const char *value, int value_len,
								int version, double *result);

/* "mmh3" / "growthbook" -> mode; false for anything else. */
extern bool exp_bucketing_mode(const char *name, BucketingMode *mode);

/*
 * The index of the variant a user falls in, or -1 (outside the traffic
 * allocation).  pct[i] are the variants' allocation percentages in id order.
 */
extern int	exp_choose_variant(BucketingMode mode, int64 experiment_id,
							   const char *user_id, const char *seed,
							   double coverage, int nvariants, const int32 *pct);

#endif							/* EXPERIMENTS_BUCKETING_H */
