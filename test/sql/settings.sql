-- The library's settings: experiments.durable_leases, and the reserved
-- "experiments." prefix.
\set VERBOSITY default
SELECT experiments.version() IS NOT NULL AS library_loaded;
SELECT name, setting, vartype, context, boot_val
  FROM pg_settings WHERE name LIKE 'experiments.%' ORDER BY name;
SHOW experiments.durable_leases;
SET experiments.durable_leases = on;
SHOW experiments.durable_leases;
-- not a boolean: 22023
SET experiments.durable_leases = 'sometimes';
-- a name under the reserved prefix that the library does not define
SET experiments.no_such_setting = 1;
RESET experiments.durable_leases;
SHOW experiments.durable_leases;

-- With durable leases on, a fetch's commit waits for its WAL flush: right
-- after it, the flushed position has reached the end of the WAL written so
-- far (which holds the fetch's commit record).  With them off the flush
-- may lag for a moment, which is not something a test can wait for.
SET client_min_messages = warning;
TRUNCATE experiments.worker_queue, experiments.sessions;
RESET client_min_messages;
SELECT experiments.enqueue_worker_work(
         '{"ActivityExecute":{"instance":"lease-i","execution_id":1,"id":1,"name":"A","input":""}}',
         1000, 'lease-i', 1, 1, NULL, NULL);
SET experiments.durable_leases = on;
SELECT out_attempt_count FROM experiments.fetch_work_item(2000, 30000);
SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn() AS fetch_commit_flushed;
RESET experiments.durable_leases;
SET client_min_messages = warning;
TRUNCATE experiments.worker_queue;
RESET client_min_messages;
