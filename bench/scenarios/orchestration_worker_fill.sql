-- Run before every measured run of orchestration_worker_turn: a worker
-- queue of ActivityExecute items (40 000 per second of run, at least
-- 200 000) so that no run can empty it; the completions a previous run
-- enqueued are cleared.  Not timed.

\if :{?duration}
\else
\set duration 10
\endif

SET client_min_messages = warning;
TRUNCATE bench_orch.worker_queue, bench_orch.orchestrator_queue, bench_orch.instance_locks;
SELECT greatest(200000, :duration * 40000) AS fill \gset
INSERT INTO bench_orch.worker_queue (work_item, visible_at, created_at, instance_id, execution_id,
                                     activity_id)
SELECT jsonb_build_object('ActivityExecute', jsonb_build_object(
           'instance', 'w-' || (g / 5), 'execution_id', 1, 'id', g % 5 + 2, 'name', 'Work',
           'input', '42'))::text,
       to_timestamp(0), to_timestamp(0), 'w-' || (g / 5), 1, g % 5 + 2
  FROM generate_series(1, :fill) g;
VACUUM ANALYZE bench_orch.worker_queue, bench_orch.orchestrator_queue;
