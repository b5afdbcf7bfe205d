-- Experiments: the daily partitions of events (ensure_event_partitions) and
-- cleanup_old_events across daily partitions, the partition straddling the
-- cutoff and the default partition, with exact counts.
-- Days are shown relative to today (UTC); generated ids are never printed.
\set VERBOSITY default
SELECT (now() AT TIME ZONE 'UTC')::date AS today \gset
CREATE TEMP VIEW my_parts AS
SELECT c.relname::text ~ '^events_p[0-9]{8}$' AS daily,
       CASE WHEN c.relname::text ~ '^events_p[0-9]{8}$'
            THEN to_date(substr(c.relname, 9), 'YYYYMMDD') - :'today'::date END AS day,
       c.relname::text AS name
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'experiments.events'::regclass;

-- the shape: partitioned by range of created_at, a default partition; the
-- key (id, created_at) and the indexes are declared per partition
SELECT c.relkind, pg_get_partkeydef(c.oid) AS partkey,
       (SELECT count(*) FROM pg_index x WHERE x.indrelid = c.oid) AS parent_indexes
  FROM pg_class c WHERE c.oid = 'experiments.events'::regclass;
SELECT pg_get_indexdef(x.indexrelid) AS default_index
  FROM pg_index x WHERE x.indrelid = 'experiments.events_default'::regclass ORDER BY 1;
SELECT pg_get_expr(relpartbound, oid) AS bound FROM pg_class
 WHERE oid = 'experiments.events_default'::regclass;
-- the default partition is a member of the extension with its rows dumped
SELECT c.relname, c.oid = ANY (e.extconfig) AS config_dumped
  FROM pg_class c, pg_extension e
 WHERE e.extname = 'experiments' AND c.relname IN ('events', 'events_default')
   AND c.relnamespace = 'experiments'::regnamespace ORDER BY 1;

-- start from no events older than 27 days (other files may have left some)
SELECT deleted_events >= 0 AS flushed FROM experiments.cleanup_old_events(27);
-- cleanup created today and the 7 days ahead
SELECT day, name = 'events_p' || to_char(:'today'::date + day, 'YYYYMMDD') AS named
  FROM my_parts WHERE daily AND day >= 0 ORDER BY day;

--------------------------------------------------------------------------
-- ensure_event_partitions
--------------------------------------------------------------------------
-- a day without a partition: its rows go to the default partition
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'view', (:'today'::date - 35) + time '12:00' + g * interval '1 s'
  FROM generate_series(1, 2) g;
SELECT tableoid::regclass AS part, count(*) FROM experiments.events
 WHERE experiment_id = 990001 GROUP BY 1;
-- creating that day moves its rows out of the default partition
SELECT experiments.ensure_event_partitions(:'today'::date - 35, :'today'::date - 35) AS created;
SELECT tableoid::regclass::text = 'experiments.events_p' || to_char(:'today'::date - 35, 'YYYYMMDD')
       AS in_day_partition, count(*)
  FROM experiments.events WHERE experiment_id = 990001 GROUP BY 1;
SELECT count(*) AS left_in_default FROM experiments.events_default WHERE experiment_id = 990001;
-- idempotent; several days at once; only the missing ones are created
SELECT experiments.ensure_event_partitions(:'today'::date - 35, :'today'::date - 35) AS created_again;
SELECT experiments.ensure_event_partitions(:'today'::date - 30, :'today'::date - 26) AS created;
SELECT experiments.ensure_event_partitions(:'today'::date - 31, :'today'::date - 26) AS created;
SELECT day, pg_get_expr(c.relpartbound, c.oid) =
       format('FOR VALUES FROM (%L) TO (%L)',
              ((:'today'::date + day)::timestamp AT TIME ZONE 'UTC')::text,
              ((:'today'::date + day + 1)::timestamp AT TIME ZONE 'UTC')::text) AS utc_day_bounds,
       pg_get_userbyid(c.relowner) = (SELECT pg_get_userbyid(extowner) FROM pg_extension
                                       WHERE extname = 'experiments') AS extension_owner,
       EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') AS ext_member
  FROM my_parts p JOIN pg_class c ON c.relname = p.name
   AND c.relnamespace = 'experiments'::regnamespace
 WHERE daily AND day < 0 ORDER BY day;
