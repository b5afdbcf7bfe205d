-- Experiments: the pure hash functions against published reference vectors,
-- and deterministic bucketing over 100 000 users per configuration.
\set VERBOSITY default
-- experiment ids in messages are this file's own: start its sequence at 2000
SELECT setval('experiments.experiments_id_seq', 2000) AS seq_base \gset

--------------------------------------------------------------------------
-- murmur3_32: MurmurHash3 x86_32 reference vectors (the algorithm's
-- published verification values), unsigned as Python's
-- mmh3.hash(key, seed, signed=False)
--------------------------------------------------------------------------
SELECT key, seed, experiments.murmur3_32(key, seed) AS got, expected,
       experiments.murmur3_32(key, seed) = expected AS ok
  FROM (VALUES
    ('',                                             0,          0),
    ('',                                             1,          1364076727),  -- 0x514E28B7
    ('',                                             4294967295, 2180083513),  -- 0x81F16F39
    ('a',                                            2538058380, 2141232806),  -- 0x7FA09EA6
    ('aaaa',                                         2538058380, 1519878282),  -- 0x5A97808A
    ('abc',                                          0,          3017643002),  -- 0xB3DD93FA
    ('abcd',                                         2538058380, 4031219239),  -- 0xF0478627
    ('Hello, world!',                                2538058380, 612912314),   -- 0x24884CBA
    ('ππππππππ',                                     2538058380, 3581961153),  -- 0xD58063C1, UTF-8 bytes
    ('The quick brown fox jumps over the lazy dog',  2538058380, 799549133),   -- 0x2FA826CD
    ('foo',                                          0,          4138058784),  -- mmh3.hash('foo') = -156908512
    ('hello',                                        0,          613153351)    -- mmh3.hash('hello') = 613153351
  ) AS v (key, seed, expected)
 ORDER BY key COLLATE "C", seed;
-- UTF-8 bytes: 'é' is C3 A9, the same as hashing those two bytes
SELECT experiments.murmur3_32('é') = experiments.murmur3_32(convert_from('\xc3a9', 'UTF8')) AS utf8_bytes;
-- the default seed is 0; NULL in, NULL out
SELECT experiments.murmur3_32('abc') = experiments.murmur3_32('abc', 0) AS default_seed,
       experiments.murmur3_32(NULL) IS NULL AS null_key,
       experiments.murmur3_32('abc', NULL) IS NULL AS null_seed;
SELECT experiments.murmur3_32('abc', -1);
SELECT experiments.murmur3_32('abc', 4294967296);

--------------------------------------------------------------------------
-- hash: GrowthBook's published hash examples (test cases of its SDKs),
-- versions 1 and 2; any other version is NULL
--------------------------------------------------------------------------
SELECT seed, value, version, experiments.hash(seed, value, version) AS got, expected,
       experiments.hash(seed, value, version) IS NOT DISTINCT FROM expected AS ok
  FROM (VALUES
    ('',                        'a',                   1, 0.22::float8),
    ('',                        'b',                   1, 0.077),
    ('b',                       'a',                   1, 0.946),
    ('ef',                      'd',                   1, 0.652),
    ('asdf',                    '8952klfjas09ujk',     1, 0.549),
    ('',                        '123',                 1, 0.011),
    ('',                        '___)((*":&',          1, 0.563),
    ('seed',                    'a',                   2, 0.0505),
    ('seed',                    'b',                   2, 0.2696),
    ('foo',                     'ab',                  2, 0.2575),
    ('foo',                     'def',                 2, 0.2019),
    ('89123klj',                '8952klfjas09ujkasdf', 2, 0.124),
    ('90850943850283058242805', '123',                 2, 0.7516),
    ('()**(%$##$%#$#',          '___)((*":&',          2, 0.0128),
    ('abc',                     'def',                 99, NULL)
  ) AS v (seed, value, version, expected)
 ORDER BY version, seed COLLATE "C", value COLLATE "C";
SELECT experiments.hash('seed', 'a') AS default_version_2;
-- non-ASCII: FNV-1a over code points, as GrowthBook's JavaScript (UTF-16
-- units) and Python SDKs feed it: 'é' is one character U+00E9 (0.94; a
-- byte-wise port would give 0.217 for its two UTF-8 bytes)
SELECT experiments.hash('', 'é', 1) AS e_acute, experiments.hash('x', '漢字', 2) AS kanji;

--------------------------------------------------------------------------
-- bucketing over 100 000 users: 50/50, 34/33/33, 10/90 (mmh3, the default)
-- and 50/50 with traffic allocation 0.5 (growthbook); committed in batches
--------------------------------------------------------------------------
SELECT experiment_id AS e5050 FROM experiments.create_experiment('bucket-50-50', 'B', p_status => 'active',
    p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]') \gset
SELECT experiment_id AS e343333 FROM experiments.create_experiment('bucket-34-33-33', 'B', p_status => 'active',
    p_variants => '[{"key": "a", "allocation_pct": 34}, {"key": "b", "allocation_pct": 33},
                    {"key": "c", "allocation_pct": 33}]') \gset
