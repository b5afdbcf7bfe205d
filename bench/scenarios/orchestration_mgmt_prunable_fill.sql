-- Before each run of orchestration_mgmt_prune: 3000 instances of 100
-- executions x 10 events to prune (a run that runs out fails: NULL id).
SET client_min_messages = warning;
DELETE FROM bench_mgmt.prunable;
SELECT bench_mgmt.make_prunable((nextval('bench_mgmt.batch') * 10000)::integer, 3000);
VACUUM ANALYZE bench_mgmt.executions, bench_mgmt.history;
