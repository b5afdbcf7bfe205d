--------------------------------------------------------------------------
-- Experiments domain, part 1: routines (C over SPI, src/experiments/).
-- Definitions and assignment, events, conversions, the outbox relay and the
-- leads queue; signatures, result columns and messages of seed 000 (and of
-- seed 003 for conversions and leads).  See docs/reference/experiments.md.
--------------------------------------------------------------------------

-- Pure hashing functions.  STRICT like the built-in hash functions: NULL in,
-- NULL out, so they can run over columns that hold NULLs.
CREATE FUNCTION experiments.murmur3_32(p_key text, p_seed bigint DEFAULT 0)
RETURNS bigint
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'experiments_murmur3_32';
COMMENT ON FUNCTION experiments.murmur3_32(text, bigint) IS
    'experiments: MurmurHash3 x86_32 of the UTF-8 bytes, unsigned (Python mmh3.hash(key, seed, signed=False))';

CREATE FUNCTION experiments.hash(p_seed text, p_value text, p_version integer DEFAULT 2)
RETURNS double precision
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'experiments_hash';
COMMENT ON FUNCTION experiments.hash(text, text, integer) IS
    'experiments: GrowthBook''s hash(seed, value, version) in [0, 1); NULL for a version other than 1 or 2';

CREATE FUNCTION experiments.create_experiment(
    p_key         text,
    p_name        text,
    p_description text        DEFAULT NULL,
    p_status      text        DEFAULT 'draft',
    p_starts_at   timestamptz DEFAULT NULL,
    p_ends_at     timestamptz DEFAULT NULL,
    p_config      jsonb       DEFAULT '{}',
    p_variants    jsonb       DEFAULT '[]')
RETURNS TABLE (experiment_id      bigint,
               experiment_key     text,
               experiment_name    text,
               experiment_status  text,
               experiment_version integer,
               created_at         timestamptz)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_create_experiment';
COMMENT ON FUNCTION experiments.create_experiment(text, text, text, text, timestamptz, timestamptz, jsonb, jsonb) IS
    'experiments: create an experiment with its variants (allocations sum to 100)';

CREATE FUNCTION experiments.get_experiment_with_variants(p_experiment_id bigint)
RETURNS TABLE (experiment_id      bigint,
               experiment_key     text,
               experiment_name    text,
               experiment_status  text,
               experiment_version integer,
               starts_at          timestamptz,
               ends_at            timestamptz,
               variants           jsonb)
LANGUAGE C STABLE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_get_experiment_with_variants';
COMMENT ON FUNCTION experiments.get_experiment_with_variants(bigint) IS
    'experiments: an experiment and its variants (ordered by id); no row when unknown';

CREATE FUNCTION experiments.list_active_experiments(
    p_limit  integer DEFAULT 100,
    p_offset integer DEFAULT 0)
RETURNS TABLE (experiment_id      bigint,
               experiment_key     text,
               experiment_name    text,
               experiment_status  text,
               experiment_version integer,
               starts_at          timestamptz,
               ends_at            timestamptz,
               variant_count      bigint)
LANGUAGE C STABLE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_list_active_experiments';
COMMENT ON FUNCTION experiments.list_active_experiments(integer, integer) IS
    'experiments: active experiments inside their start/end window, newest first';

CREATE FUNCTION experiments.activate_experiment(p_experiment_id bigint)
RETURNS TABLE (success boolean, message text, new_version integer)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_activate_experiment';
COMMENT ON FUNCTION experiments.activate_experiment(bigint) IS
    'experiments: make an experiment active (bumps its version, sets starts_at if unset)';

CREATE FUNCTION experiments.pause_experiment(p_experiment_id bigint)
RETURNS TABLE (success boolean, message text, new_version integer)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_pause_experiment';
COMMENT ON FUNCTION experiments.pause_experiment(bigint) IS
    'experiments: pause an active experiment; waits for assignments being made';