-- every new partition has the key and the indexes of the default partition
SELECT count(*) FILTER (WHERE n <> 3 OR NOT pk) AS partitions_missing_an_index
  FROM (SELECT p.name,
               (SELECT count(*) FROM pg_index x
                 WHERE x.indrelid = ('experiments.' || quote_ident(p.name))::regclass) AS n,
               (SELECT pg_get_constraintdef(k.oid) = 'PRIMARY KEY (id, created_at)'
                  FROM pg_constraint k
                 WHERE k.conrelid = ('experiments.' || quote_ident(p.name))::regclass
                   AND k.contype = 'p') AS pk
          FROM my_parts p) s;
-- defaults: today to 7 days ahead, which exist already
SELECT experiments.ensure_event_partitions() AS created_default_range;
SELECT experiments.ensure_event_partitions(:'today'::date + 8, :'today'::date + 8) AS created_one_more;
-- p_to alone defaults to today + 7
SELECT experiments.ensure_event_partitions(:'today'::date + 8);
SELECT experiments.ensure_event_partitions(NULL, :'today'::date + 2) AS created_none;

-- errors
SELECT experiments.ensure_event_partitions('2026-01-02', '2026-01-01');
SELECT experiments.ensure_event_partitions('2000-01-01', '2010-12-31');
SELECT experiments.ensure_event_partitions('-infinity', '2026-01-01');
SELECT experiments.ensure_event_partitions('2026-01-01', 'infinity');

--------------------------------------------------------------------------
-- cleanup_old_events across partitions
--------------------------------------------------------------------------
-- Retention keeps whole UTC days: with the cutoff now() - N days, a daily
-- partition is dropped when its whole day is older than the cutoff, the day
-- straddling the cutoff (day -N, which holds now() - N days) is kept whole,
-- and rows of the default partition (days without a partition) are deleted
-- by the exact cutoff.  Every row below sits at a fixed time of its day
-- (:today is the UTC date of now(), date_trunc('day', now() AT TIME ZONE
-- 'UTC')), or minutes away from a cutoff that falls in days without
-- partitions, so that the counts do not depend on the time of day the test
-- runs.
-- whole days older than the cutoff of cleanup_old_events(27): 5, 7 and 3
-- rows (and the 2 moved to day -35 above)
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'view', (:'today'::date - d) + time '12:00' + g * interval '1 s'
  FROM (VALUES (30, 5), (29, 7), (28, 3)) v (d, n), generate_series(1, v.n) g;
-- the day straddling that cutoff: 2 rows at its very start (older than the
-- cutoff) and 2 at its very end (newer), in UTC
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'straddle-early',
       ((:'today'::date - 27)::timestamp AT TIME ZONE 'UTC') + g * interval '1 ms'
  FROM generate_series(1, 2) g;
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'straddle-late',
       ((:'today'::date - 26)::timestamp AT TIME ZONE 'UTC') - g * interval '1 ms'
  FROM generate_series(1, 2) g;
-- the default partition (no partition for days -46 to -36, nor -5): 4 rows
-- of day -45, 3 of day -5, and one a minute on each side of now() - 40 days
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', CASE WHEN d = 45 THEN 'default-old' ELSE 'default-new' END,
       (:'today'::date - d) + time '06:00' + g * interval '1 s'
  FROM (VALUES (45, 4), (5, 3)) v (d, n), generate_series(1, v.n) g;
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
-- (days of 24 hours, as the cutoff counts them: in UTC, whatever TimeZone says)
VALUES (990001, 'part-user', 'default-edge-old',
        timezone('UTC', timezone('UTC', now()) - interval '40 days 1 minute')),
       (990001, 'part-user', 'default-edge-new',
        timezone('UTC', timezone('UTC', now()) - interval '40 days' + interval '1 minute'));