SELECT experiment_id AS e1090 FROM experiments.create_experiment('bucket-10-90', 'B', p_status => 'active',
    p_variants => '[{"key": "a", "allocation_pct": 10}, {"key": "b", "allocation_pct": 90}]') \gset
SELECT experiment_id AS ehalf FROM experiments.create_experiment('bucket-half', 'B', p_status => 'active',
    p_config => '{"bucketing": "growthbook", "traffic_allocation": 0.5, "seed": "half-seed"}',
    p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]') \gset

CREATE TEMP TABLE bucket_exps AS
SELECT unnest(ARRAY[:e5050, :e343333, :e1090, :ehalf]::bigint[]) AS id;
DO $$
DECLARE
    e bigint;
BEGIN
    FOR e IN SELECT id FROM bucket_exps LOOP
        FOR b IN 0..99 LOOP
            PERFORM experiments.get_or_create_assignment(e, 'user-' || g)
               FROM generate_series(b * 1000 + 1, b * 1000 + 1000) AS g;
            COMMIT;
        END LOOP;
    END LOOP;
END $$;

-- shares per variant, and whether each is within 1 percentage point of its
-- weight (of the allocated share for the 0.5 allocation)
SELECT x.key AS experiment, v.key AS variant, count(a.id) AS users,
       round(100.0 * count(a.id) / 100000, 2) AS pct_of_users,
       abs(100.0 * count(a.id) / 100000 - v.allocation_pct * x.traffic_allocation) <= 1 AS within_1pct
  FROM experiments.experiments x
  JOIN experiments.variants v ON v.experiment_id = x.id
  LEFT JOIN experiments.assignments a ON a.variant_id = v.id
 WHERE x.id IN (SELECT id FROM bucket_exps)
 GROUP BY x.key, v.key, v.allocation_pct, x.traffic_allocation, v.id
 ORDER BY x.key, v.id;

-- every stored assignment is the published rule, recomputed in another
-- session from the pure functions
\c
SELECT x.key AS experiment, count(*) AS assigned,
       count(*) FILTER (WHERE v.key IS DISTINCT FROM CASE
           WHEN x.config->>'bucketing' = 'growthbook' THEN
               (SELECT v2.key FROM experiments.variants v2
                 WHERE v2.experiment_id = x.id
                   AND experiments.hash(x.seed, a.user_id, 2) >=
                       (SELECT coalesce(sum(v3.allocation_pct), 0) / 100.0 FROM experiments.variants v3
                         WHERE v3.experiment_id = x.id AND v3.id < v2.id)
                   AND experiments.hash(x.seed, a.user_id, 2) <
                       (SELECT coalesce(sum(v3.allocation_pct), 0) / 100.0 FROM experiments.variants v3
                         WHERE v3.experiment_id = x.id AND v3.id < v2.id)
                       + x.traffic_allocation * v2.allocation_pct / 100.0)
           ELSE
               (SELECT v2.key FROM experiments.variants v2
                 WHERE v2.experiment_id = x.id
                   AND experiments.murmur3_32(x.id || ':' || a.user_id || ':' || x.seed) % 10000 <
                       (SELECT sum(v3.allocation_pct) * 100 FROM experiments.variants v3
                         WHERE v3.experiment_id = x.id AND v3.id <= v2.id)
                 ORDER BY v2.id LIMIT 1)
       END) AS not_the_rule
  FROM experiments.assignments a
  JOIN experiments.experiments x ON x.id = a.experiment_id
  JOIN experiments.variants v ON v.id = a.variant_id
 WHERE x.key LIKE 'bucket-%'
 GROUP BY x.key ORDER BY x.key;

-- the users outside the 0.5 allocation got no row: exactly those whose hash
-- falls outside both ranges
SELECT count(*) AS outside_expected
  FROM generate_series(1, 100000) g
 WHERE NOT (experiments.hash('half-seed', 'user-' || g, 2) < 0.25
         OR (experiments.hash('half-seed', 'user-' || g, 2) >= 0.5
             AND experiments.hash('half-seed', 'user-' || g, 2) < 0.75));
SELECT 100000 - count(*) AS outside_got
  FROM experiments.assignments a JOIN experiments.experiments x ON x.id = a.experiment_id
 WHERE x.key = 'bucket-half';

-- a second GrowthBook experiment with the same seed, in this new session,
-- puts every user in the same variant (the hash depends on seed and user only)
SELECT experiment_id AS ehalf2 FROM experiments.create_experiment('bucket-half-again', 'B', p_status => 'active',
    p_config => '{"bucketing": "growthbook", "traffic_allocation": 0.5, "seed": "half-seed"}',
    p_variants => '[{"key": "a", "allocation_pct": 50}, {"key": "b", "allocation_pct": 50}]') \gset
SELECT count(*) AS compared,
       count(*) FILTER (WHERE n.variant_key IS DISTINCT FROM v.key) AS differ
  FROM generate_series(1, 2000) g
  LEFT JOIN experiments.assignments a
         ON a.experiment_id = (SELECT id FROM experiments.experiments WHERE key = 'bucket-half')
        AND a.user_id = 'user-' || g
  LEFT JOIN experiments.variants v ON v.id = a.variant_id
  LEFT JOIN LATERAL experiments.get_or_create_assignment(:ehalf2, 'user-' || g) n ON true;
