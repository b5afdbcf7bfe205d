-- Quota benchmark data and the PL/pgSQL references of the quota scenarios.
--
-- Schema bench_quota:
--   * 10,000 users on the plan BENCH (limits far above what a run reaches),
--     with ids a pgbench script can compute: bench_quota.uid(n), n in
--     1..10000, is the uuid 00000000-0000-4000-8000-<n as 12 hex digits>.
--   * pool / next_recording() / rec_id(k): recordings in status 'processing'
--     for the completion scenarios; pool_fill.sql (their before-run) refills
--     it.  A script takes a ticket k with next_recording() and names the
--     recording rec_id(k): an integer passes through pgbench's variables in
--     every query protocol, a quoted uuid does not in the prepared one.
--   * segments_json(n): the in_segments payload of n segments, as a client
--     would send it; the old-way scripts insert the same rows one by one.
--   * check_quota_and_create_recording(...) and complete_recording(...):
--     the PL/pgSQL versions of the two C routines, written from the same
--     contract (lock the subscription, check, insert and count; lock the
--     recording, validate the segments, store them, charge the seconds).
--
-- Run once per benchmark cluster (bench/run does it through "-- setup:");
-- safe to run again, it starts from scratch.  Needs a superuser: it writes
-- the extension's tables directly to load the users quickly.

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_quota CASCADE;
CREATE SCHEMA bench_quota;

SELECT experiments.upsert_plan('BENCH', 'Benchmark', 35791394, 2000000000) IS NOT NULL AS plan;

CREATE FUNCTION bench_quota.uid(n integer) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid;

DELETE FROM experiments.users WHERE email LIKE 'bench-%@quota.example';
INSERT INTO experiments.users (id, email, user_name, password_hash)
SELECT bench_quota.uid(g), 'bench-' || g || '@quota.example', 'bench_' || g, 'x'
  FROM generate_series(1, 10000) AS g;
INSERT INTO experiments.user_profiles (user_id, name)
SELECT bench_quota.uid(g), 'Bench ' || g FROM generate_series(1, 10000) AS g;
INSERT INTO experiments.user_subscriptions (user_id, plan_id)
SELECT bench_quota.uid(g), (SELECT id FROM experiments.plans WHERE code = 'BENCH')
  FROM generate_series(1, 10000) AS g;

-- Recordings waiting for completion, handed out in order by next_recording().
-- The sequence is never restarted, so a ticket names one recording for good.
CREATE TABLE bench_quota.pool (n bigint PRIMARY KEY, rec uuid NOT NULL);
CREATE SEQUENCE bench_quota.pool_seq;

CREATE FUNCTION bench_quota.rec_id(k bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT
    RETURN pg_catalog.md5('bench-recording-' || k)::uuid;

CREATE FUNCTION bench_quota.next_recording() RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    k bigint := nextval('bench_quota.pool_seq');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM bench_quota.pool p WHERE p.n = k) THEN
        RAISE EXCEPTION 'bench_quota.pool is exhausted: raise the pool size in pool_fill.sql';
    END IF;
    RETURN k;
END $$;

CREATE FUNCTION bench_quota.segments_json(n integer) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT
    RETURN (SELECT jsonb_agg(jsonb_build_object(
                       'idx', g, 'start_ms', g * 600, 'end_ms', g * 600 + 600,
                       'text', 'segment number ' || g || ' of the transcript'))
              FROM generate_series(0, n - 1) AS g);

CREATE TABLE bench_quota.payloads (n integer PRIMARY KEY, segments jsonb NOT NULL);
INSERT INTO bench_quota.payloads VALUES
    (100, bench_quota.segments_json(100)), (1000, bench_quota.segments_json(1000));

CREATE FUNCTION bench_quota.payload(n integer) RETURNS jsonb
    LANGUAGE sql STABLE STRICT
    RETURN (SELECT p.segments FROM bench_quota.payloads p WHERE p.n = payload.n);

