--------------------------------------------------------------------------
-- Experiments domain (seeds 000 and 003): A/B tests with weighted variants,
-- sticky deterministic assignment, events with a transactional outbox, and
-- the landing-page app's leads queue.  Shard key: the experiment id.
--
-- One self-consistent schema for the seed's procedures (spec/experiments.md):
-- lower-case text statuses with CHECKs instead of the ORM's upper-case enum,
-- text instead of varchar(255), and the columns the seed's SQL assumed but
-- its tables lacked (events.assignment_id, value, created_at).
--
-- Routines are C over SPI (src/experiments/); see docs/reference/experiments.md.
--------------------------------------------------------------------------

CREATE TABLE experiments.experiments (
    id                 bigserial   PRIMARY KEY,
    key                text        NOT NULL,
    name               text        NOT NULL,
    description        text,
    status             text        NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'active', 'paused', 'completed', 'archived')),
    -- The bucketing seed.  create_experiment() sets it to the key unless the
    -- config names another ("seed"); a column DEFAULT cannot read another column.
    seed               text        NOT NULL,
    version            integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- Keys read by the routines: "bucketing" ('mmh3' default, or 'growthbook').
    config             jsonb       NOT NULL DEFAULT '{}'
        CHECK (pg_catalog.jsonb_typeof(config) = 'object'),
    traffic_allocation numeric     NOT NULL DEFAULT 1
        CHECK (traffic_allocation > 0 AND traffic_allocation <= 1),
    starts_at          timestamptz,
    ends_at            timestamptz,
    created_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT experiments_key_key UNIQUE (key),
    CONSTRAINT experiments_window_check
        CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
-- list_active_experiments(): active ones, newest first.
CREATE INDEX experiments_active_idx ON experiments.experiments (created_at DESC, id DESC)
    WHERE status = 'active';
COMMENT ON TABLE experiments.experiments IS
    'experiments: A/B test definitions; version bumps on every status change';

CREATE TABLE experiments.variants (
    id                bigserial   PRIMARY KEY,
    experiment_id     bigint      NOT NULL
        REFERENCES experiments.experiments (id) ON DELETE CASCADE,
    key               text        NOT NULL,
    name              text        NOT NULL,
    description       text,
    allocation_pct    integer     NOT NULL DEFAULT 0
        CHECK (allocation_pct BETWEEN 0 AND 100),
    is_control        boolean     NOT NULL DEFAULT false,
    config            jsonb       NOT NULL DEFAULT '{}',
    -- Folded counters: the totals as of the last fold_variant_counters() call.
    -- The live totals are these plus the unfolded deltas in variant_counters;
    -- read them through the view experiments.variant_totals.
    total_allocations bigint      NOT NULL DEFAULT 0 CHECK (total_allocations >= 0),
    total_conversions bigint      NOT NULL DEFAULT 0 CHECK (total_conversions >= 0),
    conversion_rate   numeric     NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT variants_experiment_id_key_key UNIQUE (experiment_id, key)
);
-- At most one control per experiment.
CREATE UNIQUE INDEX variants_one_control_idx ON experiments.variants (experiment_id)
    WHERE is_control;
COMMENT ON TABLE experiments.variants IS
    'experiments: weighted variants of an experiment; bucketing orders them by id';

-- Per-variant counters, striped: a first assignment (or first conversion) adds
-- one to the stripe of its backend (slot = backend id mod 16), so concurrent
-- first assignments of one variant do not queue on one row.  A variant has at
-- most 16 stripes: reading its totals stays O(variants) with no join to the
-- assignments.
CREATE TABLE experiments.variant_counters (
    variant_id  bigint   NOT NULL REFERENCES experiments.variants (id) ON DELETE CASCADE,
    slot        smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    allocations bigint   NOT NULL DEFAULT 0,
    conversions bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (variant_id, slot)
);
COMMENT ON TABLE experiments.variant_counters IS
    'experiments: unfolded per-variant counter deltas, one stripe per backend slot';

