/*-------------------------------------------------------------------------
 *
 * bucketing.c
 *	  MurmurHash3 x86_32, GrowthBook's hash, and variant choice; the pure SQL
 *	  functions experiments.murmur3_32() and experiments.hash().
 *
 * MurmurHash3 x86_32 is Austin Appleby's public-domain algorithm: 4-byte
 * little-endian blocks mixed with c1/c2 and rotations, a tail, and the fmix32
 * finaliser.  It hashes the UTF-8 bytes of the key (converted from the server
 * encoding when that is not UTF-8), which is what Python's mmh3 hashes.
 *
 * GrowthBook's hash is FNV-1a 32 over the characters of a string.  Its SDKs
 * feed UTF-16 code units (JavaScript) or code points (Python); this port feeds
 * Unicode code points, so it agrees with both for every character of the
 * Basic Multilingual Plane (in a UTF-8 database), and trivially for ASCII.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "experiments/bucketing.h"
#include "experiments/experiments.h"

static inline uint32
rotl32(uint32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

uint32
exp_murmur3_32(const unsigned char *data, size_t len, uint32 seed)
{
	const uint32 c1 = 0xcc9e2d51;
	const uint32 c2 = 0x1b873593;
	size_t		nblocks = len / 4;
	uint32		h = seed;
	uint32		k;
	size_t		i;
	const unsigned char *tail;

	for (i = 0; i < nblocks; i++)
	{
		const unsigned char *p = data + i * 4;

		k = (uint32) p[0] | ((uint32) p[1] << 8) |
			((uint32) p[2] << 16) | ((uint32) p[3] << 24);
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
		h = rotl32(h, 13);
		h = h * 5 + 0xe6546b64;
	}

	tail = data + nblocks * 4;
	k = 0;
	switch (len & 3)
	{
		case 3:
			k ^= (uint32) tail[2] << 16;
			/* FALLTHROUGH */
		case 2:
			k ^= (uint32) tail[1] << 8;
			/* FALLTHROUGH */
		case 1:
			k ^= (uint32) tail[0];
			k *= c1;
			k = rotl32(k, 15);
			k *= c2;
			h ^= k;
	}

	h ^= (uint32) len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* FNV-1a 32 step over one character. */
static inline uint32
fnv1a_step(uint32 h, uint32 c)
{
	h ^= c;
	return h * 16777619u;
}

/* FNV-1a 32 over the characters of a server-encoded string. */
static uint32
fnv1a_chars(uint32 h, const char *s, int len)
{
	if (pg_database_encoding_max_length() == 1)
	{
		int			i;

		for (i = 0; i < len; i++)
			h = fnv1a_step(h, (unsigned char) s[i]);
	}
	else
	{
		pg_wchar   *w = palloc((len + 1) * sizeof(pg_wchar));
		int			n = pg_mb2wchar_with_len(s, w, len);
		int			i;

		for (i = 0; i < n; i++)
			h = fnv1a_step(h, (uint32) w[i]);
		pfree(w);
	}
	return h;
}

#define FNV_OFFSET_BASIS 0x811c9dc5u

bool
exp_growthbook_hash(const char *seed, int seed_len, const char *value, int value_len,
					int version, double *result)
{
	uint32		h;

	if (version == 2)
	{
		char		digits[16];
		int			n;

		/* fnv1a32(seed + value), then fnv1a32 of its decimal string */
		h = fnv1a_chars(FNV_OFFSET_BASIS, seed, seed_len);
		h = fnv1a_chars(h, value, value_len);
		n = snprintf(digits, sizeof(digits), "%u", h);
		h = fnv1a_chars(FNV_OFFSET_BASIS, digits, n);
		*result = (double) (h % 10000) / 10000.0;
		return true;
	}
	if (version == 1)
	{
		/* fnv1a32(value + seed) */
		h = fnv1a_chars(FNV_OFFSET_BASIS, value, value_len);
		h = fnv1a_chars(h, seed, seed_len);
		*result = (double) (h % 1000) / 1000.0;
		return true;
	}
	return false;
}

bool
exp_bucketing_mode(const char *name, BucketingMode *mode)
{
	if (strcmp(name, "mmh3") == 0)
		*mode = BUCKETING_MMH3;
	else if (strcmp(name, "growthbook") == 0)
		*mode = BUCKETING_GROWTHBOOK;
	else
		return false;
	return true;
}

/* murmur3_32 of a server-encoded string's UTF-8 bytes. */
static uint32
murmur3_server_string(const char *s, int len, uint32 seed)
{
	const char *utf8 = s;
	uint32		h;

	if (GetDatabaseEncoding() != PG_UTF8)
	{
		utf8 = (const char *) pg_do_encoding_conversion((unsigned char *) s, len,
														GetDatabaseEncoding(),
														PG_UTF8);
		if (utf8 != s)
			len = strlen(utf8);
	}
	h = exp_murmur3_32((const unsigned char *) utf8, len, seed);
	if (utf8 != s)
		pfree((char *) utf8);
	return h;
}

int
exp_choose_variant(BucketingMode mode, int64 experiment_id, const char *user_id,
				   const char *seed, double coverage, int nvariants, const int32 *pct)
{
	double		n;
	double		cumulative = 0.0;
	int			i;

	if (mode == BUCKETING_MMH3)
	{
		/*
		 * In whole buckets: with coverage 1, variant i owns the buckets below
		 * its cumulative percentage * 100 and at or above the previous one,
		 * exactly the seed's rule "bucket < cumulative_pct / 100 * 10000".
		 */
		char	   *key = psprintf(INT64_FORMAT ":%s:%s", experiment_id, user_id, seed);
		uint32		bucket = murmur3_server_string(key, strlen(key), 0) % 10000;
		int32		start = 0;

		pfree(key);
		for (i = 0; i < nvariants; i++)
		{
			double		end = (double) start + coverage * (double) pct[i] * 100.0;

			if ((double) bucket >= (double) start && (double) bucket < end)
				return i;
			start += pct[i] * 100;
		}
		return -1;
	}

	/* GrowthBook: getBucketRanges + chooseVariation, in doubles as the SDK */
	(void) exp_growthbook_hash(seed, strlen(seed), user_id, strlen(user_id), 2, &n);
	for (i = 0; i < nvariants; i++)
	{
		double		w = (double) pct[i] / 100.0;
		double		start = cumulative;

		cumulative += w;
		if (n >= start && n < start + coverage * w)
			return i;
	}
	return -1;
}

PG_FUNCTION_INFO_V1(experiments_murmur3_32);

/* murmur3_32(p_key text, p_seed bigint DEFAULT 0) -> bigint, unsigned. */
Datum
experiments_murmur3_32(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	int64		seed = PG_GETARG_INT64(1);

	if (seed < 0 || seed > (int64) PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("p_seed must be between 0 and 4294967295"),
				 errdetail("It is " INT64_FORMAT ".", seed)));
	PG_RETURN_INT64((int64) murmur3_server_string(VARDATA_ANY(key),
												  VARSIZE_ANY_EXHDR(key),
												  (uint32) seed));
}

PG_FUNCTION_INFO_V1(experiments_hash);

/* hash(p_seed text, p_value text, p_version int DEFAULT 2) -> float8 or NULL. */
Datum
experiments_hash(PG_FUNCTION_ARGS)
{
	text	   *seed = PG_GETARG_TEXT_PP(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	int32		version = PG_GETARG_INT32(2);
	double		result;

	if (!exp_growthbook_hash(VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed),
							 VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
							 version, &result))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}
