--------------------------------------------------------------------------
-- Quota domain (seed 002): a speech-to-text service's accounts.  Users with
-- a profile and one subscription to a plan; a monthly cycle with a recording
-- count and used seconds; recordings with segments.  Shard key: the user id.
--
-- Cycles are calendar months in UTC, whatever the session's TimeZone.
-- Routines are C over SPI (src/quota/); see docs/reference/quota.md.
--------------------------------------------------------------------------

CREATE TABLE experiments.users (
    id            uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    email         text        NOT NULL,
    user_name     text        NOT NULL,
    password_hash text        NOT NULL,
    verified      boolean     NOT NULL DEFAULT false,
    role          text        NOT NULL DEFAULT 'user',
    status        text        NOT NULL DEFAULT 'active',
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_user_name_key UNIQUE (user_name)
);
COMMENT ON TABLE experiments.users IS
    'quota: accounts; email stored lower-cased (sp_register_user)';

CREATE TABLE experiments.user_profiles (
    user_id    uuid PRIMARY KEY REFERENCES experiments.users (id) ON DELETE CASCADE,
    name       text,
    avatar_url text
);
COMMENT ON TABLE experiments.user_profiles IS 'quota: one profile per user';

CREATE TABLE experiments.plans (
    id                  uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    code                text        NOT NULL UNIQUE,
    name                text        NOT NULL,
    description         text,
    plan_type           text        NOT NULL DEFAULT 'free',
    plan_cost           integer     NOT NULL DEFAULT 0 CHECK (plan_cost >= 0),
    plan_discount       integer     NOT NULL DEFAULT 0
        CHECK (plan_discount BETWEEN 0 AND 100),
    -- at most 35 791 394 minutes, so that minutes * 60 fits an integer
    monthly_minutes     integer     NOT NULL CHECK (monthly_minutes BETWEEN 1 AND 35791394),
    monthly_usage_limit integer     NOT NULL CHECK (monthly_usage_limit >= 1),
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE experiments.plans IS
    'quota: subscription plans; the four seeded ones have fixed ids (see upsert_plan)';

-- The seeded plans.  Fixed ids so that pg_dump can leave them out (the
-- install script makes them again) and dump only the plans added later.
INSERT INTO experiments.plans
    (id, code, name, description, plan_type, plan_cost, plan_discount,
     monthly_minutes, monthly_usage_limit)
VALUES
    ('00000000-0000-4000-8000-000000000001', 'FREE', 'Free',
     'Try it out: 30 minutes and 10 recordings a month', 'free', 0, 0, 30, 10),
    ('00000000-0000-4000-8000-000000000002', 'BASIC', 'Basic',
     '300 minutes and 100 recordings a month', 'paid', 5, 0, 300, 100),
    ('00000000-0000-4000-8000-000000000003', 'PREMIUM', 'Premium',
     '1 500 minutes and 500 recordings a month', 'paid', 15, 0, 1500, 500),
    ('00000000-0000-4000-8000-000000000004', 'ENTERPRISE', 'Enterprise',
     '10 000 minutes and 5 000 recordings a month', 'paid', 50, 0, 10000, 5000);

CREATE TABLE experiments.user_subscriptions (
    id           uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    user_id      uuid        NOT NULL UNIQUE
        REFERENCES experiments.users (id) ON DELETE CASCADE,
    plan_id      uuid        NOT NULL REFERENCES experiments.plans (id),
    cycle_start  timestamptz NOT NULL
        DEFAULT pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC'),
    cycle_end    timestamptz NOT NULL
        DEFAULT ((pg_catalog.date_trunc('month', pg_catalog.now() AT TIME ZONE 'UTC')
                  OPERATOR(pg_catalog.+) interval '1 month') AT TIME ZONE 'UTC'),
    usage_count  integer     NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    used_seconds integer     NOT NULL DEFAULT 0 CHECK (used_seconds >= 0),
    CHECK (cycle_end > cycle_start)
)
-- Every recording updates its user's row; free space on each page lets
-- those updates stay heap-only (no new entry in the four indexes).
WITH (fillfactor = 70);
CREATE INDEX user_subscriptions_plan_id_idx ON experiments.user_subscriptions (plan_id);
CREATE INDEX user_subscriptions_cycle_end_idx ON experiments.user_subscriptions (cycle_end);
COMMENT ON TABLE experiments.user_subscriptions IS
    'quota: one subscription per user; the current cycle and its counters';

-- Recording ids are time-ordered (uuid_v7): new keys land at the right edge
-- of the primary key instead of on a random page each.
CREATE TABLE experiments.recordings (
    id           uuid        PRIMARY KEY DEFAULT experiments.uuid_v7(),
    user_id      uuid        NOT NULL REFERENCES experiments.users (id) ON DELETE CASCADE,
    source       text        NOT NULL CHECK (source IN ('realtime', 'upload')),
    language     text        NOT NULL DEFAULT 'vi',
    status       text        NOT NULL DEFAULT 'processing'
        CHECK (status IN ('processing', 'done', 'failed')),
    duration_ms  integer     NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    completed_at timestamptz,
    meta         jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX recordings_user_id_idx ON experiments.recordings (user_id, created_at);
CREATE INDEX recordings_cleanup_idx ON experiments.recordings (created_at)
    WHERE status = 'done';
COMMENT ON TABLE experiments.recordings IS
    'quota: recordings; counted in the cycle when created, seconds added when done';

-- Segments are never referred to by id, so the key is an identity: appended
-- at the end of its index, where a random uuid would cost a random index
-- page and a strong-random call per segment (half the time of a completion).
CREATE TABLE experiments.segments (
    id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recording_id uuid    NOT NULL REFERENCES experiments.recordings (id) ON DELETE CASCADE,
    idx          integer NOT NULL CHECK (idx >= 0),
    start_ms     integer NOT NULL CHECK (start_ms >= 0),
    end_ms       integer NOT NULL,
    text         text    NOT NULL,
    CONSTRAINT segments_recording_id_idx_key UNIQUE (recording_id, idx),
    CHECK (end_ms >= start_ms)
);
COMMENT ON TABLE experiments.segments IS 'quota: transcript segments of a recording';

-- pg_dump keeps the rows of these tables; of plans only those not seeded.
SELECT pg_catalog.pg_extension_config_dump('experiments.users', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.user_profiles', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.plans',
    $$WHERE id NOT IN ('00000000-0000-4000-8000-000000000001',
                       '00000000-0000-4000-8000-000000000002',
                       '00000000-0000-4000-8000-000000000003',
                       '00000000-0000-4000-8000-000000000004')$$);
SELECT pg_catalog.pg_extension_config_dump('experiments.user_subscriptions', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.recordings', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.segments', '');
-- the identity's position too, or a restored database would hand out used ids
SELECT pg_catalog.pg_extension_config_dump('experiments.segments_id_seq', '');

--------------------------------------------------------------------------
-- Routines
--------------------------------------------------------------------------

CREATE FUNCTION experiments.upsert_plan(
    in_code                text,
    in_name                text,
    in_monthly_minutes     integer,
    in_monthly_usage_limit integer,
    in_description         text    DEFAULT NULL,
    in_plan_type           text    DEFAULT 'free',
    in_plan_cost           integer DEFAULT 0,
    in_plan_discount       integer DEFAULT 0)
RETURNS uuid
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_upsert_plan';
COMMENT ON FUNCTION experiments.upsert_plan(text, text, integer, integer, text, text, integer, integer) IS
    'quota administration: add a plan or change the plan with this code; returns its id';

CREATE PROCEDURE experiments.sp_register_user(
    in_email             text,
    in_user_name         text,
    in_hashed_pass       text,
    in_name              text,
    in_default_plan_code text)
LANGUAGE C
AS 'MODULE_PATHNAME', 'experiments_sp_register_user';
COMMENT ON PROCEDURE experiments.sp_register_user(text, text, text, text, text) IS
    'quota: create a user, its profile and its subscription to a plan, in one transaction';

CREATE FUNCTION experiments.sp_check_quota_and_create_recording(
    in_user_id  uuid,
    in_source   text,
    in_language text  DEFAULT 'vi',
    in_meta     jsonb DEFAULT '{}')
RETURNS TABLE (recording_id uuid, quota_ok boolean, error_message text)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_sp_check_quota_and_create_recording';
COMMENT ON FUNCTION experiments.sp_check_quota_and_create_recording(uuid, text, text, jsonb) IS
    'quota: check the cycle''s limits and create a recording, race-free; refusals are rows';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.upsert_plan(text, text, integer, integer, text, text, integer, integer)',
     'admin', true),
    ('experiments.sp_register_user(text, text, text, text, text)',          'quota', true),
    ('experiments.sp_check_quota_and_create_recording(uuid, text, text, jsonb)',
     'quota', true);

CREATE PROCEDURE experiments.sp_complete_recording(
    in_recording_id uuid,
    in_duration_ms  integer,
    in_segments     jsonb)
LANGUAGE C
AS 'MODULE_PATHNAME', 'experiments_sp_complete_recording';
COMMENT ON PROCEDURE experiments.sp_complete_recording(uuid, integer, jsonb) IS
    'quota: mark a recording done, store its segments, charge its seconds (rounded up) to the cycle';

CREATE PROCEDURE experiments.sp_reset_monthly_cycles()
LANGUAGE C
AS 'MODULE_PATHNAME', 'experiments_sp_reset_monthly_cycles';
COMMENT ON PROCEDURE experiments.sp_reset_monthly_cycles() IS
    'quota: move every ended cycle to the current UTC month with zeroed counters; idempotent';

CREATE FUNCTION experiments.sp_get_user_stats(in_user_id uuid)
RETURNS TABLE (total_recordings       bigint,
               total_duration_minutes numeric,
               total_segments         bigint,
               current_cycle_usage    integer,
               current_cycle_seconds  integer,
               quota_usage_percent    numeric,
               quota_minutes_percent  numeric)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_sp_get_user_stats';
COMMENT ON FUNCTION experiments.sp_get_user_stats(uuid) IS
    'quota: a user''s totals and current cycle, from one snapshot';

-- Not in the seed: how an application role, which cannot read the tables,
-- learns the id of a user it registered.
CREATE FUNCTION experiments.sp_find_user(in_login text)
RETURNS TABLE (user_id     uuid,
               email       text,
               user_name   text,
               status      text,
               plan_code   text,
               cycle_start timestamptz,
               cycle_end   timestamptz)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_sp_find_user';
COMMENT ON FUNCTION experiments.sp_find_user(text) IS
    'quota: a user''s id, account and current plan by email (any case) or user name';

-- No DEFAULT on in_prorate: a procedure's OUT parameters may not follow
-- one (the seed's version does not compile); the seed's guide always
-- passes it anyway: CALL experiments.sp_change_user_plan(uid, code, prorate, NULL, NULL).
CREATE PROCEDURE experiments.sp_change_user_plan(
    in_user_id       uuid,
    in_new_plan_code text,
    in_prorate       boolean,
    OUT success      boolean,
    OUT message      text)
LANGUAGE C
AS 'MODULE_PATHNAME', 'experiments_sp_change_user_plan';
COMMENT ON PROCEDURE experiments.sp_change_user_plan(uuid, text, boolean) IS
    'quota: move a user to another plan; prorate zeroes the cycle''s counters';

CREATE FUNCTION experiments.sp_cleanup_old_recordings(
    in_retention_days integer DEFAULT 90,
    in_batch_size     integer DEFAULT 1000)
RETURNS TABLE (deleted_recordings integer, deleted_segments integer)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_sp_cleanup_old_recordings';
COMMENT ON FUNCTION experiments.sp_cleanup_old_recordings(integer, integer) IS
    'quota retention: delete up to a batch of done recordings older than the retention, with their segments';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.sp_complete_recording(uuid, integer, jsonb)',        'quota', true),
    ('experiments.sp_reset_monthly_cycles()',                           'quota', true),
    ('experiments.sp_get_user_stats(uuid)',                             'quota', false),
    ('experiments.sp_find_user(text)',                                  'quota', false),
    ('experiments.sp_change_user_plan(uuid, text, boolean)',            'quota', true),
    ('experiments.sp_cleanup_old_recordings(integer, integer)',         'quota', true);
