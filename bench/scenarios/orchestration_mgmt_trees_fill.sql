-- Before each run of orchestration_mgmt_delete_tree: 250 fresh trees of 1000
-- instances, more than a 5-second run deletes on the benchmark machine.  A
-- run that runs out fails (take_tree() gives NULL, which the function
-- refuses) rather than measuring empty calls.
SET client_min_messages = warning;
DELETE FROM bench_mgmt.trees;
SELECT bench_mgmt.make_trees((nextval('bench_mgmt.batch') * 1000)::integer, 250);
VACUUM ANALYZE bench_mgmt.instances, bench_mgmt.executions, bench_mgmt.history,
               bench_mgmt.orchestrator_queue;