-- The live per-variant totals (folded + unfolded).  conversion_rate is a
-- fraction in 0..1 as the seed's increment_conversion computed it:
-- conversions / greatest(allocations, 1), rounded to 6 places.
CREATE VIEW experiments.variant_totals AS
SELECT v.id                                        AS variant_id,
       v.experiment_id,
       v.key                                       AS variant_key,
       v.total_allocations OPERATOR(pg_catalog.+) COALESCE(c.allocations, 0) AS total_allocations,
       v.total_conversions OPERATOR(pg_catalog.+) COALESCE(c.conversions, 0) AS total_conversions,
       pg_catalog.round(
           (v.total_conversions OPERATOR(pg_catalog.+) COALESCE(c.conversions, 0))::numeric
           OPERATOR(pg_catalog./)
           pg_catalog.numeric_larger(
               (v.total_allocations OPERATOR(pg_catalog.+) COALESCE(c.allocations, 0))::numeric,
               1::numeric),
           6)                                      AS conversion_rate
FROM experiments.variants v
LEFT JOIN LATERAL (
    SELECT pg_catalog.sum(vc.allocations) AS allocations,
           pg_catalog.sum(vc.conversions) AS conversions
    FROM experiments.variant_counters vc
    WHERE vc.variant_id OPERATOR(pg_catalog.=) v.id
) c ON true;
COMMENT ON VIEW experiments.variant_totals IS
    'experiments: live per-variant allocation and conversion totals (folded + striped deltas)';

CREATE TABLE experiments.assignments (
    id               bigserial   PRIMARY KEY,
    experiment_id    bigint      NOT NULL
        REFERENCES experiments.experiments (id) ON DELETE CASCADE,
    user_id          text        NOT NULL,
    variant_id       bigint      NOT NULL
        REFERENCES experiments.variants (id) ON DELETE CASCADE,
    -- The experiment's version when the user was assigned.
    version          integer     NOT NULL,
    -- 'hash' (bucketed) or 'override' (p_variant_key given by the caller).
    source           text        NOT NULL DEFAULT 'hash',
    context          jsonb       NOT NULL DEFAULT '{}',
    assigned_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    enrolled_at      timestamptz,
    converted_at     timestamptz,
    conversion_value numeric,
    -- record_conversion()'s p_metadata, merged (seed 003's assignments.metadata).
    metadata         jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT assignments_experiment_id_user_id_key UNIQUE (experiment_id, user_id)
);
CREATE INDEX assignments_variant_id_idx ON experiments.assignments (variant_id);
CREATE INDEX assignments_assigned_at_brin ON experiments.assignments
    USING brin (assigned_at);
