-- Orchestration domain: hubs.  initialize_schema copies the default hub
-- (the extension schema) into a schema of its own; the functions there use
-- that schema's tables only.  Names needing quotes, or trying injection,
-- are only ever quoted.
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT experiments.initialize_schema('hub_a');
SELECT experiments.initialize_schema('Hub B; DROP TABLE experiments.history; --');
SELECT experiments.initialize_schema('hub"c');
SELECT schema_name FROM experiments.orchestration_hubs ORDER BY 1;
-- the injection attempt made a schema of that exact name, nothing else
SELECT to_regclass('experiments.history') IS NOT NULL AS history_still_there;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hub%' OR nspname LIKE 'Hub%' ORDER BY 1;

-- every hub has the default hub's tables, columns, indexes and functions
CREATE FUNCTION pg_temp.shape(nsp text) RETURNS TABLE (what text)
LANGUAGE sql AS $$
  SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END
         || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
   WHERE c.relnamespace = nsp::regnamespace AND c.relkind = 'r'
     AND c.relname IN ('instances', 'executions', 'history', 'orchestrator_queue',
                       'worker_queue', 'instance_locks', 'sessions', 'kv_store', 'kv_delta')
  UNION ALL
  SELECT 'storage ' || c.relname || ' ' || array_to_string(c.reloptions, ', ')
    FROM pg_class c
   WHERE c.relnamespace = nsp::regnamespace AND c.reloptions IS NOT NULL
     AND c.relname IN ('instances', 'executions', 'history', 'orchestrator_queue',
                       'worker_queue', 'instance_locks', 'sessions', 'kv_store', 'kv_delta')
  UNION ALL
  SELECT 'index ' || i.relname || ' ' || regexp_replace(pg_get_indexdef(i.oid), ' ON .* USING ', ' USING ')
    FROM pg_class i JOIN pg_index x ON x.indexrelid = i.oid
    JOIN pg_class c ON c.oid = x.indrelid
   WHERE c.relnamespace = nsp::regnamespace
     AND c.relname IN ('instances', 'executions', 'history', 'orchestrator_queue',
                       'worker_queue', 'instance_locks', 'sessions', 'kv_store', 'kv_delta')
  UNION ALL
  SELECT 'function ' || p.proname || '(' || pg_get_function_arguments(p.oid) || ') '
         || pg_get_function_result(p.oid) || ' ' || p.provolatile::text || ' ' || p.prosrc
    FROM pg_proc p
   WHERE p.pronamespace = nsp::regnamespace
     AND p.proname IN (SELECT f.proname FROM experiments.api_routines r
                         JOIN pg_proc f ON f.oid = to_regprocedure(r.routine)
                        WHERE r.domain = 'orchestration')
     AND p.proname <> 'initialize_schema' $$;
SELECT count(*) AS default_hub_items FROM pg_temp.shape('experiments');
SELECT count(*) AS hub_functions FROM pg_proc WHERE pronamespace = 'hub_a'::regnamespace;
(SELECT * FROM pg_temp.shape('experiments') EXCEPT
 SELECT replace(what, 'hub_a.', 'experiments.') FROM pg_temp.shape('hub_a'))
UNION ALL
(SELECT replace(what, 'hub_a.', 'experiments.') FROM pg_temp.shape('hub_a') EXCEPT
 SELECT * FROM pg_temp.shape('experiments'));
SELECT count(*) AS hub_c_items FROM pg_temp.shape('hub"c');
-- hub routines find their hub by their own schema: none is registered as
-- an extension routine, and none is executable by PUBLIC
SELECT count(*) AS public_hub_routines FROM pg_proc p
 WHERE p.pronamespace IN ('hub_a'::regnamespace, '"hub""c"'::regnamespace)
   AND has_function_privilege('public', p.oid, 'EXECUTE');
SELECT count(*) AS hub_tables_granted FROM pg_class c
 WHERE c.relnamespace = 'hub_a'::regnamespace AND c.relacl IS NOT NULL;

