-- The analytics on a hand-built dataset; every answer is worked out in the
-- comments before the query that must give it.  Rows are inserted directly
-- (as the tables' owner), so the test depends on nothing but the tables.
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

--------------------------------------------------------------------------
-- Experiment "checkout": control and treatment, 50/50.
--   control:   u1, u2, u3        treatment: u4, u5, u6
--   u3 and u6 have no events at all.
-- Days: D0 = CURRENT_DATE - 2, D1 = CURRENT_DATE - 1.
--   u1 (control)   D0 09:00 pageview, 09:05 click, 09:10 conversion (value 20)
--   u2 (control)   D0 10:00 click, 10:05 pageview; D1 08:00 conversion (value 10)
--                  -> its click comes BEFORE its pageview
--   u4 (treatment) D1 09:00 pageview, 09:01 click, 09:02 click,
--                  09:30 conversion (value 50), 09:40 conversion (value 30)
--   u5 (treatment) D0 12:00 signup; D1 11:00 pageview, 11:30 conversion (value 5)
--                  -> never clicks
-- 14 events: control 6 (u1 3, u2 3), treatment 8 (u4 5, u5 3).
--------------------------------------------------------------------------
INSERT INTO experiments.experiments (key, name, status, seed, starts_at)
VALUES ('checkout', 'Checkout button', 'active', 'checkout', now() - interval '3 days')
RETURNING id AS exp_id \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
VALUES (:exp_id, 'control', 'Blue button', 50, true) RETURNING id AS ctl \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
VALUES (:exp_id, 'treatment', 'Green button', 50, false) RETURNING id AS trt \gset

-- assignments; hour buckets relative to the start of the current hour H:
--   u1 H (converted), u6 H, u2 H-1h+10m (converted), u3 H-1h+10m,
--   u4 H-3h+20m (converted), u5 H-30h (converted); u1, u2, u4 enrolled
INSERT INTO experiments.assignments
    (experiment_id, user_id, variant_id, version, assigned_at, enrolled_at, converted_at, conversion_value)
SELECT :exp_id, u, v, 1, date_trunc('hour', now()) + off,
       CASE WHEN enrolled THEN now() END, CASE WHEN conv THEN now() END, CASE WHEN conv THEN 1 END
  FROM (VALUES ('u1', :ctl, interval '0',            true,  true),
               ('u2', :ctl, interval '-50 minutes',  true,  true),
               ('u3', :ctl, interval '-50 minutes',  false, false),
               ('u4', :trt, interval '-160 minutes', true,  true),
               ('u5', :trt, interval '-30 hours',    false, true),
               ('u6', :trt, interval '0',            false, false)) a (u, v, off, enrolled, conv);

INSERT INTO experiments.events (experiment_id, user_id, variant_id, event_type, value, created_at)
SELECT :exp_id, u, v, t, val, (CURRENT_DATE - d) + tm
  FROM (VALUES ('u1', :ctl, 'pageview',   NULL::numeric, 2, time '09:00'),
               ('u1', :ctl, 'click',      NULL, 2, time '09:05'),
               ('u1', :ctl, 'conversion', 20,   2, time '09:10'),
               ('u2', :ctl, 'click',      NULL, 2, time '10:00'),
               ('u2', :ctl, 'pageview',   NULL, 2, time '10:05'),
               ('u2', :ctl, 'conversion', 10,   1, time '08:00'),
               ('u4', :trt, 'pageview',   NULL, 1, time '09:00'),
               ('u4', :trt, 'click',      NULL, 1, time '09:01'),
               ('u4', :trt, 'click',      NULL, 1, time '09:02'),
               ('u4', :trt, 'conversion', 50,   1, time '09:30'),
               ('u4', :trt, 'conversion', 30,   1, time '09:40'),
               ('u5', :trt, 'signup',     NULL, 2, time '12:00'),
               ('u5', :trt, 'pageview',   NULL, 1, time '11:00'),
               ('u5', :trt, 'conversion', 5,    1, time '11:30')) e (u, v, t, val, d, tm);

-- the maintained counters: 3 allocations each; conversions control 2 (u1, u2),
-- treatment 2 (u4, u5) of which 1 folded and 1 still in a stripe
UPDATE experiments.variants SET total_allocations = 3,
       total_conversions = CASE WHEN id = :ctl THEN 2 ELSE 1 END
 WHERE experiment_id = :exp_id;
INSERT INTO experiments.variant_counters (variant_id, slot, allocations, conversions)
VALUES (:trt, 7, 0, 1);

--------------------------------------------------------------------------
-- get_experiment_metrics: the seed's definitions.
-- unique_users = users WITH events; conversion_count = events of type
-- 'conversion'; rate = conversions / users * 100 (it can pass 100: u4
-- converted twice); avg_value = mean of the non-null values.
--   control:   users 2, events 6, conversions 2, rate 100.0000, avg (20+10)/2 = 15.00
--   treatment: users 2, events 8, conversions 3, rate 150.0000, avg (50+30+5)/3 = 28.33
-- control first.
--------------------------------------------------------------------------
SELECT variant_id = :ctl AS is_ctl_id, variant_key, variant_name, is_control, unique_users,
       total_events, conversion_count, conversion_rate, avg_value
  FROM experiments.get_experiment_metrics(:exp_id);

-- event-type filter {pageview, click}:
--   control:   u1 pv+click, u2 click+pv -> users 2, events 4, conversions 0, rate 0, avg NULL
--   treatment: u4 pv+click+click, u5 pv -> users 2, events 4, conversions 0
SELECT variant_key, unique_users, total_events, conversion_count, conversion_rate, avg_value
  FROM experiments.get_experiment_metrics(:exp_id, NULL, NULL, ARRAY['pageview', 'click']);

-- date filter, D1 only [D1 00:00, D1 23:59:59]:
--   control:   u2's conversion -> users 1, events 1, conversions 1, rate 100, avg 10.00
--   treatment: u4's 5 events + u5's pageview and conversion (its signup is D0)
--              -> users 2, events 7, conversions 3, rate 150, avg 28.33
SELECT variant_key, unique_users, total_events, conversion_count, conversion_rate, avg_value
  FROM experiments.get_experiment_metrics(:exp_id, CURRENT_DATE - 1,
                                          (CURRENT_DATE - 1) + time '23:59:59');

-- open-ended: from D1 10:00 on
--   control:   nothing -> a row of zeros (users with no events still get their variant's row)
--   treatment: u5's pageview 11:00 and conversion 11:30 -> users 1, events 2, conv 1, rate 100, avg 5.00
SELECT variant_key, unique_users, total_events, conversion_count, conversion_rate, avg_value
  FROM experiments.get_experiment_metrics(:exp_id, (CURRENT_DATE - 1) + time '10:00');
-- up to D0 23:59:59, conversions only: control u1 (D0 09:10) -> 1 user, 1 event, avg 20.00;
-- treatment none
SELECT variant_key, unique_users, total_events, conversion_count, conversion_rate, avg_value
  FROM experiments.get_experiment_metrics(:exp_id, NULL, (CURRENT_DATE - 2) + time '23:59:59',
                                          ARRAY['conversion']);
-- start = end is a valid, empty-ish range (an instant): u1's click at D0 09:05
SELECT variant_key, unique_users, total_events
  FROM experiments.get_experiment_metrics(:exp_id, (CURRENT_DATE - 2) + time '09:05',
                                          (CURRENT_DATE - 2) + time '09:05');
-- unknown experiment: no rows, no error
SELECT count(*) AS rows FROM experiments.get_experiment_metrics(-1);

--------------------------------------------------------------------------
-- get_daily_metrics(p_days => 7): since CURRENT_DATE - 7, per day and variant,
-- newest day first.
--   D1 control:   u2 conversion                 -> users 1, events 1, conversions 1
--   D1 treatment: u4 (5) + u5 pv, conversion    -> users 2, events 7, conversions 3
--   D0 control:   u1 (3) + u2 click, pageview   -> users 2, events 5, conversions 1
--   D0 treatment: u5 signup                     -> users 1, events 1, conversions 0
--------------------------------------------------------------------------
SELECT CURRENT_DATE - date AS days_ago, variant_key, unique_users, total_events, conversions
  FROM experiments.get_daily_metrics(:exp_id);
-- p_days => 1: since yesterday, so D1 only
SELECT CURRENT_DATE - date AS days_ago, variant_key, unique_users, total_events, conversions
  FROM experiments.get_daily_metrics(:exp_id, 1);
-- p_days => 0: today only: nothing yet
SELECT count(*) AS rows FROM experiments.get_daily_metrics(:exp_id, 0);
SELECT count(*) AS rows FROM experiments.get_daily_metrics(-1);

--------------------------------------------------------------------------
-- get_funnel_metrics, steps {pageview, click, conversion}
-- Per-step reach (the seed): a step counts a user who has the event at all.
--   control:   pageview 2, click 2, conversion 2 -> 100, 100, 100
--   treatment: pageview 2 (u4, u5), click 1 (u4), conversion 2 (u4, u5)
--              -> 100, 50, 100 (reach is not a funnel: conversion > click)
--------------------------------------------------------------------------
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['pageview', 'click', 'conversion']);

-- Ordered: step k counts only after steps 1..k-1, in time order.
--   u1: pageview 09:00 -> click 09:05 -> conversion 09:10: all three
--   u2: click 10:00 comes before its pageview 10:05, and no click follows
--       the pageview: step 1 only (its conversion does not count either)
--   u4: pageview -> click -> conversion: all three (repeats change nothing)
--   u5: pageview -> (no click) -> its conversion does not count: step 1 only
--   control 2, 1, 1 -> 100, 50, 50; treatment 2, 1, 1 -> 100, 50, 50
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['pageview', 'click', 'conversion'], true);