SELECT CASE WHEN tableoid = 'experiments.events_default'::regclass THEN 'default'
            ELSE 'day ' || (to_date(substr(tableoid::regclass::text, 21), 'YYYYMMDD') - :'today'::date)
       END AS part, count(*)
  FROM experiments.events WHERE experiment_id = 990001 GROUP BY 1 ORDER BY 1;

-- cleanup_old_events(40): no daily partition is older than day -35, so only
-- the default partition's rows older than now() - 40 days go, exactly: the 4
-- rows of day -45 and the one a minute before the cutoff; 5
SELECT deleted_events FROM experiments.cleanup_old_events(40);
SELECT count(*) FILTER (WHERE event_type LIKE 'default-%') AS default_rows_left,
       count(*) FILTER (WHERE event_type = 'default-edge-new') AS edge_new_left
  FROM experiments.events WHERE experiment_id = 990001;
-- The days to drop are counted page by page, not by a query (heapcount.c),
-- so give the count what a scan would skip.  Day -30: 4 rows inserted and
-- deleted again (dead tuples, not vacuumed); day -29: its 7 rows updated
-- (each leaves a dead old version); day -28: vacuumed, so that its page can
-- be counted as all-visible without looking at its tuples.
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'dead', (:'today'::date - 30) + time '13:00' + g * interval '1 s'
  FROM generate_series(1, 4) g;
DELETE FROM experiments.events WHERE experiment_id = 990001 AND event_type = 'dead';
UPDATE experiments.events SET value = 1
 WHERE experiment_id = 990001 AND created_at >= :'today'::date - 29
   AND created_at < :'today'::date - 28;
SELECT 'experiments.events_p' || to_char(:'today'::date - 28, 'YYYYMMDD') AS day_28 \gset
VACUUM (FREEZE) :day_28;
-- cleanup_old_events(27), in a transaction that first adds 2 rows to day
-- -28 and deletes 1 of its 3 (its own changes count): the days -35 (2 rows),
-- -31 (none), -30 (5), -29 (7) and -28 (3 + 2 - 1) are dropped: 18; day -27
-- straddles the cutoff and is kept whole, with its 2 rows older than the
-- cutoff; in the default partition, the row of now() - 40 days + 1 minute
-- is older than the cutoff: 1; 19
BEGIN;
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'same-transaction', (:'today'::date - 28) + time '14:00' + g * interval '1 s'
  FROM generate_series(1, 2) g;
DELETE FROM experiments.events
 WHERE id = (SELECT min(id) FROM experiments.events
              WHERE experiment_id = 990001 AND event_type = 'view'
                AND created_at >= :'today'::date - 28 AND created_at < :'today'::date - 27);
SELECT deleted_events, deleted_outbox >= 0 AS outbox_ok FROM experiments.cleanup_old_events(27);
COMMIT;
SELECT event_type, count(*) FROM experiments.events WHERE experiment_id = 990001
 GROUP BY 1 ORDER BY 1;
-- the days entirely older than the cutoff are gone; the straddling one stays
SELECT day FROM my_parts WHERE daily AND day < 0 ORDER BY day;
-- nothing left to do
SELECT deleted_events FROM experiments.cleanup_old_events(27);
-- a shorter window (cutoff now() - 4 days, in day -4): day -27 (its 4 rows)
-- and day -26 (none) are now whole days older than the cutoff and dropped,
-- and the 3 default rows of day -5 are older than it: 7
SELECT deleted_events FROM experiments.cleanup_old_events(4);
SELECT count(*) AS mine_left FROM experiments.events WHERE experiment_id = 990001;
SELECT day FROM my_parts WHERE daily AND day < 0 ORDER BY day;
-- rows of today to 8 days ahead go to their day partitions, none to the default
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'ahead', (:'today'::date + d) + time '01:00'
  FROM generate_series(0, 8) d;
SELECT count(*) FILTER (WHERE tableoid = 'experiments.events_default'::regclass) AS in_default,
       count(*) AS total
  FROM experiments.events WHERE experiment_id = 990001;
DELETE FROM experiments.events WHERE experiment_id = 990001;
DROP VIEW my_parts;
