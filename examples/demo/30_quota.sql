-- Quota demo: three speech-to-text accounts on different plans, with
-- recordings in every state.  The calls run as demo_app (granted every
-- domain by 00_access.sql), the way an application would make them; ids are
-- looked up as the superuser, since demo_app cannot read the tables.
--
-- Try, as demo_app:
--   SELECT * FROM experiments.sp_get_user_stats(
--       (SELECT id FROM experiments.users WHERE user_name = 'demo_linh'));  -- as postgres
--   CALL experiments.sp_change_user_plan('<user id>', 'PREMIUM', true, NULL, NULL);
\set ON_ERROR_STOP on

-- idempotent: a re-run starts from scratch
DELETE FROM experiments.users WHERE email LIKE '%@demo.example.com';

SET ROLE demo_app;
CALL experiments.sp_register_user('linh@demo.example.com', 'demo_linh', '$argon2id$demo', 'Linh Nguyen', 'FREE');
CALL experiments.sp_register_user('minh@demo.example.com', 'demo_minh', '$argon2id$demo', 'Minh Tran', 'BASIC');
CALL experiments.sp_register_user('an@demo.example.com', 'demo_an', '$argon2id$demo', 'An Pham', 'PREMIUM');
RESET ROLE;

SELECT id AS linh FROM experiments.users WHERE user_name = 'demo_linh' \gset
SELECT id AS minh FROM experiments.users WHERE user_name = 'demo_minh' \gset
SELECT id AS an FROM experiments.users WHERE user_name = 'demo_an' \gset

SET ROLE demo_app;
-- Linh (FREE: 10 recordings, 30 minutes a month) uses up her recordings:
-- ten are accepted, the eleventh is refused with the seed's message.
SELECT n, quota_ok, error_message
  FROM generate_series(1, 11) n,
       LATERAL experiments.sp_check_quota_and_create_recording(:'linh', 'realtime', 'vi',
                                                               jsonb_build_object('demo', n)) q;

-- Minh records an upload and completes it with three segments.
SELECT recording_id AS minh_rec
  FROM experiments.sp_check_quota_and_create_recording(:'minh', 'upload', 'vi',
                                                       '{"file": "meeting.m4a"}') \gset
CALL experiments.sp_complete_recording(:'minh_rec', 9400, '[
    {"idx": 0, "start_ms": 0,    "end_ms": 3100, "text": "Xin chào mọi người."},
    {"idx": 1, "start_ms": 3100, "end_ms": 6000, "text": "Hôm nay chúng ta họp về kế hoạch quý."},
    {"idx": 2, "start_ms": 6000, "end_ms": 9400, "text": "Bắt đầu nhé."}
]');
-- ... and a second one whose transcript is malformed: run outside a
-- transaction block, the call leaves it 'failed' with the reason in meta.
SELECT recording_id AS minh_bad
  FROM experiments.sp_check_quota_and_create_recording(:'minh', 'realtime') \gset
\set ON_ERROR_STOP off
CALL experiments.sp_complete_recording(:'minh_bad', 4000, '[{"idx": 0, "start_ms": 500, "end_ms": 100, "text": "?"}]');
\set ON_ERROR_STOP on

-- An records in English and in Vietnamese, then upgrades with proration.
SELECT recording_id AS an_rec
  FROM experiments.sp_check_quota_and_create_recording(:'an', 'realtime', 'en') \gset
CALL experiments.sp_complete_recording(:'an_rec', 125000, '[
    {"idx": 0, "start_ms": 0,     "end_ms": 60000,  "text": "Welcome to the quarterly review."},
    {"idx": 1, "start_ms": 60000, "end_ms": 125000, "text": "Revenue grew in every region."}
]');
SELECT recording_id IS NOT NULL AS an_second_recording, quota_ok
  FROM experiments.sp_check_quota_and_create_recording(:'an', 'upload');
CALL experiments.sp_change_user_plan(:'an', 'ENTERPRISE', true, NULL, NULL);

-- Everyone's dashboard.
SELECT 'demo_linh' AS user_name, * FROM experiments.sp_get_user_stats(:'linh')
UNION ALL
SELECT 'demo_minh', * FROM experiments.sp_get_user_stats(:'minh')
UNION ALL
SELECT 'demo_an', * FROM experiments.sp_get_user_stats(:'an');
RESET ROLE;

SELECT u.user_name, r.source, r.language, r.status, r.duration_ms,
       r.meta #>> '{error,message}' AS failure
  FROM experiments.recordings r JOIN experiments.users u ON u.id = r.user_id
 WHERE u.email LIKE '%@demo.example.com' AND r.status <> 'processing'
 ORDER BY u.user_name, r.created_at;
