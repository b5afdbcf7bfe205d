-- Quota domain, part 2: completing recordings, stats, plan changes, cycle
-- resets and retention.  Generated ids and timestamps are never printed.
-- psql runs each statement outside a transaction block unless BEGIN says
-- otherwise, so a CALL here may commit on its own (sp_complete_recording's
-- "failed" mark).
\set VERBOSITY default

CALL experiments.sp_register_user('ann@example.com', 'ann', 'h', 'Ann', 'BASIC');
SELECT id AS ann FROM experiments.users WHERE user_name = 'ann' \gset
CREATE TEMP VIEW ann_cycle AS
SELECT s.usage_count, s.used_seconds,
       (SELECT count(*) FROM experiments.recordings r WHERE r.user_id = s.user_id) AS recordings
  FROM experiments.user_subscriptions s
 WHERE s.user_id = (SELECT id FROM experiments.users WHERE user_name = 'ann');
CREATE TEMP VIEW ann_recordings AS
SELECT r.status, r.duration_ms, r.completed_at IS NOT NULL AS completed,
       (SELECT count(*) FROM experiments.segments g WHERE g.recording_id = r.id) AS segments,
       r.meta #>> '{error,sqlstate}' AS error_sqlstate,
       r.meta #>> '{error,message}' AS error_message
  FROM experiments.recordings r
 WHERE r.user_id = (SELECT id FROM experiments.users WHERE user_name = 'ann')
 ORDER BY r.created_at, r.id;

--------------------------------------------------------------------------
-- sp_complete_recording
--------------------------------------------------------------------------
SELECT recording_id AS r1 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'realtime') \gset
CALL experiments.sp_complete_recording(:'r1', 61500, '[
    {"idx": 0, "start_ms": 0,    "end_ms": 1500, "text": "xin chào"},
    {"idx": 2, "start_ms": 3000, "end_ms": 3000, "text": ""},
    {"idx": 1, "start_ms": 1500, "end_ms": 3000, "text": "thế giới", "confidence": 0.9}
]');
SELECT * FROM ann_recordings;
SELECT idx, start_ms, end_ms, text FROM experiments.segments
 WHERE recording_id = :'r1' ORDER BY idx;
-- 61 500 ms are charged as 62 seconds (rounded up)
SELECT * FROM ann_cycle;

-- seconds are rounded up per recording: 1 ms -> 1 s, 0 ms -> 0 s, 60 000 ms -> 60 s
SELECT recording_id AS r2 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r2', 1, '[]');
SELECT used_seconds FROM ann_cycle;
SELECT recording_id AS r3 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r3', 0, '[]');
SELECT used_seconds FROM ann_cycle;
SELECT recording_id AS r4 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r4', 60000, '[]');
SELECT used_seconds FROM ann_cycle;

-- text survives exactly: quotes, backslashes, newlines, emoji, combining
-- marks, right-to-left script
SELECT recording_id AS r5 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r5', 1000, '[
    {"idx": 0, "start_ms": 0, "end_ms": 10, "text": "say \"hi\" \\ back\nslash"},
    {"idx": 1, "start_ms": 10, "end_ms": 20, "text": "🎙️ e\u0301 مرحبا"},
    {"idx": 2, "start_ms": 20, "end_ms": 30, "text": "''; DROP TABLE experiments.segments; --"}
]');
SELECT idx, text, length(text) AS chars FROM experiments.segments
 WHERE recording_id = :'r5' ORDER BY idx;

-- already completed: 55000, nothing changes (terse: the detail names the id)
\set VERBOSITY terse
CALL experiments.sp_complete_recording(:'r1', 1, '[]');
\set VERBOSITY default
SELECT used_seconds FROM ann_cycle;
-- unknown recording: P0002
CALL experiments.sp_complete_recording('00000000-0000-0000-0000-000000000000', 1, '[]');
-- NULLs: 22004, the recording is not marked
SELECT recording_id AS r6 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(NULL, 1, '[]');
CALL experiments.sp_complete_recording(:'r6', NULL, '[]');
CALL experiments.sp_complete_recording(:'r6', 1, NULL);
SELECT status FROM experiments.recordings WHERE id = :'r6';