CREATE FUNCTION experiments.complete_experiment(p_experiment_id bigint)
RETURNS TABLE (success boolean, message text, new_version integer)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_complete_experiment';
COMMENT ON FUNCTION experiments.complete_experiment(bigint) IS
    'experiments: complete an experiment (ends_at = now() when it was open-ended or later)';

CREATE FUNCTION experiments.get_or_create_assignment(
    p_experiment_id bigint,
    p_user_id       text,
    p_variant_key   text    DEFAULT NULL,
    p_enroll        boolean DEFAULT false)
RETURNS TABLE (assignment_id bigint,
               experiment_id bigint,
               user_id       text,
               variant_id    bigint,
               variant_key   text,
               variant_name  text,
               enrolled_at   timestamptz,
               created_at    timestamptz,
               is_new        boolean)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_get_or_create_assignment';
COMMENT ON FUNCTION experiments.get_or_create_assignment(bigint, text, text, boolean) IS
    'experiments: the user''s sticky variant; a first one is bucketed deterministically (no row outside the traffic allocation)';

CREATE FUNCTION experiments.get_bulk_assignments(
    p_user_id        text,
    p_experiment_ids bigint[],
    p_create         boolean DEFAULT false)
RETURNS TABLE (experiment_id bigint,
               user_id       text,
               variant_id    bigint,
               variant_key   text,
               variant_name  text,
               enrolled_at   timestamptz,
               created_at    timestamptz,
               is_new        boolean)
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_get_bulk_assignments';
COMMENT ON FUNCTION experiments.get_bulk_assignments(text, bigint[], boolean) IS
    'experiments: a user''s assignments in many experiments in one call; p_create makes the missing ones';

CREATE FUNCTION experiments.record_event(
    p_experiment_id bigint,
    p_user_id       text,
    p_event_type    text,
    p_properties    jsonb   DEFAULT '{}',
    p_value         numeric DEFAULT NULL)
RETURNS TABLE (event_id      bigint,
               assignment_id bigint,
               variant_key   text,
               created_at    timestamptz)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_record_event';
COMMENT ON FUNCTION experiments.record_event(bigint, text, text, jsonb, numeric) IS
    'experiments: record an event of an assigned user, with its outbox row';

CREATE FUNCTION experiments.record_batch_events(p_events jsonb)
RETURNS TABLE (success_count integer, error_count integer, errors jsonb)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_record_batch_events';
COMMENT ON FUNCTION experiments.record_batch_events(jsonb) IS
    'experiments: record many events set-based; bad elements are reported, the others land with their outbox rows';

CREATE FUNCTION experiments.record_conversion(
    p_experiment_id bigint,
    p_user_id       text,
    p_value         numeric DEFAULT 1,
    p_metadata      jsonb   DEFAULT '{}')
RETURNS TABLE (converted boolean, assignment_id bigint, variant_key text)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_record_conversion';
COMMENT ON FUNCTION experiments.record_conversion(bigint, text, numeric, jsonb) IS
    'experiments: the first conversion of an assignment counts; later ones return converted = false';

CREATE FUNCTION experiments.cleanup_old_events(p_days_to_keep integer DEFAULT 90)
RETURNS TABLE (deleted_events bigint, deleted_outbox bigint)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_cleanup_old_events';
COMMENT ON FUNCTION experiments.cleanup_old_events(integer) IS
    'experiments retention: whole UTC days of events older than the window (rows outside daily partitions by the exact cutoff), outbox rows processed over 7 days ago';

CREATE FUNCTION experiments.ensure_event_partitions(p_from date DEFAULT NULL,
                                                    p_to   date DEFAULT NULL)
RETURNS integer
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_ensure_event_partitions';
COMMENT ON FUNCTION experiments.ensure_event_partitions(date, date) IS
    'experiments retention: create the missing daily partitions of events (default: today to 7 days ahead, UTC)';

