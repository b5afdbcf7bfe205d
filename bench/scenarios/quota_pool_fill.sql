-- Before-run of the quota completion scenarios: a fresh pool of recordings
-- in status 'processing', handed out in order by bench_quota.next_recording().
-- Sized for the fastest completion scenario (5,000 a second of run, far
-- above what one reaches here); the unused ones of the last run are removed.
\if :{?duration}
\else
\set duration 10
\endif
SET client_min_messages = warning;
DELETE FROM experiments.recordings r
 USING bench_quota.pool p
 WHERE r.id = p.rec AND r.status = 'processing';
TRUNCATE bench_quota.pool;
ALTER SEQUENCE bench_quota.pool_seq RESTART;
INSERT INTO bench_quota.pool (n, rec)
SELECT g, pg_catalog.gen_random_uuid() FROM generate_series(1, :duration * 5000) AS g;
INSERT INTO experiments.recordings (id, user_id, source)
SELECT p.rec, bench_quota.uid(1 + (p.n % 10000)::int), 'upload' FROM bench_quota.pool p;
VACUUM ANALYZE bench_quota.pool;
