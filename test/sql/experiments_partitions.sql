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
-- cleanup_old_events across partitions (cutoff = now() - 27 days)
--------------------------------------------------------------------------
-- whole days older than the cutoff: 5, 7 and 3 rows (and the 2 moved above)
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'view', (:'today'::date - d) + time '12:00' + g * interval '1 s'
  FROM (VALUES (30, 5), (29, 7), (28, 3)) v (d, n), generate_series(1, v.n) g;
-- the day straddling the cutoff: 2 rows before it, 2 after it
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'straddle-old', (:'today'::date - 27) + g * interval '1 ms'
  FROM generate_series(1, 2) g;
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', 'straddle-new', now() - interval '27 days' + interval '1 s'
  FROM generate_series(1, 2) g;
-- the default partition: 4 rows older than the cutoff, 3 newer (no partition for day -45 or -5)
INSERT INTO experiments.events (experiment_id, user_id, event_type, created_at)
SELECT 990001, 'part-user', CASE WHEN d = 45 THEN 'default-old' ELSE 'default-new' END,
       (:'today'::date - d) + time '06:00' + g * interval '1 s'
  FROM (VALUES (45, 4), (5, 3)) v (d, n), generate_series(1, v.n) g;
SELECT CASE WHEN tableoid = 'experiments.events_default'::regclass THEN 'default'
            ELSE 'day ' || (to_date(substr(tableoid::regclass::text, 21), 'YYYYMMDD') - :'today'::date)
       END AS part, count(*)
  FROM experiments.events WHERE experiment_id = 990001 GROUP BY 1 ORDER BY 1;

-- 2 + 5 + 7 + 3 rows of dropped days, 2 straddling rows, 4 default rows: 23
SELECT deleted_events, deleted_outbox >= 0 AS outbox_ok FROM experiments.cleanup_old_events(27);
SELECT event_type, count(*) FROM experiments.events WHERE experiment_id = 990001
 GROUP BY 1 ORDER BY 1;
-- the days entirely older than the cutoff are gone; the straddling one stays
SELECT day FROM my_parts WHERE daily AND day < 0 ORDER BY day;
-- nothing left to do
SELECT deleted_events FROM experiments.cleanup_old_events(27);
-- a shorter window: the straddling day and day -26 go as whole partitions now
-- (cutoff now() - 4 days), and the 3 default rows of day -5
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
