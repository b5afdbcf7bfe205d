-- Run before every measured run of the orchestration turn scenarios.
--
-- Gives both hubs (bench_orch, C; bench_orch_pl, PL/pgSQL) the same start:
-- the 100 000 finished instances of the set-up and nothing else, then a
-- queue of StartOrchestration messages for new instances, enough that no
-- run can empty it (20 000 per second of run, at least 100 000): an empty
-- queue would turn fetches into no-ops.  Not timed.

\if :{?duration}
\else
\set duration 10
\endif

SET client_min_messages = warning;
DO $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['bench_orch', 'bench_orch_pl']
    LOOP
        EXECUTE format('TRUNCATE %1$I.orchestrator_queue, %1$I.worker_queue, %1$I.instance_locks,
                                 %1$I.kv_delta', s);
        EXECUTE format($f$DELETE FROM %1$I.history WHERE instance_id LIKE 'new-%%';
                          DELETE FROM %1$I.executions WHERE instance_id LIKE 'new-%%';
                          DELETE FROM %1$I.instances WHERE instance_id LIKE 'new-%%'$f$, s);
    END LOOP;
END $$;

SELECT greatest(100000, :duration * 20000) AS fill \gset
INSERT INTO bench_orch.orchestrator_queue (instance_id, work_item, visible_at, created_at)
SELECT 'new-' || g,
       jsonb_build_object('StartOrchestration', jsonb_build_object(
           'instance', 'new-' || g, 'orchestration', 'Bench', 'input', '{}', 'version', '1.0.0',
           'parent_instance', NULL, 'parent_id', NULL, 'execution_id', 1))::text,
       to_timestamp(g / 1000.0), to_timestamp(0)
  FROM generate_series(1, :fill) g;
INSERT INTO bench_orch_pl.orchestrator_queue (instance_id, work_item, visible_at, created_at)
SELECT instance_id, work_item, visible_at, created_at FROM bench_orch.orchestrator_queue;
VACUUM ANALYZE bench_orch.orchestrator_queue, bench_orch_pl.orchestrator_queue,
               bench_orch.instances, bench_orch_pl.instances, bench_orch.history,
               bench_orch_pl.history, bench_orch.instance_locks, bench_orch_pl.instance_locks;
