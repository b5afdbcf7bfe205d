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
SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS first_ticket
  FROM bench_quota.pool_seq \gset
INSERT INTO bench_quota.pool (n, rec)
SELECT g, bench_quota.rec_id(g)
  FROM generate_series(:first_ticket, :first_ticket + :duration * 5000 - 1) AS g;
INSERT INTO experiments.recordings (id, user_id, source)
SELECT p.rec, bench_quota.uid(1 + (p.n % 10000)::int), 'upload' FROM bench_quota.pool p;
VACUUM ANALYZE bench_quota.pool;