-- Unconverted assignments of an experiment (seed 003's partial index).
CREATE INDEX assignments_unconverted_idx ON experiments.assignments
    (experiment_id, assigned_at) WHERE converted_at IS NULL;
COMMENT ON TABLE experiments.assignments IS
    'experiments: one sticky variant per (experiment, user); conversions are converted_at';

-- No foreign keys on events: it is the largest table and the hottest insert,
-- and the routines only ever write events for an existing assignment.
-- Partitioned by UTC day of created_at (events_pYYYYMMDD, created ahead in
-- bulk by ensure_event_partitions and cleanup_old_events, never per insert)
-- plus events_default, which takes the rows of any day without a partition,
-- so that no insert fails.  Retention drops whole days (cleanup_old_events).
-- The key is (id, created_at) (a partitioned table's keys contain the
-- partition key), declared on every partition and not on the parent, and so
-- are the indexes: the parent is a member of the extension, and pg_dump
-- would dump the indexes of the partitions created later a second time
-- (their restore would fail with "multiple primary keys").  The partitions
-- are disjoint in created_at, so a key per partition is a key of the table.
CREATE TABLE experiments.events (
    id            bigserial   NOT NULL,
    experiment_id bigint      NOT NULL,
    user_id       text        NOT NULL,
    assignment_id bigint,
    variant_id    bigint,
    event_type    text        NOT NULL,
    properties    jsonb       NOT NULL DEFAULT '{}',
    value         numeric,
    session_id    text,
    request_id    text,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
) PARTITION BY RANGE (created_at);
-- The model of every daily partition: ensure_event_partitions creates them
-- LIKE events_default INCLUDING INDEXES.
CREATE TABLE experiments.events_default PARTITION OF experiments.events (
    CONSTRAINT events_default_pkey PRIMARY KEY (id, created_at)
) DEFAULT;
-- Analytics: an experiment's events, by type and time (metrics, funnels, daily).
CREATE INDEX events_default_experiment_type_time_idx ON experiments.events_default
    (experiment_id, event_type, created_at);
-- Retention (cleanup_old_events) and time windows over all experiments.
CREATE INDEX events_default_created_at_brin ON experiments.events_default
    USING brin (created_at);
COMMENT ON TABLE experiments.events IS
    'experiments: events of assigned users; each one also writes an outbox row';

CREATE TABLE experiments.outbox_events (
    id             bigserial   PRIMARY KEY,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    event_type     text        NOT NULL,
    payload        jsonb       NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    processed_at   timestamptz,
    -- A relay's lease (claim_outbox_events); an expired lease is claimable again.
    claimed_until  timestamptz
);
-- The relay's queue: unprocessed rows in id order.
CREATE INDEX outbox_events_pending_idx ON experiments.outbox_events (id)
    WHERE processed_at IS NULL;
-- Retention of processed rows.
CREATE INDEX outbox_events_processed_at_idx ON experiments.outbox_events (processed_at)
    WHERE processed_at IS NOT NULL;
COMMENT ON TABLE experiments.outbox_events IS
    'experiments: transactional outbox; relays claim with a lease and acknowledge';

CREATE TABLE experiments.leads (
    id           bigserial   PRIMARY KEY,
    -- Stored lower-cased (capture_lead).
    email        text        NOT NULL,
    source       text        NOT NULL DEFAULT 'simulator',
    variant      text,
    status       text        NOT NULL DEFAULT 'waitlist'
        CHECK (status IN ('waitlist', 'invited', 'active', 'churned', 'unsubscribed')),
    attributes   jsonb       NOT NULL DEFAULT '{}',
    converted_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT leads_email_key UNIQUE (email)
);
CREATE INDEX leads_status_created_at_idx ON experiments.leads (status, created_at DESC);
COMMENT ON TABLE experiments.leads IS
    'experiments: the landing page''s leads queue (seed 003)';

-- pg_dump keeps the rows of these tables.
SELECT pg_catalog.pg_extension_config_dump('experiments.experiments', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.experiments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.variants', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.variants_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.variant_counters', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.assignments', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.assignments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.events', '');
-- The daily partitions are created after install, so they are not members of
-- the extension and pg_dump dumps them (table, ATTACH, rows) like any table;
-- the default partition is a member and must be registered for its rows.
SELECT pg_catalog.pg_extension_config_dump('experiments.events_default', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.outbox_events', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.outbox_events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.leads', '');
SELECT pg_catalog.pg_extension_config_dump('experiments.leads_id_seq', '');

-- Realtime: any logical-replication consumer (Supabase realtime, wal2json)
-- can follow assignments, variants and their counters, and the outbox.
-- PostgreSQL 15 cannot make a publication an extension member, so a C
-- helper creates it (or re-targets one left by an earlier DROP EXTENSION);
-- the helper is dropped again at once.
CREATE FUNCTION experiments.install_realtime_publication()
RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'experiments_install_realtime_publication';
SELECT experiments.install_realtime_publication();
DROP FUNCTION experiments.install_realtime_publication();
