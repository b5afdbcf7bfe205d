-- Tables of the floor scenarios, in their own schema bench_floor.
-- Run once per benchmark cluster (bench/run does that through the scenarios'
-- "-- setup:" lines); safe to run again by hand, it starts from scratch.

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

-- The rows floor_copy loads. A relative path in a server-side COPY is relative
-- to the data directory, so the scenario can name the file without knowing
-- where the cluster lives. Server-side COPY needs a superuser (or a member of
-- pg_write_server_files / pg_read_server_files); the benchmark connects as one.
COPY (SELECT 'payload ' || g FROM generate_series(1, 1000) AS g)
    TO 'bench_floor_rows.csv' (FORMAT csv);
