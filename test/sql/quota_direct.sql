-- The quota routines' writes without SQL: sp_check_quota_and_create_recording
-- (src/quota/check_direct.c) and sp_complete_recording's segments
-- (src/common/append.c).  The same rows and errors as the statements they
-- replace, every default and constraint of the tables honoured, and the
-- statements again whenever a table is not as shipped.
\set VERBOSITY terse
CREATE SCHEMA appendtest;
CREATE FUNCTION appendtest.path() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_append_path';
CREATE FUNCTION appendtest.check_path() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_quota_check_path';

CALL experiments.sp_register_user('seg@example.com', 'seg', 'h', 'Seg', 'ENTERPRISE');
SELECT id AS seg FROM experiments.users WHERE user_name = 'seg' \gset
CREATE FUNCTION appendtest.new_recording() RETURNS uuid LANGUAGE sql AS $$
    SELECT recording_id FROM experiments.sp_check_quota_and_create_recording(
        (SELECT id FROM experiments.users WHERE user_name = 'seg'), 'upload')
$$;
-- n segments: idx 0..n-1 in reverse order, 1 s each
CREATE FUNCTION appendtest.payload(n integer) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('idx', i, 'start_ms', i * 1000,
                                                 'end_ms', i * 1000 + 1000,
                                                 'text', 'part ' || i)
                              ORDER BY i DESC), '[]')
      FROM generate_series(0, n - 1) AS i
$$;
CREATE VIEW appendtest.summary AS
SELECT r.id, r.status, r.duration_ms,
       count(g.id) AS segments,
       count(DISTINCT g.id) AS distinct_ids,
       coalesce(bool_and(g.text = 'part ' || g.idx AND g.start_ms = g.idx * 1000
                         AND g.end_ms = g.start_ms + 1000), true) AS rows_match,
       coalesce(max(g.idx), -1) AS max_idx
  FROM experiments.recordings r
  LEFT JOIN experiments.segments g ON g.recording_id = r.id
 GROUP BY r.id, r.status, r.duration_ms;

--------------------------------------------------------------------------
-- the quota check
--------------------------------------------------------------------------
SELECT experiments.upsert_plan('DIRECT2', 'Two recordings', 1, 2) IS NOT NULL AS plan;
CALL experiments.sp_register_user('two@example.com', 'two', 'h', 'Two', 'DIRECT2');
SELECT id AS two FROM experiments.users WHERE user_name = 'two' \gset
CREATE VIEW appendtest.two AS
SELECT s.usage_count, s.used_seconds,
       (SELECT count(*) FROM experiments.recordings r WHERE r.user_id = s.user_id) AS recordings
  FROM experiments.user_subscriptions s
 WHERE s.user_id = (SELECT id FROM experiments.users WHERE user_name = 'two');

-- allowed: direct; the recording carries the arguments and the defaults,
-- and the counter equals the rows
BEGIN;
SELECT recording_id IS NOT NULL AS created, quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording(:'two', 'realtime', 'en', '{"device": "mic"}');
SELECT appendtest.check_path();
SELECT source, language, status, duration_ms, meta, completed_at IS NULL AS open,
       created_at = now() AS created_now
  FROM experiments.recordings WHERE user_id = :'two';
SELECT * FROM appendtest.two;
COMMIT;

-- the second fills the plan, the third is refused with the seed's message
SELECT quota_ok, error_message FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT recording_id IS NULL AS none, quota_ok, error_message
  FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT appendtest.check_path();
SELECT * FROM appendtest.two;

-- the plan's limits are read at each check: a raised limit applies at once,
-- even inside the transaction that raised it
BEGIN;
SELECT experiments.upsert_plan('DIRECT2', 'Three recordings', 1, 3) IS NOT NULL AS plan;
SELECT quota_ok, error_message FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
ROLLBACK;

-- the minutes limit (1 minute = 60 s), then an ended cycle
BEGIN;
UPDATE experiments.user_subscriptions SET usage_count = 0, used_seconds = 60 WHERE user_id = :'two';
SELECT quota_ok, error_message FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
UPDATE experiments.user_subscriptions SET used_seconds = 59 WHERE user_id = :'two';
SELECT quota_ok, error_message FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
UPDATE experiments.user_subscriptions
   SET cycle_start = now() - interval '2 months', cycle_end = now() - interval '1 month'
 WHERE user_id = :'two';