-- ordered {signup, pageview}: only u5 signs up (D0) and then views (D1): treatment 1, 1;
-- control nobody at step 1, so its rates are NULL
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['signup', 'pageview'], true);
-- ordered {conversion, pageview}: every converter viewed before converting and never
-- again after: u1, u2, u4, u5 reach step 1 only -> 2, 0 in each variant
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['conversion', 'pageview'], true);
-- a step nobody has
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['pageview', 'refund']);
SELECT count(*) AS rows FROM experiments.get_funnel_metrics(-1, ARRAY['pageview'], true);
SELECT count(*) AS rows FROM experiments.get_funnel_metrics(-1, ARRAY['pageview']);

-- The ordered funnel keeps each user's events together by sorting on the
-- user id's hash first.  u17795 and u231419 share one hashtext(); their
-- events interleave in time: u17795 views at 09:00 and clicks at 09:20,
-- u231419 clicks at 09:10 and views at 09:30.  Kept apart, u17795 reaches
-- both steps of {pageview, click} and u231419 only the first: 2, 1 -> 100, 50.
SELECT hashtext('u17795') = hashtext('u231419') AS same_hash;
INSERT INTO experiments.experiments (key, name, status, seed, starts_at)
VALUES ('collide', 'Hash collision', 'active', 'collide', now() - interval '3 days')
RETURNING id AS col_id \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
VALUES (:col_id, 'only', 'Only', 100, true) RETURNING id AS col_var \gset
INSERT INTO experiments.events (experiment_id, user_id, variant_id, event_type, created_at)
SELECT :col_id, u, :col_var, t, (CURRENT_DATE - 1) + tm
  FROM (VALUES ('u17795', 'pageview', time '09:00'), ('u231419', 'click', time '09:10'),
               ('u17795', 'click', time '09:20'), ('u231419', 'pageview', time '09:30')) e (u, t, tm);
