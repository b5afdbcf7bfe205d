-- Data of the orchestration management scenarios: a hub bench_mgmt holding
-- a million instances (each with one execution and one history event) and a
-- million-message orchestrator backlog, plus the helpers the deletion and
-- pruning scenarios take their work from.  Safe to run again by hand.
--
-- The million rows are inserted directly (set-based), not through
-- fetch/ack: a million turns through the provider would take far longer
-- than the benchmark, and the rows have exactly the shape the ack writes.
--
--   instance i<g>, g = 1 .. 1,000,000, created at g seconds after 1970;
--   i1 .. i1000 are roots, every other instance is a child of i<g / 1000>;
--   current execution 1: Failed when g % 10000 = 0 (100 instances),
--   Running when g % 10 = 0 otherwise, else Completed;
--   one orchestrator message per instance, visible at g ms;
--   one worker item per instance with g % 10 = 0 (100,000).

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_mgmt CASCADE;
DELETE FROM experiments.orchestration_hubs WHERE schema_name = 'bench_mgmt';
SELECT experiments.initialize_schema('bench_mgmt');

INSERT INTO bench_mgmt.instances (instance_id, orchestration_name, orchestration_version,
                                  current_execution_id, created_at, updated_at,
                                  parent_instance_id)
SELECT 'i' || g, 'Bench', '1.0.0', 1, to_timestamp(g), to_timestamp(g),
       CASE WHEN g > 1000 THEN 'i' || (g / 1000) END
  FROM generate_series(1, 1000000) AS g;
INSERT INTO bench_mgmt.executions (instance_id, execution_id, status, output, started_at,
                                   completed_at)
SELECT 'i' || g, 1,
       CASE WHEN g % 10000 = 0 THEN 'Failed' WHEN g % 10 = 0 THEN 'Running' ELSE 'Completed' END,
       CASE WHEN g % 10 = 0 AND g % 10000 <> 0 THEN NULL ELSE 'out' END,
       to_timestamp(g), CASE WHEN g % 10 = 0 AND g % 10000 <> 0 THEN NULL ELSE to_timestamp(g + 1) END
  FROM generate_series(1, 1000000) AS g;
INSERT INTO bench_mgmt.history (instance_id, execution_id, event_id, event_type, event_data,
                                created_at)
SELECT 'i' || g, 1, 1, 'OrchestrationStarted',
       '{"event_id": 1, "type": "OrchestrationStarted", "name": "Bench", "version": "1.0.0"}',
       to_timestamp(g)
  FROM generate_series(1, 1000000) AS g;
INSERT INTO bench_mgmt.orchestrator_queue (instance_id, work_item, visible_at, created_at)
SELECT 'i' || g, '{"ExternalRaised": {"instance": "i' || g || '", "name": "go", "data": ""}}',
       to_timestamp(g / 1000.0), to_timestamp(g / 1000.0)
  FROM generate_series(1, 1000000) AS g;
INSERT INTO bench_mgmt.worker_queue (work_item, visible_at, created_at, instance_id,
                                     execution_id, activity_id)
SELECT '{"ActivityExecute": {"instance": "i' || g || '", "execution_id": 1, "id": 2, "name": "A", "input": ""}}',
       to_timestamp(g / 1000.0), to_timestamp(g / 1000.0), 'i' || g, 1, 2
  FROM generate_series(10, 1000000, 10) AS g;
VACUUM ANALYZE bench_mgmt.instances, bench_mgmt.executions, bench_mgmt.history,
               bench_mgmt.orchestrator_queue, bench_mgmt.worker_queue;

