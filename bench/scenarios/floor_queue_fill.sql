-- Run before every measured run of floor_pop_one ("-- before-run:").
--
-- Tops bench_floor.queue up so that one run can never pop it empty: an empty
-- queue would turn each DELETE into a no-op and inflate the scenario's TPS.
-- The target is 50,000 rows per second of run (far above the pop rate this kind
-- of machine reaches), at least one million. Only the rows the previous run
-- popped are inserted again, so the refill is cheap after the first run. The
-- VACUUM clears the dead rows and index entries the previous run left at the
-- head of the queue, so every run starts from the same shape of table.
--
-- :duration is set by bench/run (seconds per run); by hand it defaults to 10.

\if :{?duration}
\else
\set duration 10
\endif

INSERT INTO bench_floor.queue (payload)
SELECT 'job ' || g
FROM generate_series(1, greatest(0, greatest(1000000, :duration * 50000)
                                    - (SELECT count(*) FROM bench_floor.queue))) AS g;

VACUUM (ANALYZE) bench_floor.queue;
