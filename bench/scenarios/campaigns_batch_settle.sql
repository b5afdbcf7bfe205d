-- Before-run of the business batch scenarios (the C function, its floor, the
-- seed's way and the PL/pgSQL reference alike): every run starts from the
-- same table state.  A run updates tens of thousands of businesses and adds
-- as many, so without this the next run met a random share of dead rows and
-- an autovacuum or a checkpoint at a random moment (one 5 s run in a round
-- fell to 43 % of its neighbours).  Not timed.
SET client_min_messages = warning;
VACUUM experiments.gmaps_businesses;
CHECKPOINT;
