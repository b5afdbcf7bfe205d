-- Quota domain, part 1: plans, registration, the quota check.
-- Generated ids and timestamps are never printed; booleans and counts are.
\set VERBOSITY default

--------------------------------------------------------------------------
-- the seeded plans
--------------------------------------------------------------------------
SELECT code, name, plan_type, plan_cost, monthly_minutes, monthly_usage_limit
  FROM experiments.plans ORDER BY monthly_usage_limit;

--------------------------------------------------------------------------
-- upsert_plan
--------------------------------------------------------------------------
SELECT experiments.upsert_plan('TINY', 'Tiny', 1, 2) IS NOT NULL AS created;
SELECT experiments.upsert_plan('TINY', 'Tiny plan', 1, 2, 'two recordings', 'paid', 1, 10)
       = (SELECT id FROM experiments.plans WHERE code = 'TINY') AS same_id;
SELECT code, name, description, plan_type, plan_cost, plan_discount,
       monthly_minutes, monthly_usage_limit
  FROM experiments.plans WHERE code = 'TINY';
-- bad input
SELECT experiments.upsert_plan(NULL, 'x', 1, 1);
SELECT experiments.upsert_plan('tiny', 'x', 1, 1);
SELECT experiments.upsert_plan('', 'x', 1, 1);
SELECT experiments.upsert_plan('X', '  ', 1, 1);
SELECT experiments.upsert_plan('X', NULL, 1, 1);
SELECT experiments.upsert_plan('X', 'x', 0, 1);
SELECT experiments.upsert_plan('X', 'x', 35791395, 1);
SELECT experiments.upsert_plan('X', 'x', 1, 0);
SELECT experiments.upsert_plan('X', 'x', 1, NULL);
SELECT experiments.upsert_plan('X', 'x', 1, 1, NULL, NULL);
SELECT experiments.upsert_plan('X', 'x', 1, 1, NULL, 'paid', -1);
SELECT experiments.upsert_plan('X', 'x', 1, 1, NULL, 'paid', 0, 101);
SELECT count(*) AS plans FROM experiments.plans;