SELECT * FROM experiments.get_funnel_metrics(:col_id, ARRAY['pageview', 'click'], true);
DELETE FROM experiments.events WHERE experiment_id = :col_id;
DELETE FROM experiments.experiments WHERE id = :col_id;

-- Many users: the daily metrics count each group's users in a set of ids
-- that starts with 1 024 slots and grows, and both funnels count users in
-- one pass over the events grouped by user; all three must give exactly
-- what count(DISTINCT user_id) and the DISTINCT ON chain give.  6 000 users
-- (m0 .. m5999, plus the hash-colliding u17795 and u231419), 2 variants,
-- every 97th event without a variant, 4 days, 15 000 events.  Each side's
-- rows EXCEPT the other's: 0 and 0.
INSERT INTO experiments.experiments (key, name, status, seed, starts_at)
VALUES ('many', 'Many users', 'active', 'many', now() - interval '5 days')
RETURNING id AS many_id \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
VALUES (:many_id, 'a', 'A', 50, true), (:many_id, 'b', 'B', 50, false);
SELECT min(id) AS many_a, max(id) AS many_b FROM experiments.variants
 WHERE experiment_id = :many_id \gset
-- (the colliding pair shares one variant and one day, so that both meet in
-- one group of the daily metrics' set as well)
INSERT INTO experiments.events (experiment_id, user_id, variant_id, event_type, created_at)
SELECT :many_id, u.id,
       CASE WHEN i % 97 = 0 THEN NULL WHEN u.pair OR i % 2 = 0 THEN :many_a ELSE :many_b END,
       (ARRAY['pageview', 'click', 'signup', 'conversion'])[1 + (i * 7 + i / 6000) % 4],
       (CURRENT_DATE - CASE WHEN u.pair THEN 1 ELSE i % 4 END)
         + make_interval(secs => (i * 37) % 86000)
  FROM generate_series(0, 14999) i,
       LATERAL (SELECT CASE WHEN i % 1000 = 1 THEN 'u17795' WHEN i % 1000 = 2 THEN 'u231419'
                            ELSE 'm' || (i % 6000) END AS id,
                       i % 1000 IN (1, 2) AS pair) u;
SELECT max(unique_users) > 1024 AS a_group_outgrew_the_first_slots,
       sum(total_events) AS events_with_variant
  FROM experiments.get_daily_metrics(:many_id, 7);
CREATE TEMP VIEW many_daily_sql AS
SELECT e.created_at::date AS date, v.key AS variant_key, count(DISTINCT e.user_id) AS unique_users,
       count(*) AS total_events, count(*) FILTER (WHERE e.event_type = 'conversion') AS conversions
  FROM experiments.events e JOIN experiments.variants v ON v.id = e.variant_id
 WHERE e.experiment_id = :many_id AND e.created_at >= (CURRENT_DATE - 7)::timestamptz
 GROUP BY 1, 2;
SELECT (SELECT count(*) FROM (SELECT * FROM experiments.get_daily_metrics(:many_id, 7)
                              EXCEPT SELECT * FROM many_daily_sql) x) AS only_function,
       (SELECT count(*) FROM (SELECT * FROM many_daily_sql
                              EXCEPT SELECT * FROM experiments.get_daily_metrics(:many_id, 7)) x) AS only_sql;
CREATE TEMP VIEW many_steps_sql AS
SELECT v.key AS variant_key, e.event_type AS step, count(DISTINCT e.user_id) AS users_reached
  FROM experiments.events e JOIN experiments.variants v ON v.id = e.variant_id
 WHERE e.experiment_id = :many_id AND e.event_type IN ('pageview', 'click', 'conversion')
 GROUP BY 1, 2;
SELECT (SELECT count(*) FROM (SELECT variant_key, step, users_reached
                                FROM experiments.get_funnel_metrics(:many_id,
                                         ARRAY['pageview', 'click', 'conversion'])
                              EXCEPT SELECT * FROM many_steps_sql) x) AS only_function,
       (SELECT count(*) FROM (SELECT * FROM many_steps_sql
                              EXCEPT SELECT variant_key, step, users_reached
                                FROM experiments.get_funnel_metrics(:many_id,
                                         ARRAY['pageview', 'click', 'conversion'])) x) AS only_sql;
-- the ordered funnel against DISTINCT ON chains: a user's first pageview,
-- the first click after it, the first conversion after that, in the
-- variant of the user's first event of the funnel
CREATE TEMP VIEW many_ordered_sql AS
WITH s0 AS (
  SELECT DISTINCT ON (e.user_id) e.user_id, e.variant_id
    FROM experiments.events e
   WHERE e.experiment_id = :many_id AND e.event_type IN ('pageview', 'click', 'conversion')
   ORDER BY e.user_id, e.created_at, e.id),
s1 AS (
  SELECT DISTINCT ON (e.user_id) e.user_id, e.created_at, e.id
    FROM experiments.events e
   WHERE e.experiment_id = :many_id AND e.event_type = 'pageview'
   ORDER BY e.user_id, e.created_at, e.id),
s2 AS (
  SELECT DISTINCT ON (e.user_id) e.user_id, e.created_at, e.id
    FROM experiments.events e JOIN s1 ON s1.user_id = e.user_id
   WHERE e.experiment_id = :many_id AND e.event_type = 'click'
     AND (e.created_at, e.id) > (s1.created_at, s1.id)
   ORDER BY e.user_id, e.created_at, e.id),
s3 AS (
  SELECT DISTINCT e.user_id
    FROM experiments.events e JOIN s2 ON s2.user_id = e.user_id
   WHERE e.experiment_id = :many_id AND e.event_type = 'conversion'
     AND (e.created_at, e.id) > (s2.created_at, s2.id))
SELECT v.key AS variant_key, count(s1.user_id) AS step1, count(s2.user_id) AS step2,
       count(s3.user_id) AS step3
  FROM experiments.variants v
  LEFT JOIN s0 ON s0.variant_id = v.id
  LEFT JOIN s1 ON s1.user_id = s0.user_id
  LEFT JOIN s2 ON s2.user_id = s0.user_id
  LEFT JOIN s3 ON s3.user_id = s0.user_id
 WHERE v.experiment_id = :many_id
 GROUP BY v.key;
SELECT (SELECT count(*) FROM (
          SELECT variant_key,
                 sum(users_reached) FILTER (WHERE step_order = 1),
                 sum(users_reached) FILTER (WHERE step_order = 2),
                 sum(users_reached) FILTER (WHERE step_order = 3)
            FROM experiments.get_funnel_metrics(:many_id,
                     ARRAY['pageview', 'click', 'conversion'], true)
           GROUP BY 1
          EXCEPT SELECT * FROM many_ordered_sql) x) AS ordered_only_function,
       (SELECT sum(step2) > 0 AND sum(step3) > 0 FROM many_ordered_sql) AS ordered_reaches_step3;
DROP VIEW many_daily_sql, many_steps_sql, many_ordered_sql;
DELETE FROM experiments.events WHERE experiment_id = :many_id;
DELETE FROM experiments.experiments WHERE id = :many_id;

--------------------------------------------------------------------------
-- get_experiment_stats: 6 assigned users, 3 enrolled, 14 events,
-- 14 / 6 = 2.33 events per user, first event on D0: 2 days running, active.
--------------------------------------------------------------------------
SELECT * FROM experiments.get_experiment_stats(:exp_id);
SELECT count(*) AS rows FROM experiments.get_experiment_stats(-1);

--------------------------------------------------------------------------
-- get_variant_stats: the counters, folded + striped.
--   control 3 allocations, 2 conversions, rate 2/3; treatment 3, 1 + 1 = 2, 2/3
--------------------------------------------------------------------------
SELECT variant_id = :ctl AS is_ctl_id, variant_key, total_allocations, total_conversions,
       round(conversion_rate, 6) AS conversion_rate
  FROM experiments.get_variant_stats(:exp_id);
SELECT count(*) AS rows FROM experiments.get_variant_stats(-1);
-- get_variant_stats reads the counters itself: the same rows as the view
-- variant_totals, rates rounded half away from zero at 6 places included
-- (5 / 8 000 000 = 0.000000625 -> 0.000001; 2 / 3; huge counts), and
-- stripes of other experiments' variants between this one's ids are not
-- counted.
INSERT INTO experiments.experiments (key, name, seed)
VALUES ('rates', 'Rates', 'rates') RETURNING id AS rx \gset
INSERT INTO experiments.experiments (key, name, seed)
VALUES ('rates-other', 'Rates (other)', 'rates-other') RETURNING id AS ro \gset
INSERT INTO experiments.variants (experiment_id, key, name, total_allocations, total_conversions)
SELECT CASE WHEN i % 2 = 0 THEN :rx ELSE :ro END, 'v' || i, 'v' || i, a, c
  FROM (VALUES (1, 8000000, 5), (2, 8000000, 5), (3, 3, 1), (4, 3, 2), (5, 0, 0), (6, 0, 0),
               (7, 7, 7), (8, 9000000000000, 4500000000001), (9, 1, 1), (10, 200000000, 3))
       v (i, a, c);
INSERT INTO experiments.variant_counters (variant_id, slot, allocations, conversions)
SELECT v.id, s, 10 + s, s FROM experiments.variants v, generate_series(0, 2) s
 WHERE v.experiment_id IN (:rx, :ro) AND v.key IN ('v5', 'v6', 'v9', 'v10');
SELECT variant_key, total_allocations, total_conversions, conversion_rate
  FROM experiments.get_variant_stats(:rx);
SELECT count(*) AS rows_differing FROM (
    (SELECT * FROM experiments.get_variant_stats(:rx)
     EXCEPT ALL
     SELECT variant_id, variant_key, total_allocations, total_conversions, conversion_rate
       FROM experiments.variant_totals WHERE experiment_id = :rx)
    UNION ALL
    (SELECT variant_id, variant_key, total_allocations, total_conversions, conversion_rate
       FROM experiments.variant_totals WHERE experiment_id = :rx
     EXCEPT ALL
     SELECT * FROM experiments.get_variant_stats(:rx))) d;
DELETE FROM experiments.experiments WHERE id IN (:rx, :ro);

--------------------------------------------------------------------------
-- get_conversion_timeline: hourly buckets of assigned_at, newest first.
-- Last 24 hours: hour H: u1 (converted), u6 -> 2, 1, 0.5
--                H-1:    u2 (converted), u3 -> 2, 1, 0.5
--                H-3:    u4 (converted)     -> 1, 1, 1
-- u5 (H-30h) is outside; with 48 hours it adds H-30: 1, 1, 1.
--------------------------------------------------------------------------
SELECT (extract(epoch FROM date_trunc('hour', now()) - bucket) / 3600)::int AS hours_ago,
       assignments, conversions, conversion_rate
  FROM experiments.get_conversion_timeline(:exp_id);
SELECT (extract(epoch FROM date_trunc('hour', now()) - bucket) / 3600)::int AS hours_ago,
       assignments, conversions, conversion_rate
  FROM experiments.get_conversion_timeline(:exp_id, 48);
SELECT count(*) AS rows FROM experiments.get_conversion_timeline(-1);

-- The hours are those of date_trunc('hour', assigned_at) in the session's
-- time zone, across DST changes and zones offset by 30 or 45 minutes (the
-- function finds the hour boundaries itself and counts each hour with a
-- range scan).  Experiment "timeline-zones": one assignment every 47
-- minutes over the last 200 days, every third converted; each function
-- result must equal the GROUP BY over the same rows (0 rows differ).
INSERT INTO experiments.experiments (key, name, status, seed)
VALUES ('timeline-zones', 'Timeline zones', 'active', 'timeline-zones') RETURNING id AS tz_exp \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
VALUES (:tz_exp, 'only', 'Only', 100, true) RETURNING id AS tz_var \gset
INSERT INTO experiments.assignments (experiment_id, user_id, variant_id, version, assigned_at, converted_at)
SELECT :tz_exp, 'tz-' || g, :tz_var, 1, now() - g * interval '47 minutes',
       CASE WHEN g % 3 = 0 THEN now() END
  FROM generate_series(0, 200 * 24 * 60 / 47) g;
CREATE TEMP VIEW timeline_check AS
SELECT z AS zone, h AS hours FROM unnest(ARRAY['UTC', 'America/New_York', 'Asia/Kathmandu',
                                                'Australia/Lord_Howe', 'Asia/Kolkata']) z,
                                  unnest(ARRAY[1, 24, 1000, 4800]) h;
CREATE FUNCTION pg_temp.timeline_diff(p_exp bigint, p_zone text, p_hours int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    PERFORM set_config('timezone', p_zone, true);
    SELECT count(*) INTO n FROM (
        (SELECT * FROM experiments.get_conversion_timeline(p_exp, p_hours)
         EXCEPT ALL
         SELECT date_trunc('hour', assigned_at), count(*), count(converted_at),
                count(converted_at)::float8 / count(*)
           FROM experiments.assignments
          WHERE experiment_id = p_exp AND assigned_at >= now() - make_interval(hours => p_hours)
          GROUP BY 1)
        UNION ALL
        (SELECT date_trunc('hour', assigned_at), count(*), count(converted_at),
                count(converted_at)::float8 / count(*)
           FROM experiments.assignments
          WHERE experiment_id = p_exp AND assigned_at >= now() - make_interval(hours => p_hours)
          GROUP BY 1
         EXCEPT ALL
         SELECT * FROM experiments.get_conversion_timeline(p_exp, p_hours))) d;
    RETURN n;
END $$;
BEGIN;
SELECT count(*) AS cases, sum(pg_temp.timeline_diff(:tz_exp, zone, hours)) AS rows_differing
  FROM timeline_check;
ROLLBACK;
-- 100 hours: one row every 47 minutes leaves no hour empty (the window's
-- first, partial hour may be), all on the hour
SELECT count(*) BETWEEN 100 AND 101 AS hours_with_rows,
       bool_and(bucket = date_trunc('hour', bucket)) AS on_the_hour,
       sum(assignments) = (SELECT count(*) FROM experiments.assignments
                            WHERE experiment_id = :tz_exp
                              AND assigned_at >= now() - interval '100 hours') AS all_counted
  FROM experiments.get_conversion_timeline(:tz_exp, 100);
-- an assignment dated 3 years ahead: the span is left to the GROUP BY
-- statement, with the same result
INSERT INTO experiments.assignments (experiment_id, user_id, variant_id, version, assigned_at)
VALUES (:tz_exp, 'tz-future', :tz_var, 1, now() + interval '3 years');
BEGIN;
SELECT count(*) AS cases, sum(pg_temp.timeline_diff(:tz_exp, zone, hours)) AS rows_differing
  FROM timeline_check;
ROLLBACK;
SELECT count(*) FILTER (WHERE bucket > now() + interval '2 years') AS future_hours,
       sum(assignments) FILTER (WHERE bucket > now() + interval '2 years') AS future_assignments
  FROM experiments.get_conversion_timeline(:tz_exp, 2);
DELETE FROM experiments.experiments WHERE id = :tz_exp;
DROP VIEW timeline_check;

--------------------------------------------------------------------------
-- get_experiment_results on experiment "pricing": 10 000 users of a 50/50
-- experiment, split 4 500 / 5 500 (a sample ratio mismatch).
--   conversions: control users i % 10 = 0 -> 450 of 4 500 (10 %),
--                treatment users i % 25 in (0, 5, 10) -> 660 of 5 500 (12 %)
--   'purchase' events (value 10) for every 10th control user (450) and
--   (value 12) for every 8th treatment user (687), one each.
-- Each row must equal the pure function on the same sufficient statistics.
--------------------------------------------------------------------------
INSERT INTO experiments.experiments (key, name, status, seed)
VALUES ('pricing', 'Pricing page', 'active', 'pricing') RETURNING id AS px \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
VALUES (:px, 'control', 'Old price', 50, true) RETURNING id AS pc \gset
INSERT INTO experiments.variants (experiment_id, key, name, allocation_pct, is_control)
VALUES (:px, 'cheaper', 'New price', 50, false) RETURNING id AS pt \gset
INSERT INTO experiments.assignments (experiment_id, user_id, variant_id, version, converted_at)
SELECT :px, 'c' || i, :pc, 1, CASE WHEN i % 10 = 0 THEN now() END FROM generate_series(1, 4500) i;
INSERT INTO experiments.assignments (experiment_id, user_id, variant_id, version, converted_at)
SELECT :px, 't' || i, :pt, 1, CASE WHEN i % 25 IN (0, 5, 10) THEN now() END
  FROM generate_series(1, 5500) i;
UPDATE experiments.variants v
   SET total_allocations = (SELECT count(*) FROM experiments.assignments a WHERE a.variant_id = v.id),
       total_conversions = (SELECT count(converted_at) FROM experiments.assignments a WHERE a.variant_id = v.id)
 WHERE v.experiment_id = :px;
INSERT INTO experiments.events (experiment_id, user_id, variant_id, event_type, value)
SELECT :px, 'c' || i, :pc, 'purchase', 10 FROM generate_series(10, 4500, 10) i
UNION ALL
SELECT :px, 't' || i, :pt, 'purchase', 12 FROM generate_series(8, 5500, 8) i;
SELECT variant_key, total_allocations, total_conversions FROM experiments.get_variant_stats(:px);

-- conversion, frequentist: the control row carries only its own numbers;
-- SRM p = P(chi2_1 > 100) = 1.52e-23 on every row: flagged (< 0.001)
SELECT variant_key, is_control, users, round(mean::numeric, 6) AS mean,
       round(control_mean::numeric, 6) AS control_mean, round(expected::numeric, 6) AS expected,
       round(ci_low::numeric, 6) AS ci_low, round(ci_high::numeric, 6) AS ci_high,
       round(p_value::numeric, 6) AS p_value, chance_to_win, srm_p_value < 0.001 AS srm_flagged
  FROM experiments.get_experiment_results(:px);
SELECT r.expected = p.expected AND r.ci_low = p.ci_low AND r.ci_high = p.ci_high
       AND r.p_value = p.p_value AS same_as_proportion_test,
       r.srm_p_value = experiments.srm_p_value('{4500,5500}', '{50,50}') AS same_srm
  FROM experiments.get_experiment_results(:px) r,
       experiments.proportion_test(4500, 450, 5500, 660) p
 WHERE NOT r.is_control;
-- sequential, tuning 5000: wider interval, larger p-value
SELECT r.ci_low = p.ci_low AND r.ci_high = p.ci_high AND r.p_value = p.p_value AS same_as_sequential,
       round(r.p_value::numeric, 6) AS p_value
  FROM experiments.get_experiment_results(:px, 'conversion', 'sequential', 0.05, 5000) r,
       experiments.proportion_test(4500, 450, 5500, 660, true, 0.05, 5000) p
 WHERE NOT r.is_control;
-- bayesian: chance to win instead of a p-value
SELECT variant_key, round(chance_to_win::numeric, 6) AS chance_to_win, p_value,
       round(expected::numeric, 6) AS expected
  FROM experiments.get_experiment_results(:px, 'conversion', 'bayesian');
-- an event type as the metric: share of users with a 'purchase' event,
-- 450 / 4 500 vs 687 / 5 500 (users = all assigned users)
SELECT r.control_mean = 450::float8 / 4500 AND r.mean = 687::float8 / 5500 AS shares, r.expected = p.expected AND r.p_value = p.p_value AS same
  FROM experiments.get_experiment_results(:px, 'purchase') r,
       experiments.proportion_test(4500, 450, 5500, 687) p
 WHERE NOT r.is_control;
-- 'value': mean value per assigned user (0 for users without events):
-- control sum 4 500, sum of squares 45 000; treatment 8 244, 98 928
SELECT round(r.mean::numeric, 6) AS mean, round(r.control_mean::numeric, 6) AS control_mean,
       r.expected = p.expected AND r.ci_low = p.ci_low AND r.p_value = p.p_value AS same
  FROM experiments.get_experiment_results(:px, 'value') r,
       experiments.mean_test(4500, 4500, 45000, 5500, 8244, 98928) p
 WHERE NOT r.is_control;
SELECT r.chance_to_win = b.chance_to_win AND r.expected = b.expected AND r.ci_low = b.ci_low AS same
  FROM experiments.get_experiment_results(:px, 'value', 'bayesian') r,
       experiments.bayes_test(4500, 4500, 45000, 5500, 8244, 98928) b
 WHERE NOT r.is_control;
-- a stricter alpha widens the interval
SELECT (SELECT ci_high - ci_low FROM experiments.get_experiment_results(:px, 'conversion', 'frequentist', 0.01) WHERE NOT is_control)
     > (SELECT ci_high - ci_low FROM experiments.get_experiment_results(:px) WHERE NOT is_control) AS wider;
-- the small "checkout" experiment: 3 users per arm, control 2/3, treatment 2/3 -> no lift, p = 1
SELECT variant_key, users, round(mean::numeric, 6) AS mean, expected, p_value,
       round(srm_p_value::numeric, 6) AS srm_p_value
  FROM experiments.get_experiment_results(:exp_id);
-- unknown experiment: no rows
SELECT count(*) AS rows FROM experiments.get_experiment_results(-1);
SELECT count(*) AS rows FROM experiments.get_experiment_results(-1, 'purchase');

--------------------------------------------------------------------------
-- bad input
--------------------------------------------------------------------------
SELECT * FROM experiments.get_experiment_metrics(NULL);
SELECT * FROM experiments.get_experiment_metrics(:exp_id, '2026-01-02', '2026-01-01');
SELECT * FROM experiments.get_experiment_metrics(:exp_id, NULL, NULL, '{}');
SELECT * FROM experiments.get_experiment_metrics(:exp_id, NULL, NULL, '{Page View}');
SELECT * FROM experiments.get_experiment_metrics(:exp_id, NULL, NULL, ARRAY['click', NULL]);
SELECT * FROM experiments.get_daily_metrics(:exp_id, -1);
SELECT * FROM experiments.get_daily_metrics(:exp_id, NULL);
SELECT * FROM experiments.get_funnel_metrics(:exp_id, NULL);
SELECT * FROM experiments.get_funnel_metrics(:exp_id, '{}');
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['pageview', NULL]);
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['']);
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['click', 'view', 'click']);
SELECT * FROM experiments.get_funnel_metrics(:exp_id, '{{a,b},{c,d}}');
SELECT * FROM experiments.get_funnel_metrics(:exp_id, array_fill('s'::text, ARRAY[21]));
SELECT * FROM experiments.get_funnel_metrics(:exp_id, ARRAY['pageview'], NULL);
SELECT * FROM experiments.get_experiment_stats(NULL);
SELECT * FROM experiments.get_variant_stats(NULL);
SELECT * FROM experiments.get_conversion_timeline(:exp_id, 0);
SELECT * FROM experiments.get_experiment_results(:px, 'conversion', 'frequentist', 0);
SELECT * FROM experiments.get_experiment_results(:px, 'conversion', 'frequentist', 0.6);
SELECT * FROM experiments.get_experiment_results(:px, 'conversion', 'frequentist', NULL);
SELECT * FROM experiments.get_experiment_results(:px, 'Revenue!');
\set VERBOSITY terse
SELECT * FROM experiments.get_experiment_results(:px, 'refund');
\set VERBOSITY default
SELECT * FROM experiments.get_experiment_results(:px, NULL);
SELECT * FROM experiments.get_experiment_results(:px, 'conversion', 'magic');
SELECT * FROM experiments.get_experiment_results(:px, 'conversion', 'sequential');
SELECT * FROM experiments.get_experiment_results(:px, 'conversion', 'sequential', 0.05, -5);
SELECT * FROM experiments.get_experiment_results(:px, 'conversion', 'frequentist', 0.05, 5000);