--------------------------------------------------------------------------
-- side by side: identical instance ids never see each other
--------------------------------------------------------------------------
SELECT experiments.enqueue_orchestrator_work('same-id', '{"StartOrchestration": {"instance": "same-id", "orchestration": "InDefault", "input": "", "execution_id": 1}}', to_timestamp(1));
SELECT hub_a.enqueue_orchestrator_work('same-id', '{"StartOrchestration": {"instance": "same-id", "orchestration": "InA", "input": "", "execution_id": 1}}', to_timestamp(1));
SELECT "Hub B; DROP TABLE experiments.history; --".enqueue_orchestrator_work('same-id', '{"StartOrchestration": {"instance": "same-id", "orchestration": "InB", "input": "", "execution_id": 1}}', to_timestamp(1));
SELECT out_orchestration_name, out_lock_token AS tok_a
  FROM hub_a.fetch_orchestration_item(1000, 30000) \gset
SELECT :'out_orchestration_name' AS hub_a_fetched;
-- hub_a's lock does not lock the same id elsewhere
SELECT out_orchestration_name AS b_fetched, out_lock_token AS tok_b
  FROM "Hub B; DROP TABLE experiments.history; --".fetch_orchestration_item(1000, 30000) \gset
SELECT :'b_fetched' AS hub_b_fetched;
SELECT out_orchestration_name AS default_fetched, out_lock_token AS tok_d
  FROM experiments.fetch_orchestration_item(1000, 30000) \gset
SELECT :'default_fetched' AS default_hub_fetched;
-- a token is only valid in its own hub
SELECT experiments.ack_orchestration_item(:'tok_a', 1100, 1, '[]', '[]', '[]', '{}');
SELECT "Hub B; DROP TABLE experiments.history; --".abandon_orchestration_item(:'tok_a', 1100);
SELECT hub_a.ack_orchestration_item(:'tok_a', 1100, 1,
    '[{"event_id": 1, "event_type": "Event", "event_data": "{\"type\": \"OrchestrationStarted\", \"name\": \"InA\"}"}]',
    '[{"ActivityExecute": {"instance": "same-id", "execution_id": 1, "id": 2, "name": "A", "input": ""}}]',
    '[]', '{"orchestration_name": "InA", "orchestration_version": "1", "status": "Completed", "output": "a"}');
SELECT "Hub B; DROP TABLE experiments.history; --".ack_orchestration_item(:'tok_b', 1100, 1, '[]', '[]', '[]',
    '{"orchestration_name": "InB", "orchestration_version": "1", "status": "Failed", "output": "b"}');
SELECT experiments.abandon_orchestration_item(:'tok_d', 1100);
SELECT 'default' AS hub, (SELECT count(*) FROM experiments.instances WHERE instance_id = 'same-id') AS instances,
       (SELECT count(*) FROM experiments.orchestrator_queue WHERE instance_id = 'same-id') AS queued,
       (SELECT count(*) FROM experiments.worker_queue WHERE instance_id = 'same-id') AS work
UNION ALL
SELECT 'hub_a', (SELECT count(*) FROM hub_a.instances), (SELECT count(*) FROM hub_a.orchestrator_queue),
       (SELECT count(*) FROM hub_a.worker_queue)
UNION ALL
SELECT 'hub_b', (SELECT count(*) FROM "Hub B; DROP TABLE experiments.history; --".instances),
       (SELECT count(*) FROM "Hub B; DROP TABLE experiments.history; --".orchestrator_queue),
       (SELECT count(*) FROM "Hub B; DROP TABLE experiments.history; --".worker_queue);
SELECT status, output FROM hub_a.executions;
SELECT status, output FROM "Hub B; DROP TABLE experiments.history; --".executions;
SELECT * FROM hub_a.fetch_history('same-id');
SELECT count(*) AS default_history FROM experiments.fetch_history('same-id');
-- the worker queue of a hub is its own
SELECT count(*) AS default_work FROM experiments.fetch_work_item(2000, 1000);
SELECT out_work_item::jsonb -> 'ActivityExecute' ->> 'name' AS hub_a_work
  FROM hub_a.fetch_work_item(2000, 1000);
DELETE FROM experiments.orchestrator_queue WHERE instance_id = 'same-id';