SELECT quota_ok, error_message FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT appendtest.check_path();
ROLLBACK;

-- no subscription: refused; no user: P0002
BEGIN;
DELETE FROM experiments.user_subscriptions WHERE user_id = :'two';
SELECT quota_ok, error_message FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
ROLLBACK;
SELECT * FROM experiments.sp_check_quota_and_create_recording('00000000-0000-4000-8000-00000000dead', 'upload');

-- a CHECK constraint added to recordings holds on the direct path (23514)
BEGIN;
UPDATE experiments.user_subscriptions SET usage_count = 0 WHERE user_id = :'two';
ALTER TABLE experiments.recordings ADD CONSTRAINT known_language
    CHECK (language IN ('vi', 'en')) NOT VALID;
SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload', 'fr');
ROLLBACK;
SELECT appendtest.check_path();
SELECT * FROM appendtest.two;

-- a trigger on recordings or on the subscriptions, or a deferrable foreign
-- key of the subscriptions: SQL does the check, and triggers fire
CREATE FUNCTION appendtest.note_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% % on %', TG_WHEN, TG_OP, TG_TABLE_NAME;
    RETURN NEW;
END $$;
BEGIN;
UPDATE experiments.user_subscriptions SET usage_count = 0 WHERE user_id = :'two';
CREATE TRIGGER note_recording AFTER INSERT ON experiments.recordings
    FOR EACH ROW EXECUTE FUNCTION appendtest.note_row();
SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT appendtest.check_path();
SELECT * FROM appendtest.two;
ROLLBACK;
BEGIN;
UPDATE experiments.user_subscriptions SET usage_count = 0 WHERE user_id = :'two';
CREATE TRIGGER note_subscription BEFORE UPDATE ON experiments.user_subscriptions
    FOR EACH ROW EXECUTE FUNCTION appendtest.note_row();
SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT appendtest.check_path();
ROLLBACK;
BEGIN;
UPDATE experiments.user_subscriptions SET usage_count = 0 WHERE user_id = :'two';
ALTER TABLE experiments.user_subscriptions
    ALTER CONSTRAINT user_subscriptions_plan_id_fkey DEFERRABLE INITIALLY DEFERRED;
SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT appendtest.check_path();
ROLLBACK;

-- row-level security on the plans: SQL
BEGIN;
UPDATE experiments.user_subscriptions SET usage_count = 0 WHERE user_id = :'two';
ALTER TABLE experiments.plans ENABLE ROW LEVEL SECURITY;
SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT appendtest.check_path();
ROLLBACK;

-- a read-only transaction (or a hot standby) cannot write through the direct
-- path any more than through SQL: 25006
BEGIN TRANSACTION READ ONLY;
SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
ROLLBACK;

-- as shipped again: direct again
SELECT quota_ok, error_message FROM experiments.sp_check_quota_and_create_recording(:'two', 'upload');
SELECT appendtest.check_path();
SELECT * FROM appendtest.two;

--------------------------------------------------------------------------
-- the segments' append
--------------------------------------------------------------------------
-- a completion: direct; the rows as sent, ids from the identity in the
-- order of the array, the recording done and its seconds charged
SELECT appendtest.new_recording() AS r1 \gset
SELECT used_seconds AS before FROM experiments.user_subscriptions WHERE user_id = :'seg' \gset
CALL experiments.sp_complete_recording(:'r1', 2500, appendtest.payload(3));
SELECT appendtest.path();
SELECT status, duration_ms, segments, distinct_ids, rows_match, max_idx
  FROM appendtest.summary WHERE id = :'r1';
SELECT array_agg(idx ORDER BY id) AS idx_in_id_order
  FROM experiments.segments WHERE recording_id = :'r1';
SELECT used_seconds - :before AS charged_seconds
  FROM experiments.user_subscriptions WHERE user_id = :'seg';

-- more segments than fit in many batches of the append (64 each), and none at all
SELECT appendtest.new_recording() AS r2 \gset
CALL experiments.sp_complete_recording(:'r2', 2500000, appendtest.payload(2500));
SELECT status, segments, distinct_ids, rows_match, max_idx
  FROM appendtest.summary WHERE id = :'r2';
SELECT appendtest.new_recording() AS r3 \gset
CALL experiments.sp_complete_recording(:'r3', 0, '[]');
SELECT appendtest.path();
SELECT status, segments FROM appendtest.summary WHERE id = :'r3';

