-- The hostile caller (SPEC section 4) against the quota routines.

\i test/sql/include/hostile_setup.sql

SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;

-- quota: the plan as a superuser (upsert_plan is an admin routine) ...
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT experiments.upsert_plan('HOSTILE', 'Hostile', 10, 3) IS NOT NULL AS plan_upserted;
-- ... the calls as the hostile role
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
CALL experiments.sp_register_user('Hostile@Example.com', 'hostile_user', 'h', 'Hostile', 'HOSTILE');
RESET ROLE;
SELECT id AS hostile_uid FROM experiments.users
 WHERE email OPERATOR(pg_catalog.=) 'hostile@example.com' \gset
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT user_id OPERATOR(pg_catalog.=) :'hostile_uid'::uuid AS found_self, user_name, plan_code
  FROM experiments.sp_find_user('HOSTILE@example.com');
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'realtime');
SELECT recording_id AS hostile_rec
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'upload', 'en', '{"k": 1}') \gset
CALL experiments.sp_complete_recording(:'hostile_rec', 61500,
    '[{"idx": 0, "start_ms": 0, "end_ms": 61500, "text": "hostile"}]');
SELECT recording_id AS hostile_rec
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'upload') \gset
-- a bad completion outside a transaction block commits the 'failed' mark
-- inside the call; the session is still the hostile role afterwards
\set VERBOSITY terse
CALL experiments.sp_complete_recording(:'hostile_rec', 1000, '[{"idx": 0}]');
\set VERBOSITY default
SELECT current_user AS still_hostile;
SELECT quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording(:'hostile_uid', 'upload');
SELECT * FROM experiments.sp_get_user_stats(:'hostile_uid');
CALL experiments.sp_change_user_plan(:'hostile_uid', 'FREE', true, NULL, NULL);
SET client_min_messages = warning;  -- the reset's NOTICE names the month
CALL experiments.sp_reset_monthly_cycles();
RESET client_min_messages;
SELECT * FROM experiments.sp_cleanup_old_recordings(36500, 10);
RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT status FROM experiments.recordings
 WHERE user_id OPERATOR(pg_catalog.=) :'hostile_uid'::uuid ORDER BY status;
DELETE FROM experiments.users WHERE email OPERATOR(pg_catalog.=) 'hostile@example.com';
DELETE FROM experiments.plans WHERE code OPERATOR(pg_catalog.=) 'HOSTILE';
SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;

RESET ROLE;
RESET search_path;

\i test/sql/include/hostile_teardown.sql