-- bad segments inside a transaction block: 22023, nothing is written, the
-- recording stays 'processing' (a mark would be rolled back with the caller)
BEGIN;
CALL experiments.sp_complete_recording(:'r6', 1000, '{"idx": 0}');
ROLLBACK;
BEGIN;
CALL experiments.sp_complete_recording(:'r6', 1000, '[{"idx": 0, "start_ms": 5, "end_ms": 4, "text": "x"}]');
ROLLBACK;
SELECT status, meta FROM experiments.recordings WHERE id = :'r6';

-- bad segments outside a transaction block: 22023, and the recording is left
-- 'failed' with the reason in meta; no segment, no seconds
\set VERBOSITY terse
SELECT used_seconds AS seconds_before FROM ann_cycle \gset
CALL experiments.sp_complete_recording(:'r6', 1000, '{"idx": 0}');
SELECT recording_id AS r7 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r7', 1000, '[{"idx": 0, "start_ms": 0, "end_ms": 1}, 5]');
SELECT recording_id AS r8 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r8', 1000, '[5]');
SELECT recording_id AS r9 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r9', 1000, '[{"idx": -1, "start_ms": 0, "end_ms": 1, "text": "x"}]');
SELECT recording_id AS r10 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r10', 1000, '[{"idx": 0, "start_ms": -5, "end_ms": 1, "text": "x"}]');
SELECT recording_id AS r11 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r11', 1000, '[{"idx": 0, "start_ms": 900, "end_ms": 100, "text": "x"}]');
SELECT recording_id AS r12 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r12', 1000, '[{"idx": 3, "start_ms": 0, "end_ms": 1, "text": "a"},
                                                      {"idx": 1, "start_ms": 1, "end_ms": 2, "text": "b"},
                                                      {"idx": 3, "start_ms": 2, "end_ms": 3, "text": "c"}]');
SELECT recording_id AS r13 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r13', 1000, '[{"idx": 0, "start_ms": 0, "end_ms": 1, "text": 7}]');
SELECT recording_id AS r14 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r14', 1000, '[{"idx": 0.5, "start_ms": 0, "end_ms": 1, "text": "x"}]');
SELECT recording_id AS r15 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r15', 1000, '[{"idx": 0, "start_ms": 0, "end_ms": 99999999999, "text": "x"}]');
SELECT recording_id AS r16 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r16', 1000, '[{"idx": null, "start_ms": 0, "end_ms": 1, "text": "x"}]');
SELECT recording_id AS r17 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r17', -1, '[]');
SELECT recording_id AS r18 FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
CALL experiments.sp_complete_recording(:'r18', 1000, '"segments"');
-- a failed recording cannot be completed afterwards
CALL experiments.sp_complete_recording(:'r6', 1000, '[]');
\set VERBOSITY default
SELECT status, segments, error_sqlstate, error_message
  FROM ann_recordings WHERE status = 'failed';
SELECT used_seconds = :seconds_before AS no_seconds_charged,
       (SELECT count(*) FROM experiments.segments g
          JOIN experiments.recordings r ON r.id = g.recording_id
         WHERE r.status = 'failed') AS segments_of_failed
  FROM ann_cycle;

-- text that is not valid in jsonb never reaches the procedure
CALL experiments.sp_complete_recording('00000000-0000-0000-0000-000000000000', 1000,
    '[{"idx": 0, "start_ms": 0, "end_ms": 1, "text": "a\u0000b"}]');
CALL experiments.sp_complete_recording('00000000-0000-0000-0000-000000000000', 1000,
    '[{"idx": 0, "start_ms": 0, "end_ms": 1, "text": "\ud800"}]');

-- 100 000 segments are one set-based insert; 100 001 are refused
SELECT recording_id AS big FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
SELECT jsonb_agg(jsonb_build_object('idx', i, 'start_ms', i * 10, 'end_ms', i * 10 + 10,
                                    'text', 'word ' || i)) AS segs
  FROM generate_series(0, 99999) i \gset
CALL experiments.sp_complete_recording(:'big', 1000000, :'segs');
SELECT count(*) AS stored, min(idx), max(idx), max(end_ms)
  FROM experiments.segments WHERE recording_id = :'big';
SELECT recording_id AS too_big FROM experiments.sp_check_quota_and_create_recording(:'ann', 'upload') \gset
SELECT jsonb_agg(jsonb_build_object('idx', i, 'start_ms', 0, 'end_ms', 1, 'text', 'w')) AS segs
  FROM generate_series(0, 100000) i \gset
