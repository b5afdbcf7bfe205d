-- One round of the retention benchmark (bench/cleanup_partitions runs it):
-- N events over the 30 UTC days before today in experiments.events (daily
-- partitions) and an identical unpartitioned copy with the same indexes;
-- then the 3 oldest days are removed from each: cleanup_old_events(27)
-- against a plain DELETE of the same rows.  cleanup_old_events keeps whole
-- UTC days (a day goes once it is entirely older than now() - 27 days), so
-- the plain DELETE's cutoff is the start of the UTC day holding
-- now() - 27 days, today - 27: both remove the days today - 30 to
-- today - 28 (every day of the data has a partition, so nothing is in the
-- default partition).  Each round destroys its data, which is why this is
-- not a pgbench scenario.
-- Variables: events (row count), plain_first (true/false: which runs first).
SET client_min_messages = warning;
\set ON_ERROR_STOP on

-- the daily partitions of the 30 days (and the week ahead) exist first
SELECT experiments.ensure_event_partitions((now() AT TIME ZONE 'UTC')::date - 31,
                                           (now() AT TIME ZONE 'UTC')::date + 7) >= 0 AS ensured \gset
TRUNCATE experiments.events;
-- the event shape of analytics_dataset.sql: users drawn uniformly from a
-- tenth of the events, its type mix; created_at uniform over the 30 whole
-- UTC days before today, so that removing the 3 oldest days removes 3/30 of
-- the events at any time of day
SELECT setseed(0.42);
INSERT INTO experiments.events (experiment_id, user_id, variant_id, event_type, value, created_at)
SELECT 1, 'user-' || d.u, 1 + d.u % 3, k.t,
       CASE WHEN k.t IN ('conversion', 'purchase') THEN (1 + d.u % 50)::numeric END,
       date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
           - random() * interval '30 days'
  FROM generate_series(1, :events) g,
       LATERAL (SELECT 1 + (random() * (:events / 10 - 1))::bigint + 0 * g, random() + 0 * g) d (u, r),
       LATERAL (SELECT CASE WHEN d.r < 0.50 THEN 'pageview' WHEN d.r < 0.75 THEN 'click'
                            WHEN d.r < 0.85 THEN 'signup' WHEN d.r < 0.95 THEN 'conversion'
                            ELSE 'purchase' END AS t) k;
DROP TABLE IF EXISTS public.bench_events_plain;
CREATE TABLE public.bench_events_plain (LIKE experiments.events INCLUDING ALL);
INSERT INTO public.bench_events_plain SELECT * FROM experiments.events;
VACUUM ANALYZE experiments.events;
VACUUM ANALYZE public.bench_events_plain;
CHECKPOINT;

-- the retention cutoff of cleanup_old_events(27): whole UTC days
SELECT date_trunc('day', (now() - interval '27 days') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
       AS cutoff \gset
SELECT count(*) AS plain_to_delete FROM public.bench_events_plain
 WHERE created_at < :'cutoff'::timestamptz \gset
SELECT (extract(epoch FROM now() AT TIME ZONE 'UTC' - date_trunc('day', now() AT TIME ZONE 'UTC'))
        / 86400)::numeric(4, 3) AS day_fraction \gset

\if :plain_first
SELECT clock_timestamp() AS t0 \gset
DELETE FROM public.bench_events_plain WHERE created_at < :'cutoff'::timestamptz;
SELECT extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS plain_ms \gset
SELECT clock_timestamp() AS t0 \gset
SELECT deleted_events AS cleanup_deleted FROM experiments.cleanup_old_events(27) \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS cleanup_ms \gset
\else
SELECT clock_timestamp() AS t0 \gset
SELECT deleted_events AS cleanup_deleted FROM experiments.cleanup_old_events(27) \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS cleanup_ms \gset
SELECT clock_timestamp() AS t0 \gset
DELETE FROM public.bench_events_plain WHERE created_at < :'cutoff'::timestamptz;
SELECT extract(epoch FROM clock_timestamp() - :'t0') * 1000 AS plain_ms \gset
\endif

SELECT :events AS events, :plain_to_delete AS plain_deleted, :cleanup_deleted AS cleanup_deleted,
       :day_fraction AS utc_day_fraction,
       round(:plain_ms::numeric, 1) AS plain_ms, round(:cleanup_ms::numeric, 1) AS cleanup_ms,
       round(:plain_ms::numeric / :cleanup_ms::numeric, 2) AS ratio;
DROP TABLE public.bench_events_plain;
TRUNCATE experiments.events;
