-- Tables of the floor scenarios, in their own schema bench_floor.
-- Run once per benchmark cluster (bench/run does that through the scenarios'
-- "-- setup:" lines); safe to run again by hand, it starts from scratch.

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_floor CASCADE;
CREATE SCHEMA bench_floor;

-- floor_insert: one row per transaction.
CREATE TABLE bench_floor.insert_target (
    id         bigserial PRIMARY KEY,
    payload    text,
    created_at timestamptz DEFAULT now()
);

-- floor_copy: 1000 rows per transaction, same shape (own sequence, primary
-- key, default) so that its rows/s compare with floor_insert's.
CREATE TABLE bench_floor.copy_target (
    id         bigserial PRIMARY KEY,
    payload    text,
    created_at timestamptz DEFAULT now()
);

-- floor_pop_one: a plain queue; floor_queue_fill.sql tops it up before each run.
CREATE TABLE bench_floor.queue (
    id         bigserial PRIMARY KEY,
    payload    text,
    created_at timestamptz DEFAULT now()
);

-- The rows floor_copy loads, written into the data directory: a relative path
-- in a server-side COPY FROM is relative to it, so the scenario names the file
-- without knowing where the cluster lives (COPY TO takes absolute paths only,
-- hence the \gset). Server-side COPY needs a superuser (or a member of
-- pg_write_server_files / pg_read_server_files); the benchmark connects as one.
SELECT current_setting('data_directory') || '/bench_floor_rows.csv' AS rows_csv \gset
COPY (SELECT 'payload ' || g FROM generate_series(1, 1000) AS g)
    TO :'rows_csv' (FORMAT csv);