\set VERBOSITY terse
CALL experiments.sp_complete_recording(:'too_big', 1000, :'segs');
\set VERBOSITY default
SELECT status, meta #>> '{error,message}' AS reason,
       (SELECT count(*) FROM experiments.segments WHERE recording_id = :'too_big') AS segments
  FROM experiments.recordings WHERE id = :'too_big';
\unset segs

-- the subscription is gone: the recording completes, nothing is charged
CALL experiments.sp_register_user('ben@example.com', 'ben', 'h', 'Ben', 'FREE');
SELECT id AS ben FROM experiments.users WHERE user_name = 'ben' \gset
SELECT recording_id AS rb FROM experiments.sp_check_quota_and_create_recording(:'ben', 'upload') \gset
DELETE FROM experiments.user_subscriptions WHERE user_id = :'ben';
CALL experiments.sp_complete_recording(:'rb', 5000, '[]');
SELECT status, duration_ms FROM experiments.recordings WHERE id = :'rb';

--------------------------------------------------------------------------
-- sp_get_user_stats
--------------------------------------------------------------------------
SELECT * FROM experiments.sp_get_user_stats(:'ann');
-- Ben has recordings but no subscription: real totals, zero cycle
SELECT * FROM experiments.sp_get_user_stats(:'ben');
-- a fresh user
CALL experiments.sp_register_user('cid@example.com', 'cid', 'h', 'Cid', 'PREMIUM');
SELECT id AS cid FROM experiments.users WHERE user_name = 'cid' \gset
SELECT * FROM experiments.sp_get_user_stats(:'cid');
-- percentages of the plan's limits, unbounded above
UPDATE experiments.user_subscriptions SET usage_count = 750, used_seconds = 45000
 WHERE user_id = :'cid';
SELECT current_cycle_usage, current_cycle_seconds, quota_usage_percent, quota_minutes_percent
  FROM experiments.sp_get_user_stats(:'cid');
-- an expired cycle: zeros until the reset
UPDATE experiments.user_subscriptions
   SET cycle_start = date_trunc('month', now(), 'UTC') - interval '1 month',
       cycle_end = date_trunc('month', now(), 'UTC')
 WHERE user_id = :'cid';
SELECT current_cycle_usage, current_cycle_seconds, quota_usage_percent, quota_minutes_percent
  FROM experiments.sp_get_user_stats(:'cid');
-- errors
SELECT * FROM experiments.sp_get_user_stats('00000000-0000-0000-0000-000000000000');
SELECT * FROM experiments.sp_get_user_stats(NULL);
-- read-only: it runs in a read-only transaction
BEGIN READ ONLY;
SELECT total_recordings > 0 AS has_recordings FROM experiments.sp_get_user_stats(:'ann');
COMMIT;

--------------------------------------------------------------------------
-- sp_reset_monthly_cycles
--------------------------------------------------------------------------
-- (its NOTICE names the current month, so notices are hidden here; the
-- client tests check the text)
SET client_min_messages = warning;
CALL experiments.sp_reset_monthly_cycles();
SELECT u.user_name, s.usage_count, s.used_seconds,
       s.cycle_start = date_trunc('month', now(), 'UTC') AS current_month
  FROM experiments.user_subscriptions s JOIN experiments.users u ON u.id = s.user_id
 ORDER BY u.user_name;
-- idempotent: a second run changes nothing
CREATE TEMP TABLE before_reset AS SELECT * FROM experiments.user_subscriptions;
CALL experiments.sp_reset_monthly_cycles();
SELECT count(*) AS changed
  FROM (SELECT * FROM experiments.user_subscriptions EXCEPT SELECT * FROM before_reset) c;
-- a cycle ended long ago moves to the current month, not the next one
UPDATE experiments.user_subscriptions
   SET cycle_start = '2020-01-01 00:00+00', cycle_end = '2020-02-01 00:00+00', usage_count = 3
 WHERE user_id = :'ann';
CALL experiments.sp_reset_monthly_cycles();
SELECT usage_count, cycle_start = date_trunc('month', now(), 'UTC') AS current_month
  FROM experiments.user_subscriptions WHERE user_id = :'ann';
RESET client_min_messages;

--------------------------------------------------------------------------
-- sp_change_user_plan
--------------------------------------------------------------------------
UPDATE experiments.user_subscriptions SET usage_count = 4, used_seconds = 100
 WHERE user_id = :'ann';