-- a CHECK constraint added by the owner holds on the direct path (23514),
-- seen at once (ALTER TABLE invalidates what the append cached); inside a
-- transaction block nothing is written
SELECT appendtest.new_recording() AS r4 \gset
BEGIN;
ALTER TABLE experiments.segments ADD CONSTRAINT short_text CHECK (length(text) < 7) NOT VALID;
CALL experiments.sp_complete_recording(:'r4', 20000, appendtest.payload(20));
ROLLBACK;
SELECT appendtest.path();
SELECT status, segments FROM appendtest.summary WHERE id = :'r4';

-- a NOT NULL column added with a default gets it; one without a default
-- makes the row fail its NOT NULL (23502) as the INSERT would
BEGIN;
ALTER TABLE experiments.segments ADD COLUMN speaker text NOT NULL DEFAULT 'unknown';
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
SELECT appendtest.path();
SELECT speaker, count(*) FROM experiments.segments WHERE recording_id = :'r4' GROUP BY speaker;
ROLLBACK;
BEGIN;
ALTER TABLE experiments.segments ADD COLUMN confidence real DEFAULT 1;
ALTER TABLE experiments.segments ALTER COLUMN confidence SET NOT NULL;
ALTER TABLE experiments.segments ALTER COLUMN confidence DROP DEFAULT;
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
ROLLBACK;

-- a column of a NOT NULL domain without a default: the missing value is NULL
-- checked against the domain, as an INSERT checks it (23502)
BEGIN;
CREATE DOMAIN appendtest.required AS text NOT NULL;
ALTER TABLE experiments.segments ADD COLUMN tag appendtest.required DEFAULT 'x';
ALTER TABLE experiments.segments ALTER COLUMN tag DROP DEFAULT;
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
ROLLBACK;

-- a segment already there with the same idx: 23505 from the unique index
BEGIN;
INSERT INTO experiments.segments (recording_id, idx, start_ms, end_ms, text)
VALUES (:'r4', 1, 0, 1, 'sneaked in');
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
ROLLBACK;
SELECT status, segments FROM appendtest.summary WHERE id = :'r4';

-- a trigger on segments: the INSERT does the work, and the trigger fires
CREATE FUNCTION appendtest.note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% % on % idx %', TG_WHEN, TG_OP, TG_TABLE_NAME, NEW.idx;
    RETURN NEW;
END $$;
BEGIN;
CREATE TRIGGER segment_note AFTER INSERT ON experiments.segments
    FOR EACH ROW EXECUTE FUNCTION appendtest.note();
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
SELECT appendtest.path();
SELECT status, segments, rows_match FROM appendtest.summary WHERE id = :'r4';
ROLLBACK;

-- another foreign key on segments: its checks must run, so SQL again
CREATE TABLE appendtest.speakers (name text PRIMARY KEY);
INSERT INTO appendtest.speakers VALUES ('nobody');
BEGIN;
ALTER TABLE experiments.segments ADD COLUMN speaker text DEFAULT 'nobody'
    REFERENCES appendtest.speakers (name);
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
SELECT appendtest.path();
ROLLBACK;

-- row-level security on segments: SQL, which applies it
BEGIN;
ALTER TABLE experiments.segments ENABLE ROW LEVEL SECURITY;
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
SELECT appendtest.path();
ROLLBACK;

-- a completion in a read-only transaction: 25006, nothing written
BEGIN TRANSACTION READ ONLY;
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
ROLLBACK;

-- and with the table as shipped again, direct again
CALL experiments.sp_complete_recording(:'r4', 2000, appendtest.payload(2));
SELECT appendtest.path();
SELECT status, segments, distinct_ids, rows_match FROM appendtest.summary WHERE id = :'r4';

-- deleting a completed recording takes its segments along (the key holds)
DELETE FROM experiments.recordings WHERE id = :'r2';
SELECT count(*) AS orphans FROM experiments.segments g
 WHERE NOT EXISTS (SELECT 1 FROM experiments.recordings r WHERE r.id = g.recording_id);

DELETE FROM experiments.users WHERE id IN (:'seg', :'two');
DELETE FROM experiments.plans WHERE code = 'DIRECT2';
DROP SCHEMA appendtest CASCADE;
