-- Before each run of orchestration_mgmt_delete_tree: 60 fresh trees of 1000
-- instances (more than a run deletes here; the report notes it if a run
-- ran out: TPS would then jump).
SET client_min_messages = warning;
DELETE FROM bench_mgmt.trees;
SELECT bench_mgmt.make_trees((nextval('bench_mgmt.batch') * 1000)::integer, 60);
VACUUM ANALYZE bench_mgmt.instances, bench_mgmt.executions, bench_mgmt.history,
               bench_mgmt.orchestrator_queue;