--------------------------------------------------------------------------
-- initialize again: idempotent; privileges follow grant_access
--------------------------------------------------------------------------
CREATE ROLE regress_orch_hub_user;
CREATE ROLE regress_orch_hub_none;
SELECT count(*) > 0 AS granted FROM experiments.grant_access('regress_orch_hub_user', ARRAY['orchestration']);
-- hub_a was made before the grant: initialize_schema again hands it over
SELECT has_function_privilege('regress_orch_hub_user', 'hub_a.fetch_history(text)', 'EXECUTE') AS before;
SELECT experiments.initialize_schema('hub_a');
SELECT has_function_privilege('regress_orch_hub_user', 'hub_a.fetch_history(text)', 'EXECUTE') AS after,
       has_function_privilege('regress_orch_hub_none', 'hub_a.fetch_history(text)', 'EXECUTE') AS other_role;
SELECT count(*) AS hub_a_functions FROM pg_proc WHERE pronamespace = 'hub_a'::regnamespace;
SET ROLE regress_orch_hub_user;
SELECT count(*) AS user_reads_hub FROM hub_a.fetch_history('same-id');
SELECT count(*) FROM hub_a.instances;
RESET ROLE;
SET ROLE regress_orch_hub_none;
SELECT count(*) FROM hub_a.fetch_history('same-id');
RESET ROLE;
-- revoked roles lose the hub on the next initialize_schema
SELECT count(*) > 0 AS revoked FROM experiments.revoke_access('regress_orch_hub_user', ARRAY['orchestration']);
SELECT experiments.initialize_schema('hub_a');
SELECT has_function_privilege('regress_orch_hub_user', 'hub_a.fetch_history(text)', 'EXECUTE') AS after_revoke;
-- a role with the orchestration grant may make a hub of its own
SELECT count(*) > 0 AS granted FROM experiments.grant_access('regress_orch_hub_user', ARRAY['orchestration']);
SET ROLE regress_orch_hub_user;
SELECT experiments.initialize_schema('hub_user');
SELECT hub_user.enqueue_worker_work('{"ActivityExecute": {}}', 1);
SELECT count(*) AS user_work FROM hub_user.fetch_work_item(1, 1000);
SELECT hub_user.cleanup_schema();
RESET ROLE;
SELECT to_regnamespace('hub_user') IS NULL AS hub_user_dropped;

--------------------------------------------------------------------------
-- refusals
--------------------------------------------------------------------------
SELECT experiments.initialize_schema('experiments');   -- the default hub: nothing to do
SELECT experiments.initialize_schema('public');
SELECT experiments.initialize_schema('pg_hub');
SELECT experiments.initialize_schema('');
SELECT experiments.initialize_schema(NULL);
SELECT experiments.initialize_schema(repeat('h', 64));
SELECT experiments.cleanup_schema();
SELECT to_regclass('experiments.instances') IS NOT NULL AS default_hub_kept;
-- an object of someone else in a hub stops its cleanup; nothing is dropped
CREATE VIEW "hub""c".extra AS SELECT instance_id FROM "hub""c".instances;
SELECT "hub""c".cleanup_schema();
SELECT count(*) AS hub_c_tables FROM pg_class WHERE relnamespace = '"hub""c"'::regnamespace AND relkind = 'r';
DROP VIEW "hub""c".extra;

--------------------------------------------------------------------------
-- cleanup_schema drops a hub: tables, functions, schema, registry row
--------------------------------------------------------------------------
SELECT hub_a.cleanup_schema();
SELECT "Hub B; DROP TABLE experiments.history; --".cleanup_schema();
SELECT "hub""c".cleanup_schema();
SELECT count(*) AS hubs_left FROM experiments.orchestration_hubs;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hub%' OR nspname LIKE 'Hub%';
SELECT to_regclass('experiments.history') IS NOT NULL AS history_still_there;
-- a hub of the same name can be made again, and works
SELECT experiments.initialize_schema('hub_a');
SELECT hub_a.enqueue_orchestrator_work('x', '{"QueueMessage": {"instance": "x", "name": "n", "data": ""}}', to_timestamp(0));
SELECT out_instance_id, out_orchestration_name FROM hub_a.fetch_orchestration_item(0, 1);
SELECT hub_a.cleanup_schema();