-- the seed's call, with NULL placeholders for the OUT parameters
CALL experiments.sp_change_user_plan(:'ann', 'PREMIUM', false, NULL, NULL);
SELECT p.code, s.usage_count, s.used_seconds
  FROM experiments.user_subscriptions s JOIN experiments.plans p ON p.id = s.plan_id
 WHERE s.user_id = :'ann';
CALL experiments.sp_change_user_plan(:'ann', 'PREMIUM', true, NULL, NULL);
CALL experiments.sp_change_user_plan(:'ann', 'GOLD', true, NULL, NULL);
CALL experiments.sp_change_user_plan(:'ann', 'premium', true, NULL, NULL);
-- prorate zeroes the cycle's counters
CALL experiments.sp_change_user_plan(:'ann', 'ENTERPRISE', true, NULL, NULL);
SELECT p.code, s.usage_count, s.used_seconds
  FROM experiments.user_subscriptions s JOIN experiments.plans p ON p.id = s.plan_id
 WHERE s.user_id = :'ann';
-- no active subscription: expired, or none at all
UPDATE experiments.user_subscriptions
   SET cycle_start = date_trunc('month', now(), 'UTC') - interval '1 month',
       cycle_end = date_trunc('month', now(), 'UTC')
 WHERE user_id = :'ann';
CALL experiments.sp_change_user_plan(:'ann', 'FREE', false, NULL, NULL);
CALL experiments.sp_change_user_plan(:'ben', 'FREE', false, NULL, NULL);
-- errors
CALL experiments.sp_change_user_plan('00000000-0000-0000-0000-000000000000', 'FREE', false, NULL, NULL);
CALL experiments.sp_change_user_plan(NULL, 'FREE', false, NULL, NULL);
CALL experiments.sp_change_user_plan(:'ann', NULL, false, NULL, NULL);
CALL experiments.sp_change_user_plan(:'ann', 'FREE', NULL, NULL, NULL);
-- the OUT parameters as a row inside a transaction block too
BEGIN;
CALL experiments.sp_change_user_plan(:'cid', 'BASIC', false, NULL, NULL);
ROLLBACK;
SELECT p.code FROM experiments.user_subscriptions s JOIN experiments.plans p ON p.id = s.plan_id
 WHERE s.user_id = :'cid';

--------------------------------------------------------------------------
-- sp_cleanup_old_recordings
--------------------------------------------------------------------------
-- Ann's recordings: age them; only 'done' ones older than the retention go
UPDATE experiments.recordings SET created_at = now() - interval '100 days'
 WHERE user_id = :'ann';
UPDATE experiments.recordings r SET created_at = now() - a.age * interval '1 day'
  FROM (VALUES (:'r1'::uuid, 200), (:'r3'::uuid, 190), (:'r4'::uuid, 180),
               (:'r5'::uuid, 170), (:'big'::uuid, 160), (:'r2'::uuid, 10)) a (id, age)
 WHERE r.id = a.id;
SELECT status, count(*) FROM experiments.recordings WHERE user_id = :'ann'
 GROUP BY status ORDER BY status;
-- in batches of 2, oldest first; counts are exact
SELECT * FROM experiments.sp_cleanup_old_recordings(90, 2);
SELECT * FROM experiments.sp_cleanup_old_recordings(90, 2);
SELECT * FROM experiments.sp_cleanup_old_recordings(90, 2);
SELECT * FROM experiments.sp_cleanup_old_recordings(90, 2);
SELECT * FROM experiments.sp_cleanup_old_recordings();
SELECT status, count(*) FROM experiments.recordings WHERE user_id = :'ann'
 GROUP BY status ORDER BY status;
-- a retention of 0 days takes the rest of the done ones
SELECT * FROM experiments.sp_cleanup_old_recordings(0, 1000);
SELECT count(*) AS orphan_segments FROM experiments.segments g
 WHERE NOT EXISTS (SELECT 1 FROM experiments.recordings r WHERE r.id = g.recording_id);
-- errors
SELECT * FROM experiments.sp_cleanup_old_recordings(NULL, 10);
SELECT * FROM experiments.sp_cleanup_old_recordings(90, NULL);
SELECT * FROM experiments.sp_cleanup_old_recordings(-1, 10);
SELECT * FROM experiments.sp_cleanup_old_recordings(36501, 10);
SELECT * FROM experiments.sp_cleanup_old_recordings(90, 0);
SELECT * FROM experiments.sp_cleanup_old_recordings(90, 100001);

-- clean up for the files after this one
DELETE FROM experiments.users;
