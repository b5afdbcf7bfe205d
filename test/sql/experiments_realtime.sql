-- Experiments: the experiments_realtime publication, read for real through
-- logical replication slots: wal2json (Debian's postgresql-15-wal2json)
-- restricted to the publication's tables, and pgoutput filtering by the
-- publication itself.  Needs wal_level = logical (scripts/test sets it).
\set VERBOSITY default
-- experiment ids in messages are this file's own: start its sequence at 6000
SELECT setval('experiments.experiments_id_seq', 6000) AS seq_base \gset

SELECT tablename FROM pg_publication_tables
 WHERE pubname = 'experiments_realtime' ORDER BY tablename;

SELECT experiment_id AS exp FROM experiments.create_experiment('rt-exp', 'Realtime',
    p_status => 'active', p_variants => '[{"key": "solo", "allocation_pct": 100}]') \gset
SELECT 'created' AS slot FROM pg_create_logical_replication_slot('experiments_rt_wal2json', 'wal2json');
SELECT 'created' AS slot FROM pg_create_logical_replication_slot('experiments_rt_pgoutput', 'pgoutput');

-- one committed call, one rolled back, and an event (events are not published)
SELECT variant_key, is_new FROM experiments.get_or_create_assignment(:exp, 'rt-user');
BEGIN;
SELECT variant_key, is_new FROM experiments.get_or_create_assignment(:exp, 'rt-rolled-back');
ROLLBACK;
SELECT variant_key FROM experiments.record_event(:exp, 'rt-user', 'click');

-- wal2json, format 2, only the publication's tables: the committed call's
-- assignment, counter stripe and outbox row, nothing of the rolled-back one
WITH changes AS (
    SELECT data::jsonb AS j
      FROM pg_logical_slot_get_changes('experiments_rt_wal2json', NULL, NULL,
             'format-version', '2', 'include-transaction', 'false',
             'add-tables', (SELECT string_agg(schemaname || '.' || tablename, ',')
                              FROM pg_publication_tables WHERE pubname = 'experiments_realtime')))
SELECT j->>'action' AS action, j->>'table' AS tbl,
       (SELECT c->>'value' FROM jsonb_array_elements(j->'columns') c WHERE c->>'name' = 'user_id') AS user_id,
       (SELECT c->>'value' FROM jsonb_array_elements(j->'columns') c WHERE c->>'name' = 'event_type') AS event_type,
       (SELECT c->>'value' FROM jsonb_array_elements(j->'columns') c WHERE c->>'name' = 'allocations') AS allocations
  FROM changes
 WHERE j->>'schema' = 'experiments'
 ORDER BY tbl, event_type;

-- pgoutput with publication_names: the insert messages it sends name the
-- published tables and carry the committed user's id; events are filtered out
WITH msgs AS (
    SELECT data FROM pg_logical_slot_get_binary_changes('experiments_rt_pgoutput', NULL, NULL,
             'proto_version', '1', 'publication_names', 'experiments_realtime'))
SELECT count(*) FILTER (WHERE get_byte(data, 0) = ascii('R')
                          AND position('\x0061737369676e6d656e747300'::bytea IN data) > 0) AS assignments_relation,
       count(*) FILTER (WHERE get_byte(data, 0) = ascii('R')
                          AND position(convert_to('outbox_events', 'UTF8') IN data) > 0) AS outbox_relation,
       count(*) FILTER (WHERE get_byte(data, 0) = ascii('R')
                          AND position('\x006576656e747300'::bytea IN data) > 0) AS events_relation,
       count(*) FILTER (WHERE get_byte(data, 0) = ascii('I')
                          AND position(convert_to('rt-user', 'UTF8') IN data) > 0) AS inserts_naming_user,
       count(*) FILTER (WHERE position(convert_to('rt-rolled-back', 'UTF8') IN data) > 0) AS rolled_back
  FROM msgs;

SELECT pg_drop_replication_slot('experiments_rt_wal2json');
SELECT pg_drop_replication_slot('experiments_rt_pgoutput');