-- an ack appends its history and worker items to the hub's own tables
-- directly; a hub table with a trigger gets them by INSERT, trigger fired
CREATE SCHEMA hub_rows_t;
CREATE FUNCTION hub_rows_t.append_path() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_append_path';
CREATE FUNCTION hub_rows_t.turn(inst text, first_event bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE tok text;
BEGIN
  PERFORM hub_rows.enqueue_orchestrator_work(inst,
    jsonb_build_object('StartOrchestration', jsonb_build_object('instance', inst,
      'orchestration', 'O', 'version', '1', 'execution_id', 1))::text, to_timestamp(0));
  SELECT out_lock_token INTO tok FROM hub_rows.fetch_orchestration_item(1000, 60000);
  PERFORM hub_rows.ack_orchestration_item(tok, 1000, 1,
    jsonb_build_array(
      jsonb_build_object('event_id', first_event, 'event_type', 'Event',
        'event_data', jsonb_build_object('event_id', first_event, 'type', 'OrchestrationStarted')::text),
      jsonb_build_object('event_id', first_event + 1, 'event_type', 'Event',
        'event_data', jsonb_build_object('event_id', first_event + 1, 'type', 'ActivityScheduled')::text)),
    jsonb_build_array(
      jsonb_build_object('ActivityExecute', jsonb_build_object('instance', inst,
        'execution_id', 1, 'id', first_event + 1, 'name', 'A', 'input', '1',
        'session_id', 's-' || inst)),
      jsonb_build_object('ActivityExecute', jsonb_build_object('instance', inst,
        'execution_id', 1, 'id', first_event + 2, 'name', 'B', 'input', '2', 'tag', 'gpu'))),
    '[]', '{"orchestration_name": "O", "orchestration_version": "1", "status": "Running"}', '[]');
  RETURN hub_rows_t.append_path();
END $$;
SELECT experiments.initialize_schema('hub_rows');
SELECT hub_rows_t.turn('r1', 1) AS path;
SELECT instance_id, execution_id, event_id, event_type FROM hub_rows.history ORDER BY event_id;
SELECT instance_id, activity_id, session_id, tag, work_item::jsonb ? 'ActivityExecute' AS item
  FROM hub_rows.worker_queue ORDER BY id;
SELECT count(*) AS default_hub_rows FROM experiments.history WHERE instance_id = 'r1';
-- a duplicate event id: 23505, and nothing of that ack remains
SELECT hub_rows.enqueue_orchestrator_work('r1', '{"ExternalRaised": {"instance": "r1", "name": "e", "data": ""}}', to_timestamp(0));
SELECT out_lock_token AS tok FROM hub_rows.fetch_orchestration_item(2000, 60000) \gset
SELECT hub_rows.ack_orchestration_item(:'tok', 2000, 1,
  '[{"event_id": 2, "event_type": "Event", "event_data": "{\"event_id\": 2, \"type\": \"EventRaised\"}"}]',
  '[{"ActivityExecute": {"instance": "r1", "execution_id": 1, "id": 9, "name": "C", "input": ""}}]',
  '[]', '{"status": "Running"}', '[]');
SELECT count(*) AS history_rows, (SELECT count(*) FROM hub_rows.worker_queue) AS worker_rows,
       (SELECT count(*) FROM hub_rows.instance_locks) AS locks
  FROM hub_rows.history;
-- with triggers on the hub's tables: the INSERT path, triggers fired
CREATE TABLE hub_rows_t.seen (tbl text, n bigint);
CREATE FUNCTION hub_rows_t.note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO hub_rows_t.seen VALUES (TG_TABLE_NAME, (SELECT count(*) FROM new_rows));
  RETURN NULL;
END $$;
CREATE TRIGGER note AFTER INSERT ON hub_rows.history
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_rows_t.note();
CREATE TRIGGER note AFTER INSERT ON hub_rows.worker_queue
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_rows_t.note();
SELECT hub_rows_t.turn('r2', 1) AS path;
SELECT * FROM hub_rows_t.seen ORDER BY tbl;
SELECT instance_id, event_id, event_type FROM hub_rows.history WHERE instance_id = 'r2' ORDER BY event_id;
SELECT instance_id, activity_id, session_id, tag FROM hub_rows.worker_queue
 WHERE instance_id = 'r2' ORDER BY id;
-- the default hub is still written directly
SELECT experiments.enqueue_orchestrator_work('r3', '{"StartOrchestration": {"instance": "r3", "orchestration": "O", "version": "1", "execution_id": 1}}', to_timestamp(0));
SELECT out_lock_token AS tok FROM experiments.fetch_orchestration_item(1000, 60000) \gset
SELECT experiments.ack_orchestration_item(:'tok', 1000, 1,
  '[{"event_id": 1, "event_type": "Event", "event_data": "{\"event_id\": 1, \"type\": \"OrchestrationStarted\"}"}]',
  '[]', '[]', '{"orchestration_name": "O", "orchestration_version": "1", "status": "Running"}', '[]');
SELECT hub_rows_t.append_path() AS path;
-- a fetch claims and reads directly too; a trigger on the hub's queue, or a
-- policy forced on its KV table, sends that step back to SQL, same result
CREATE FUNCTION hub_rows_t.claim_path() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_claim_path';
CREATE FUNCTION hub_rows_t.fetch_one(inst text, now_ms bigint)
RETURNS TABLE (instance text, execution bigint, history int, messages int, kv jsonb,
               attempt int, path text)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM hub_rows.enqueue_orchestrator_work(inst,
    jsonb_build_object('ExternalRaised', jsonb_build_object('instance', inst, 'name', 'e',
                                                            'data', ''))::text, to_timestamp(0));
  RETURN QUERY
    SELECT f.out_instance_id, f.out_execution_id, jsonb_array_length(f.out_history),
           jsonb_array_length(f.out_messages), f.out_kv_snapshot, f.out_attempt_count,
           hub_rows_t.claim_path()
      FROM hub_rows.fetch_orchestration_item(now_ms, 60000) AS f;
END $$;
INSERT INTO hub_rows.kv_store (instance_id, key, value, execution_id, last_updated_at_ms)
VALUES ('r1', 'k', 'v', 1, 7);
SELECT * FROM hub_rows_t.fetch_one('r1', 100000);
SELECT count(hub_rows.abandon_orchestration_item(lock_token, 100000, NULL, false)) AS abandoned
  FROM hub_rows.instance_locks;
CREATE FUNCTION hub_rows_t.note_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO hub_rows_t.seen VALUES (TG_TABLE_NAME, 1);
  RETURN NEW;
END $$;
DELETE FROM hub_rows_t.seen;
CREATE TRIGGER note BEFORE UPDATE ON hub_rows.orchestrator_queue
  FOR EACH ROW EXECUTE FUNCTION hub_rows_t.note_row();
SELECT * FROM hub_rows_t.fetch_one('r1', 200000);
SELECT tbl, sum(n) AS updated_rows FROM hub_rows_t.seen GROUP BY tbl;
SELECT count(hub_rows.abandon_orchestration_item(lock_token, 200000, NULL, false)) AS abandoned
  FROM hub_rows.instance_locks;
DROP TRIGGER note ON hub_rows.orchestrator_queue;
ALTER TABLE hub_rows.kv_store ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON hub_rows.kv_store USING (true);
SELECT * FROM hub_rows_t.fetch_one('r1', 300000);
ALTER TABLE hub_rows.kv_store NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
SELECT count(hub_rows.abandon_orchestration_item(lock_token, 300000, NULL, false)) AS abandoned
  FROM hub_rows.instance_locks;
SELECT * FROM hub_rows_t.fetch_one('r1', 400000);
-- the version filter reads instances and executions: a policy there, SQL
ALTER TABLE hub_rows.executions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON hub_rows.executions USING (true);
SELECT out_instance_id, jsonb_array_length(out_messages) AS messages, hub_rows_t.claim_path() AS path
  FROM hub_rows.fetch_orchestration_item(500000, 60000, 0, 999999999);
-- an ack validates and releases its lock directly; a trigger on the hub's
-- lock table, or a policy forced on its queue, sends that to the statement:
-- the same rows, the trigger fired; a message that arrived during the lock
-- stays queued either way
SELECT experiments.initialize_schema('hub_ack');
CREATE FUNCTION hub_rows_t.ack_path() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_ack_path';
CREATE FUNCTION hub_rows_t.ack_one(inst text, now_ms bigint)
RETURNS TABLE (path text, history bigint, queued bigint, lock_rows bigint)
LANGUAGE plpgsql AS $$
DECLARE tok text;
BEGIN
  PERFORM hub_ack.enqueue_orchestrator_work(inst,
    jsonb_build_object('ExternalRaised', jsonb_build_object('instance', inst, 'name', 'e',
                                                            'data', m::text))::text, to_timestamp(0))
     FROM generate_series(1, 2) AS m;
  SELECT out_lock_token INTO tok FROM hub_ack.fetch_orchestration_item(now_ms, 60000);
  PERFORM hub_ack.enqueue_orchestrator_work(inst,
    jsonb_build_object('ExternalRaised', jsonb_build_object('instance', inst, 'name', 'late',
                                                            'data', ''))::text, to_timestamp(0));
  PERFORM hub_ack.ack_orchestration_item(tok, now_ms, 1,
    jsonb_build_array(jsonb_build_object('event_id', 1, 'event_type', 'Event',
      'event_data', jsonb_build_object('event_id', 1, 'type', 'OrchestrationStarted')::text)),
    '[]', '[]', '{"orchestration_name": "O", "orchestration_version": "1", "status": "Running"}', '[]');
  RETURN QUERY
    SELECT hub_rows_t.ack_path(),
           (SELECT count(*) FROM hub_ack.history WHERE instance_id = inst),
           (SELECT count(*) FROM hub_ack.orchestrator_queue WHERE instance_id = inst),
           (SELECT count(*) FROM hub_ack.instance_locks);
  DELETE FROM hub_ack.orchestrator_queue WHERE instance_id = inst;
END $$;
SELECT * FROM hub_rows_t.ack_one('a1', 1000);
DELETE FROM hub_rows_t.seen;
CREATE FUNCTION hub_rows_t.note_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO hub_rows_t.seen VALUES (TG_TABLE_NAME, 1);
  RETURN OLD;
END $$;
CREATE TRIGGER note BEFORE DELETE ON hub_ack.instance_locks
  FOR EACH ROW EXECUTE FUNCTION hub_rows_t.note_old();
SELECT * FROM hub_rows_t.ack_one('a2', 2000);
SELECT tbl, sum(n) AS deleted_rows FROM hub_rows_t.seen GROUP BY tbl;
DROP TRIGGER note ON hub_ack.instance_locks;
ALTER TABLE hub_ack.orchestrator_queue ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON hub_ack.orchestrator_queue USING (true);
SELECT * FROM hub_rows_t.ack_one('a3', 3000);
ALTER TABLE hub_ack.orchestrator_queue NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
SELECT * FROM hub_rows_t.ack_one('a4', 4000);
SELECT instance_id, execution_id, event_id FROM hub_ack.history ORDER BY instance_id;
-- the instance and execution rows are written directly too; a hub whose
-- instances and executions have triggers gets them from the statement: the
-- same rows after the same five turns (custom status set and cleared,
-- pinned version, parent kept, ContinueAsNew, an older execution acked)
SELECT experiments.initialize_schema('hub_ack_sql');
CREATE FUNCTION hub_rows_t.keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END $$;
CREATE TRIGGER keep BEFORE INSERT OR UPDATE ON hub_ack_sql.instances
  FOR EACH ROW EXECUTE FUNCTION hub_rows_t.keep();
CREATE TRIGGER keep BEFORE INSERT OR UPDATE ON hub_ack_sql.executions
  FOR EACH ROW EXECUTE FUNCTION hub_rows_t.keep();
CREATE FUNCTION hub_rows_t.meta_turns(hub text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  tok text;
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    (1, 1, '{"orchestration_name": "O", "orchestration_version": "1", "status": "Running", "parent_instance_id": "p", "custom_status_action": "set", "custom_status_value": "a", "pinned_duroxide_version": {"major": 1, "minor": 2, "patch": 3}}'),
    (2, 1, '{"status": "Running", "custom_status_action": "clear"}'),
    (3, 1, '{"orchestration_name": "O", "orchestration_version": "2", "parent_instance_id": "q", "status": "ContinuedAsNew", "output": "o1"}'),
    (4, 2, '{"orchestration_name": "O", "orchestration_version": "2", "status": "Completed", "output": "done", "custom_status_action": "set"}'),
    (5, 1, '{}')) AS v(n, execution, metadata)
  LOOP
    EXECUTE format('SELECT %I.enqueue_orchestrator_work(''m'', ''{"ExternalRaised": {"instance": "m", "name": "e", "data": ""}}'', to_timestamp(0))', hub);
    EXECUTE format('SELECT out_lock_token FROM %I.fetch_orchestration_item($1, 60000)', hub)
      INTO tok USING t.n * 1000::bigint;
    EXECUTE format('SELECT %I.ack_orchestration_item($1, $2, $3, ''[]'', ''[]'', ''[]'', $4::jsonb)', hub)
      USING tok, t.n * 1000::bigint, t.execution::bigint, t.metadata;
    RETURN NEXT hub_rows_t.ack_path();
  END LOOP;
END $$;
SELECT hub_rows_t.meta_turns('hub_ack') AS path;
SELECT hub_rows_t.meta_turns('hub_ack_sql') AS path;
SELECT * FROM hub_ack.instances WHERE instance_id = 'm';
SELECT * FROM hub_ack.executions WHERE instance_id = 'm' ORDER BY execution_id;
(SELECT * FROM hub_ack.instances WHERE instance_id = 'm' EXCEPT SELECT * FROM hub_ack_sql.instances)
UNION ALL
(SELECT * FROM hub_ack_sql.instances EXCEPT SELECT * FROM hub_ack.instances WHERE instance_id = 'm');
(SELECT * FROM hub_ack.executions WHERE instance_id = 'm' EXCEPT SELECT * FROM hub_ack_sql.executions)
UNION ALL
(SELECT * FROM hub_ack_sql.executions EXCEPT SELECT * FROM hub_ack.executions WHERE instance_id = 'm');
-- the worker turn: fetch (without owner) and ack run directly; the token
-- is a lock token, '.' and the item's id, by which ack, renew and abandon
-- find the item (no index holds lock_token, so the lock is a heap-only
-- update); the tag filter is the statement's; a token that does not end in
-- an id, or whose id has another token, is refused like a used one
SELECT experiments.initialize_schema('hub_work');
CREATE FUNCTION hub_rows_t.work_path() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_work_path';
CREATE FUNCTION hub_rows_t.work_fill() RETURNS void LANGUAGE sql AS $$
  TRUNCATE hub_work.worker_queue, hub_work.orchestrator_queue;
  SELECT hub_work.enqueue_worker_work(jsonb_build_object('ActivityExecute',
             jsonb_build_object('instance', 'w', 'execution_id', 1, 'id', n))::text,
         1000, 'w', 1, n, NULL, t)
    FROM (VALUES (1, 'gpu'), (2, NULL), (3, 'cpu'), (4, NULL)) AS v (n, t) $$;
CREATE FUNCTION hub_rows_t.work_take(mode text, tags text[])
RETURNS TABLE (activity bigint, token_ends_in_id boolean, attempt integer, path text)
LANGUAGE plpgsql AS $$
DECLARE
  f record;
BEGIN
  SELECT * INTO f FROM hub_work.fetch_work_item(2000, 30000, NULL, NULL, tags, mode);
  RETURN QUERY
  SELECT (f.out_work_item::jsonb -> 'ActivityExecute' ->> 'id')::bigint,
         (SELECT f.out_lock_token LIKE 'lock_%.' || w.id FROM hub_work.worker_queue w
           WHERE w.lock_token = f.out_lock_token),
         f.out_attempt_count, hub_rows_t.work_path();
END $$;
SELECT hub_rows_t.work_fill();
SELECT * FROM hub_rows_t.work_take('default_only', NULL);
SELECT * FROM hub_rows_t.work_take('tags', ARRAY['cpu', NULL]);
SELECT * FROM hub_rows_t.work_take('default_and', ARRAY['gpu']);
SELECT * FROM hub_rows_t.work_take('any', NULL);
SELECT * FROM hub_rows_t.work_take('any', NULL);
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables
 WHERE relid = 'hub_work.worker_queue'::regclass;
-- ack by the token: the item goes, the completion is queued, directly
SELECT hub_work.ack_worker(lock_token, 'w', '{"ActivityCompleted": {"id": 2}}', 3000),
       hub_rows_t.work_path() AS path
  FROM hub_work.worker_queue WHERE activity_id = 2;
SELECT activity_id FROM hub_work.worker_queue ORDER BY id;
SELECT instance_id, work_item FROM hub_work.orchestrator_queue;
-- refused tokens: no id, an id of another item, a forged token for an id,
-- an expired lock
SELECT hub_work.ack_worker('lock_x', NULL, NULL, 3000);
SELECT hub_work.ack_worker('lock_x.' || max(id), NULL, NULL, 3000) FROM hub_work.worker_queue;
SELECT hub_work.ack_worker('lock_x.99999999999999999999', NULL, NULL, 3000);
SELECT hub_work.renew_work_item_lock('lock_x', 3000, 10);
SELECT hub_work.abandon_work_item('lock_x.', 3000);
SELECT hub_work.ack_worker(lock_token, NULL, NULL, 40000)
  FROM hub_work.worker_queue WHERE activity_id = 4;
-- renew and abandon find the item by its id too
SELECT hub_work.renew_work_item_lock(lock_token, 3000, 100) FROM hub_work.worker_queue
 WHERE activity_id = 4;
SELECT hub_work.abandon_work_item(lock_token, 3000, 0, true) FROM hub_work.worker_queue
 WHERE activity_id = 3;
SELECT activity_id, lock_token IS NOT NULL AS locked, locked_until, attempt_count
  FROM hub_work.worker_queue ORDER BY id;
-- a trigger on the queue sends fetch and ack to their statements: the same
-- outcome, the trigger fired; a trigger on orchestrator_queue sends only
-- the completion's insert to its statement
CREATE FUNCTION hub_rows_t.count_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE '% % on %', TG_WHEN, TG_OP, TG_TABLE_NAME;
  RETURN COALESCE(NEW, OLD);
END $$;
SELECT hub_rows_t.work_fill();
CREATE TRIGGER w_row BEFORE UPDATE OR DELETE ON hub_work.worker_queue
  FOR EACH ROW EXECUTE FUNCTION hub_rows_t.count_row();
SELECT * FROM hub_rows_t.work_take('default_only', NULL);
SELECT hub_work.ack_worker(lock_token, 'w', '{"ActivityCompleted": {"id": 2}}', 3000),
       hub_rows_t.work_path() AS path
  FROM hub_work.worker_queue WHERE activity_id = 2;
DROP TRIGGER w_row ON hub_work.worker_queue;
CREATE TRIGGER o_row BEFORE INSERT ON hub_work.orchestrator_queue
  FOR EACH ROW EXECUTE FUNCTION hub_rows_t.count_row();
SELECT * FROM hub_rows_t.work_take('default_only', NULL);
SELECT hub_work.ack_worker(lock_token, 'w', '{"ActivityCompleted": {"id": 4}}', 3000),
       hub_rows_t.work_path() AS path
  FROM hub_work.worker_queue WHERE activity_id = 4;
SELECT count(*) AS completions FROM hub_work.orchestrator_queue;
DROP TRIGGER o_row ON hub_work.orchestrator_queue;
-- a policy forced on the queue: both go to the statements, which leave
-- applying it to the server (this superuser session is exempt from it)
ALTER TABLE hub_work.worker_queue ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY only_cpu ON hub_work.worker_queue USING (tag = 'cpu');
SELECT * FROM hub_rows_t.work_take('any', NULL);
SELECT * FROM hub_rows_t.work_take('any', NULL);
ALTER TABLE hub_work.worker_queue NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
SELECT hub_work.cleanup_schema();
SELECT hub_ack_sql.cleanup_schema();
SELECT hub_ack.cleanup_schema();
SELECT hub_rows.cleanup_schema();
DROP SCHEMA hub_rows_t CASCADE;

SET client_min_messages = warning;
DROP OWNED BY regress_orch_hub_user, regress_orch_hub_none;
DROP ROLE regress_orch_hub_user;
DROP ROLE regress_orch_hub_none;
TRUNCATE experiments.instances, experiments.executions, experiments.history,
         experiments.orchestrator_queue, experiments.worker_queue,
         experiments.instance_locks, experiments.sessions, experiments.kv_store,
         experiments.kv_delta;
RESET client_min_messages;