-- Work for the deletion scenario: trees of 1000 instances (a root, 9
-- children, each with 110 grandchildren, 1 + 9 + 990 = 1000), each instance
-- with two executions of 5 events and a message.  A transaction takes the
-- next tree with bench_mgmt.take_tree().
CREATE TABLE bench_mgmt.trees (tree integer PRIMARY KEY, ids text[] NOT NULL);
CREATE FUNCTION bench_mgmt.make_trees(p_from integer, p_count integer) RETURNS void
LANGUAGE sql AS $$
    WITH n AS (
        SELECT t, k,
               't' || t || '-' || k AS id,
               CASE WHEN k = 0 THEN NULL
                    WHEN k <= 9 THEN 't' || t || '-0'
                    ELSE 't' || t || '-' || (1 + (k - 10) / 110) END AS parent
          FROM generate_series(p_from, p_from + p_count - 1) AS t,
               generate_series(0, 999) AS k),
    i AS (
        INSERT INTO bench_mgmt.instances (instance_id, orchestration_name, orchestration_version,
                                          current_execution_id, created_at, updated_at,
                                          parent_instance_id)
        SELECT id, 'Tree', '1.0.0', 2, now(), now(), parent FROM n),
    x AS (
        INSERT INTO bench_mgmt.executions (instance_id, execution_id, status, started_at,
                                           completed_at)
        SELECT id, e, CASE e WHEN 1 THEN 'ContinuedAsNew' ELSE 'Completed' END, now(),
               CASE e WHEN 2 THEN now() END
          FROM n, generate_series(1, 2) AS e),
    h AS (
        INSERT INTO bench_mgmt.history (instance_id, execution_id, event_id, event_type,
                                        event_data, created_at)
        SELECT id, e, v, 'Event', '{"type": "Event"}', now()
          FROM n, generate_series(1, 2) AS e, generate_series(1, 5) AS v),
    q AS (
        INSERT INTO bench_mgmt.orchestrator_queue (instance_id, work_item, visible_at, created_at)
        SELECT id, '{"ExternalRaised": {}}', now() + interval '1 day', now() FROM n)
    INSERT INTO bench_mgmt.trees
    SELECT t, array_agg(id ORDER BY k) FROM n GROUP BY t
$$;
CREATE FUNCTION bench_mgmt.take_tree() RETURNS text[]
LANGUAGE sql AS $$
    DELETE FROM bench_mgmt.trees
     WHERE tree = (SELECT tree FROM bench_mgmt.trees ORDER BY tree LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING ids
$$;

-- Work for the pruning scenario: instances with 100 executions of 10
-- events each (the first 99 ContinuedAsNew, the 100th current and
-- Running).  A transaction takes the next one with take_prunable().
CREATE TABLE bench_mgmt.prunable (n integer PRIMARY KEY, instance_id text NOT NULL);
CREATE FUNCTION bench_mgmt.make_prunable(p_from integer, p_count integer) RETURNS void
LANGUAGE sql AS $$
    WITH n AS (SELECT g, 'p' || g AS id FROM generate_series(p_from, p_from + p_count - 1) AS g),
    i AS (
        INSERT INTO bench_mgmt.instances (instance_id, orchestration_name, orchestration_version,
                                          current_execution_id, created_at, updated_at)
        SELECT id, 'Loop', '1.0.0', 100, now(), now() FROM n),
    x AS (
        INSERT INTO bench_mgmt.executions (instance_id, execution_id, status, started_at)
        SELECT id, e, CASE WHEN e = 100 THEN 'Running' ELSE 'ContinuedAsNew' END,
               to_timestamp(e)
          FROM n, generate_series(1, 100) AS e),
    h AS (
        INSERT INTO bench_mgmt.history (instance_id, execution_id, event_id, event_type,
                                        event_data, created_at)
        SELECT id, e, v, 'Event', '{"type": "Event"}', now()
          FROM n, generate_series(1, 100) AS e, generate_series(1, 10) AS v)
    INSERT INTO bench_mgmt.prunable SELECT g, id FROM n
$$;
CREATE FUNCTION bench_mgmt.take_prunable() RETURNS text
LANGUAGE sql AS $$
    DELETE FROM bench_mgmt.prunable
     WHERE n = (SELECT n FROM bench_mgmt.prunable ORDER BY n LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING instance_id
$$;
CREATE SEQUENCE bench_mgmt.batch;