--------------------------------------------------------------------------
-- sp_register_user
--------------------------------------------------------------------------
CALL experiments.sp_register_user('Alice@Example.COM', 'alice', 'hash-a', 'Alice', 'FREE');
SELECT u.email, u.user_name, u.password_hash, u.verified, u.role, u.status,
       pr.name AS profile_name, p.code AS plan,
       s.usage_count, s.used_seconds,
       s.cycle_start = date_trunc('month', now(), 'UTC') AS cycle_starts_this_month,
       s.cycle_end = (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month')
                     AT TIME ZONE 'UTC' AS cycle_ends_next_month
  FROM experiments.users u
  JOIN experiments.user_profiles pr ON pr.user_id = u.id
  JOIN experiments.user_subscriptions s ON s.user_id = u.id
  JOIN experiments.plans p ON p.id = s.plan_id
 WHERE u.user_name = 'alice';
-- the name is optional
CALL experiments.sp_register_user('bob@example.com', 'bob', 'hash-b', NULL, 'TINY');
SELECT name IS NULL AS no_name FROM experiments.user_profiles
 WHERE user_id = (SELECT id FROM experiments.users WHERE user_name = 'bob');
-- duplicates: which one is named; nothing is written
CALL experiments.sp_register_user('ALICE@example.com', 'alice2', 'h', 'A', 'FREE');
CALL experiments.sp_register_user('carol@example.com', 'alice', 'h', 'A', 'FREE');
CALL experiments.sp_register_user('alice@example.com', 'alice', 'h', 'A', 'FREE');
-- unknown plan
CALL experiments.sp_register_user('carol@example.com', 'carol', 'h', 'Carol', 'GOLD');
-- implausible emails
CALL experiments.sp_register_user('carol', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('@example.com', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@@example.com', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol smith@example.com', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example..com', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example.com.', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user(repeat('c', 65) || '@example.com', 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('c@' || repeat('e', 250) || '.com', 'carol', 'h', 'Carol', 'FREE');
-- NULLs and empty values
CALL experiments.sp_register_user(NULL, 'carol', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example.com', NULL, 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example.com', 'carol', NULL, 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example.com', 'carol', 'h', 'Carol', NULL);
CALL experiments.sp_register_user('carol@example.com', '', 'h', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example.com', 'carol', ' ', 'Carol', 'FREE');
CALL experiments.sp_register_user('carol@example.com', repeat('c', 65), 'h', 'Carol', 'FREE');
-- nothing partial was written by the failed calls
SELECT (SELECT count(*) FROM experiments.users) AS users,
       (SELECT count(*) FROM experiments.user_profiles) AS profiles,
       (SELECT count(*) FROM experiments.user_subscriptions) AS subscriptions;
-- a registration inside a transaction that rolls back leaves nothing
BEGIN;
CALL experiments.sp_register_user('dave@example.com', 'dave', 'h', 'Dave', 'FREE');
ROLLBACK;
SELECT count(*) AS daves FROM experiments.users WHERE user_name = 'dave';

--------------------------------------------------------------------------
-- sp_find_user: the id of a registered user, by email (any case) or name
--------------------------------------------------------------------------
SELECT f.user_id = u.id AS same_id, f.email, f.user_name, f.status, f.plan_code,
       f.cycle_start <= now() AND f.cycle_end > now() AS current_cycle
  FROM experiments.sp_find_user('ALICE@example.com') f, experiments.users u
 WHERE u.user_name = 'alice';
SELECT email, user_name, plan_code FROM experiments.sp_find_user('bob');
-- an email matches before a user name that looks the same
CALL experiments.sp_register_user('eve@example.com', 'bob@example.com', 'h', 'Eve', 'FREE');
SELECT email, user_name FROM experiments.sp_find_user('BOB@example.com');
SELECT email, user_name FROM experiments.sp_find_user('bob@example.com ');
DELETE FROM experiments.users WHERE user_name = 'bob@example.com';
-- unknown: no row; bad input: 22004, 22023
SELECT count(*) AS found FROM experiments.sp_find_user('nobody@example.com');
SELECT * FROM experiments.sp_find_user(NULL);
SELECT * FROM experiments.sp_find_user('');
SELECT * FROM experiments.sp_find_user(repeat('x', 257));

--------------------------------------------------------------------------
-- sp_check_quota_and_create_recording
--------------------------------------------------------------------------
CREATE TEMP VIEW bob AS SELECT id FROM experiments.users WHERE user_name = 'bob';
CREATE TEMP VIEW bob_cycle AS
SELECT s.usage_count, s.used_seconds,
       (SELECT count(*) FROM experiments.recordings r WHERE r.user_id = s.user_id) AS recordings
  FROM experiments.user_subscriptions s WHERE s.user_id = (SELECT id FROM bob);

-- TINY allows two recordings a month
SELECT recording_id IS NOT NULL AS has_id, quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'realtime');
SELECT recording_id IS NOT NULL AS has_id, quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload', 'en',
                                                       '{"file": "a.wav"}');
SELECT recording_id IS NOT NULL AS has_id, quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');
SELECT * FROM bob_cycle;
SELECT source, language, status, duration_ms, completed_at IS NULL AS open, meta
  FROM experiments.recordings WHERE user_id = (SELECT id FROM bob) ORDER BY source;

-- raising the plan's limit lets the next recording through
SELECT experiments.upsert_plan('TINY', 'Tiny plan', 1, 3) IS NOT NULL AS raised;
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');
SELECT * FROM bob_cycle;

-- the minutes limit: one minute used up
SELECT experiments.upsert_plan('TINY', 'Tiny plan', 1, 10) IS NOT NULL AS raised;
UPDATE experiments.user_subscriptions SET used_seconds = 59 WHERE user_id = (SELECT id FROM bob);
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');
UPDATE experiments.user_subscriptions SET used_seconds = 60 WHERE user_id = (SELECT id FROM bob);
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');
-- both limits reached: the count limit is named first
UPDATE experiments.user_subscriptions SET usage_count = 10 WHERE user_id = (SELECT id FROM bob);
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');

-- an expired cycle counts as not active until sp_reset_monthly_cycles runs
UPDATE experiments.user_subscriptions
   SET usage_count = 0, used_seconds = 0,
       cycle_start = date_trunc('month', now(), 'UTC') - interval '1 month',
       cycle_end = date_trunc('month', now(), 'UTC')
 WHERE user_id = (SELECT id FROM bob);
SELECT recording_id IS NULL AS no_id, quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');
-- a cycle that has not started yet is not active either
UPDATE experiments.user_subscriptions
   SET cycle_start = date_trunc('month', now(), 'UTC') + interval '1 month',
       cycle_end = date_trunc('month', now(), 'UTC') + interval '2 months'
 WHERE user_id = (SELECT id FROM bob);
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');
-- a user without a subscription
DELETE FROM experiments.user_subscriptions WHERE user_id = (SELECT id FROM bob);
SELECT recording_id IS NULL AS no_id, quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording((SELECT id FROM bob), 'upload');
SELECT count(*) AS bobs_recordings FROM experiments.recordings WHERE user_id = (SELECT id FROM bob);

-- bad input: nothing is written
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    '00000000-0000-0000-0000-000000000000', 'upload');
SELECT * FROM experiments.sp_check_quota_and_create_recording(NULL, 'upload');
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), NULL);
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'microphone');
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'upload', NULL);
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'upload', '');
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'upload', repeat('x', 36));
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'upload', 'vi', NULL);
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'upload', 'vi', '[1, 2]');
SELECT * FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'upload', 'vi', '"x"');
SELECT s.usage_count, (SELECT count(*) FROM experiments.recordings r
                        WHERE r.user_id = s.user_id) AS recordings
  FROM experiments.user_subscriptions s
 WHERE s.user_id = (SELECT id FROM experiments.users WHERE user_name = 'alice');

-- a recording created in a transaction that rolls back leaves no trace
BEGIN;
SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(
    (SELECT id FROM experiments.users WHERE user_name = 'alice'), 'realtime');
ROLLBACK;
SELECT s.usage_count, (SELECT count(*) FROM experiments.recordings r
                        WHERE r.user_id = s.user_id) AS recordings
  FROM experiments.user_subscriptions s
 WHERE s.user_id = (SELECT id FROM experiments.users WHERE user_name = 'alice');

-- the session's TimeZone does not move the cycle: it is the UTC month
SET TimeZone = 'Pacific/Kiritimati';
CALL experiments.sp_register_user('erin@example.com', 'erin', 'h', 'Erin', 'FREE');
SELECT s.cycle_start = date_trunc('month', now(), 'UTC') AS utc_month
  FROM experiments.user_subscriptions s JOIN experiments.users u ON u.id = s.user_id
 WHERE u.user_name = 'erin';
RESET TimeZone;

-- clean up for the files after this one
DELETE FROM experiments.users;
DELETE FROM experiments.plans WHERE code = 'TINY';
