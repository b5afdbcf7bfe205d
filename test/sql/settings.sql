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
-- after it, the flushed position has passed the WAL the fetch wrote (taken
-- before its commit, so WAL written later by other processes does not
-- matter).  With them off the flush may lag for a moment, which is not
-- something a test can wait for.
SET client_min_messages = warning;
TRUNCATE experiments.worker_queue, experiments.sessions;
RESET client_min_messages;
SELECT experiments.enqueue_worker_work(
         '{"ActivityExecute":{"instance":"lease-i","execution_id":1,"id":1,"name":"A","input":""}}',
         1000, 'lease-i', 1, 1, NULL, NULL);
SET experiments.durable_leases = on;
BEGIN;
SELECT out_attempt_count FROM experiments.fetch_work_item(2000, 30000);
SELECT pg_current_wal_insert_lsn() AS fetch_wal_end \gset
COMMIT;
SELECT pg_current_wal_flush_lsn() >= :'fetch_wal_end'::pg_lsn AS fetch_commit_flushed;
RESET experiments.durable_leases;
SET client_min_messages = warning;
TRUNCATE experiments.worker_queue;
RESET client_min_messages;