--------------------------------------------------------------------------
-- PL/pgSQL: sp_check_quota_and_create_recording
--------------------------------------------------------------------------
CREATE FUNCTION bench_quota.check_quota_and_create_recording(
        in_user_id uuid, in_source text, in_language text DEFAULT 'vi',
        in_meta jsonb DEFAULT '{}')
    RETURNS TABLE (recording_id uuid, quota_ok boolean, error_message text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sub record;
BEGIN
    IF in_user_id IS NULL OR in_source IS NULL OR in_language IS NULL OR in_meta IS NULL THEN
        RAISE EXCEPTION 'arguments must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF in_source NOT IN ('realtime', 'upload') THEN
        RAISE EXCEPTION 'in_source must be realtime or upload' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(in_meta) <> 'object' THEN
        RAISE EXCEPTION 'in_meta must be an object' USING ERRCODE = '22023';
    END IF;

    SELECT s.id, s.usage_count, s.used_seconds,
           s.cycle_start <= now() AND s.cycle_end > now() AS active,
           p.monthly_usage_limit, p.monthly_minutes
      INTO sub
      FROM experiments.user_subscriptions s
      JOIN experiments.plans p ON p.id = s.plan_id
     WHERE s.user_id = in_user_id
       FOR UPDATE OF s;

    IF NOT FOUND OR NOT sub.active THEN
        RETURN QUERY SELECT NULL::uuid, false, 'No active subscription found';
        RETURN;
    END IF;
    IF sub.usage_count >= sub.monthly_usage_limit THEN
        RETURN QUERY SELECT NULL::uuid, false,
            format('Monthly usage limit reached (%s recordings)', sub.monthly_usage_limit);
        RETURN;
    END IF;
    IF sub.used_seconds >= sub.monthly_minutes::bigint * 60 THEN
        RETURN QUERY SELECT NULL::uuid, false,
            format('Monthly minutes limit reached (%s minutes)', sub.monthly_minutes);
        RETURN;
    END IF;

    INSERT INTO experiments.recordings (user_id, source, language, meta)
    VALUES (in_user_id, in_source, in_language, in_meta)
    RETURNING id INTO recording_id;
    UPDATE experiments.user_subscriptions SET usage_count = usage_count + 1
     WHERE id = sub.id;
    quota_ok := true;
    error_message := '';
    RETURN NEXT;
END $$;

--------------------------------------------------------------------------
-- PL/pgSQL: sp_complete_recording (inside the caller's transaction: the
-- benchmark never sends bad segments, so the failed mark is not needed)
--------------------------------------------------------------------------
CREATE PROCEDURE bench_quota.complete_recording(
        in_recording_id uuid, in_duration_ms integer, in_segments jsonb)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    st text;
    uid uuid;
    bad record;
BEGIN
    IF in_recording_id IS NULL OR in_duration_ms IS NULL OR in_segments IS NULL THEN
        RAISE EXCEPTION 'arguments must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT r.status, r.user_id INTO st, uid
      FROM experiments.recordings r WHERE r.id = in_recording_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'recording % not found', in_recording_id USING ERRCODE = 'P0002';
    END IF;
    IF st <> 'processing' THEN
        RAISE EXCEPTION 'recording is already completed' USING ERRCODE = '55000';
    END IF;
    IF in_duration_ms < 0 THEN
        RAISE EXCEPTION 'in_duration_ms must not be negative' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(in_segments) <> 'array' THEN
        RAISE EXCEPTION 'in_segments must be an array' USING ERRCODE = '22023';
    END IF;

    -- the same checks as the C decoder, element by element
    SELECT e.ord, e.elem INTO bad
      FROM jsonb_array_elements(in_segments) WITH ORDINALITY AS e (elem, ord)
     WHERE jsonb_typeof(e.elem) <> 'object'
        OR jsonb_typeof(e.elem -> 'idx') IS DISTINCT FROM 'number'
        OR jsonb_typeof(e.elem -> 'start_ms') IS DISTINCT FROM 'number'
        OR jsonb_typeof(e.elem -> 'end_ms') IS DISTINCT FROM 'number'
        OR jsonb_typeof(e.elem -> 'text') IS DISTINCT FROM 'string'
        OR (e.elem ->> 'idx')::int < 0
        OR (e.elem ->> 'start_ms')::int < 0
        OR (e.elem ->> 'end_ms')::int < (e.elem ->> 'start_ms')::int
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'in_segments[%] is not a valid segment', bad.ord - 1
            USING ERRCODE = '22023';
    END IF;
    IF (SELECT count(DISTINCT (e ->> 'idx')::int) <> count(*)
          FROM jsonb_array_elements(in_segments) AS e) THEN
        RAISE EXCEPTION 'in_segments has duplicate idx values' USING ERRCODE = '22023';
    END IF;

    UPDATE experiments.recordings
       SET status = 'done', duration_ms = in_duration_ms, completed_at = now()
     WHERE id = in_recording_id;
    INSERT INTO experiments.segments (recording_id, idx, start_ms, end_ms, text)
    SELECT in_recording_id, s.idx, s.start_ms, s.end_ms, s.text
      FROM jsonb_to_recordset(in_segments) AS s (idx int, start_ms int, end_ms int, text text);
    UPDATE experiments.user_subscriptions
       SET used_seconds = LEAST(used_seconds::bigint + (in_duration_ms::bigint + 999) / 1000,
                                2147483647)::int
     WHERE user_id = uid;
END $$;