CREATE FUNCTION experiments.fold_variant_counters(p_experiment_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_fold_variant_counters';
COMMENT ON FUNCTION experiments.fold_variant_counters(bigint) IS
    'experiments maintenance: move the striped counter deltas into variants.total_* (NULL = every experiment)';

CREATE FUNCTION experiments.claim_outbox_events(
    p_limit         integer DEFAULT 100,
    p_lease_seconds integer DEFAULT 60)
RETURNS TABLE (id             bigint,
               aggregate_type text,
               aggregate_id   text,
               event_type     text,
               payload        jsonb,
               created_at     timestamptz)
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_claim_outbox_events';
COMMENT ON FUNCTION experiments.claim_outbox_events(integer, integer) IS
    'experiments outbox relay: lease the oldest unprocessed rows nobody holds (SKIP LOCKED)';

CREATE FUNCTION experiments.ack_outbox_events(p_ids bigint[])
RETURNS integer
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_ack_outbox_events';
COMMENT ON FUNCTION experiments.ack_outbox_events(bigint[]) IS
    'experiments outbox relay: mark rows processed; returns how many changed';

CREATE FUNCTION experiments.capture_lead(
    p_email      text,
    p_source     text  DEFAULT 'simulator',
    p_variant    text  DEFAULT NULL,
    p_attributes jsonb DEFAULT '{}')
RETURNS TABLE (lead_id bigint, is_new boolean)
LANGUAGE C VOLATILE CALLED ON NULL INPUT ROWS 1
AS 'MODULE_PATHNAME', 'experiments_capture_lead';
COMMENT ON FUNCTION experiments.capture_lead(text, text, text, jsonb) IS
    'experiments leads: capture a lead, idempotent by lower-cased email';

CREATE FUNCTION experiments.claim_leads(
    p_status text    DEFAULT 'waitlist',
    p_limit  integer DEFAULT 100)
RETURNS SETOF experiments.leads
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_claim_leads';
COMMENT ON FUNCTION experiments.claim_leads(text, integer) IS
    'experiments leads: lock the oldest leads of a status for this transaction (SKIP LOCKED)';

CREATE FUNCTION experiments.set_lead_status(p_lead_id bigint, p_status text)
RETURNS boolean
LANGUAGE C VOLATILE CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'experiments_set_lead_status';
COMMENT ON FUNCTION experiments.set_lead_status(bigint, text) IS
    'experiments leads: set a lead''s status; true when it changed';

INSERT INTO experiments.api_routines (routine, domain, writes) VALUES
    ('experiments.murmur3_32(text, bigint)',                                   'experiments', false),
    ('experiments.hash(text, text, integer)',                                  'experiments', false),
    ('experiments.create_experiment(text, text, text, text, timestamptz, timestamptz, jsonb, jsonb)',
     'experiments', true),
    ('experiments.get_experiment_with_variants(bigint)',                       'experiments', false),
    ('experiments.list_active_experiments(integer, integer)',                  'experiments', false),
    ('experiments.activate_experiment(bigint)',                                'experiments', true),
    ('experiments.pause_experiment(bigint)',                                   'experiments', true),
    ('experiments.complete_experiment(bigint)',                                'experiments', true),
    ('experiments.get_or_create_assignment(bigint, text, text, boolean)',      'experiments', true),
    ('experiments.get_bulk_assignments(text, bigint[], boolean)',              'experiments', true),
    ('experiments.record_event(bigint, text, text, jsonb, numeric)',           'experiments', true),
    ('experiments.record_batch_events(jsonb)',                                 'experiments', true),
    ('experiments.record_conversion(bigint, text, numeric, jsonb)',            'experiments', true),
    ('experiments.cleanup_old_events(integer)',                                'experiments', true),
    ('experiments.ensure_event_partitions(date, date)',                        'experiments', true),
    ('experiments.fold_variant_counters(bigint)',                              'experiments', true),
    ('experiments.claim_outbox_events(integer, integer)',                      'experiments', true),
    ('experiments.ack_outbox_events(bigint[])',                                'experiments', true),
    ('experiments.capture_lead(text, text, text, jsonb)',                      'experiments', true),
    ('experiments.claim_leads(text, integer)',                                 'experiments', true),
    ('experiments.set_lead_status(bigint, text)',                              'experiments', true);
