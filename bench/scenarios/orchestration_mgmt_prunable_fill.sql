-- Before each run of orchestration_mgmt_prune: 1500 instances of 100
-- executions x 10 events to prune.
SET client_min_messages = warning;
DELETE FROM bench_mgmt.prunable;
SELECT bench_mgmt.make_prunable((nextval('bench_mgmt.batch') * 10000)::integer, 1500);
VACUUM ANALYZE bench_mgmt.executions, bench_mgmt.history;
