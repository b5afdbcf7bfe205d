-- The analytics benchmark dataset: one big experiment ("bench-big": by default
-- 10 million events, 1 million assignments, 3 variants, 30 days) and one with
-- the same users but a tenth of the events ("bench-small"), to show which
-- routines do not depend on the number of events.
--
-- Set-based (generate_series + INSERT ... SELECT), deterministic (setseed).
-- Size: ANALYTICS_EVENTS in the environment (default 10000000); users are a
-- tenth of the events.  Safe to run again: it replaces both experiments.
-- Rows go straight into the tables (as the owner) with the shape the
-- extension's writers give them: events carry their assignment's variant,
-- and the per-variant counters match the assignments.
\getenv analytics_events ANALYTICS_EVENTS
\if :{?analytics_events}
\else
\set analytics_events 10000000
\endif
SET client_min_messages = warning;
SELECT :analytics_events::bigint AS big_events, :analytics_events::bigint / 10 AS users,
       :analytics_events::bigint / 10 AS small_events \gset

DELETE FROM experiments.events
 WHERE experiment_id IN (SELECT id FROM experiments.experiments
                          WHERE key IN ('bench-big', 'bench-small'));
DELETE FROM experiments.experiments WHERE key IN ('bench-big', 'bench-small');

CREATE TEMP TABLE bench_exp AS
WITH x AS (
    INSERT INTO experiments.experiments (key, name, status, seed, starts_at)
    VALUES ('bench-big', 'Benchmark, all events', 'active', 'bench-big', now() - interval '30 days'),
           ('bench-small', 'Benchmark, a tenth of the events', 'active', 'bench-small',
            now() - interval '30 days')
    RETURNING id, key)
SELECT id, key, CASE key WHEN 'bench-big' THEN :big_events ELSE :small_events END AS events
  FROM x;
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
SELECT e.id, v.key, v.key, v.pct, v.ctl
  FROM bench_exp e,
       (VALUES ('control', 34, true), ('b', 33, false), ('c', 33, false)) v (key, pct, ctl);
CREATE TEMP TABLE bench_var AS
SELECT experiment_id, array_agg(id ORDER BY id) AS ids FROM experiments.variants
 WHERE experiment_id IN (SELECT id FROM bench_exp) GROUP BY 1;

SELECT setseed(0.42);
-- users: variant i % 3 (control converts 10 %, b 11 %, c 10.5 %), assigned over 30 days
INSERT INTO experiments.assignments
    (experiment_id, user_id, variant_id, version, assigned_at, enrolled_at, converted_at,
     conversion_value)
SELECT e.id, 'user-' || i, v.ids[1 + i % 3], 1, t, t,
       CASE WHEN random() < (ARRAY[0.10, 0.11, 0.105])[1 + i % 3] THEN t + interval '1 hour' END,
       NULL
  FROM bench_exp e JOIN bench_var v ON v.experiment_id = e.id,
       generate_series(1, :users) i,
       LATERAL (SELECT now() - random() * interval '30 days' + 0 * i * interval '1 s' AS t) a;
-- (each LATERAL names the row number so that it is evaluated per row, not once)
UPDATE experiments.assignments SET conversion_value = 10
 WHERE converted_at IS NOT NULL AND experiment_id IN (SELECT id FROM bench_exp);

-- events: users drawn uniformly; pageview 50 %, click 25 %, signup 10 %,
-- conversion 10 % (with a value), purchase 5 % (with a value); 30 days
INSERT INTO experiments.events
    (experiment_id, user_id, variant_id, event_type, value, created_at)
SELECT e.id, 'user-' || u, v.ids[1 + u % 3], k.t,
       CASE WHEN k.t IN ('conversion', 'purchase') THEN (1 + u % 50)::numeric END,
       now() - random() * interval '30 days'
  FROM bench_exp e JOIN bench_var v ON v.experiment_id = e.id,
       generate_series(1, e.events) g,
       LATERAL (SELECT 1 + (random() * (:users - 1))::bigint + 0 * g, random() + 0 * g) d (u, r),
       LATERAL (SELECT CASE WHEN d.r < 0.50 THEN 'pageview' WHEN d.r < 0.75 THEN 'click'
                            WHEN d.r < 0.85 THEN 'signup' WHEN d.r < 0.95 THEN 'conversion'
                            ELSE 'purchase' END AS t) k;

-- the maintained counters, as the writers keep them
UPDATE experiments.variants v
   SET total_allocations = s.n, total_conversions = s.c,
       conversion_rate = round(s.c::numeric / greatest(s.n, 1), 6)
  FROM (SELECT variant_id, count(*) AS n, count(converted_at) AS c
          FROM experiments.assignments
         WHERE experiment_id IN (SELECT id FROM bench_exp) GROUP BY 1) s
 WHERE v.id = s.variant_id;

VACUUM ANALYZE experiments.assignments;
VACUUM ANALYZE experiments.events;
VACUUM ANALYZE experiments.variants;
SELECT key, (SELECT count(*) FROM experiments.events WHERE experiment_id = bench_exp.id) AS events
  FROM bench_exp ORDER BY key;
