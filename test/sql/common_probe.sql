-- src/common/probe.h: one-row lookups by a unique index, driven through the
-- self-test entry points (declared here, never by the install script).
CREATE SCHEMA probetest;
CREATE SCHEMA probetest2;
CREATE FUNCTION probetest.by_id(schema text, id int) RETURNS text
    LANGUAGE C VOLATILE CALLED ON NULL INPUT AS 'experiments', 'experiments_selftest_probe_id';
CREATE FUNCTION probetest.by_pair(schema text, k1 text, k2 int) RETURNS text
    LANGUAGE C VOLATILE CALLED ON NULL INPUT AS 'experiments', 'experiments_selftest_probe_pair';
CREATE FUNCTION probetest.cache() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_probe_cache';

CREATE TABLE probetest.probe_items (id int PRIMARY KEY, k1 text, k2 int, note text,
                                    CONSTRAINT probe_items_k_key UNIQUE (k1, k2));
INSERT INTO probetest.probe_items VALUES (1, 'a', 1, 'one'), (2, 'a', 2, NULL), (3, 'b', 1, 'three');
-- the same names in another schema, other rows: the schema decides
CREATE TABLE probetest2.probe_items (id int PRIMARY KEY, k1 text, k2 int, note text,
                                     CONSTRAINT probe_items_k_key UNIQUE (k1, k2));
INSERT INTO probetest2.probe_items VALUES (1, 'z', 9, 'other one');

-- found, not found, NULL columns, both indexes, both schemas
SELECT probetest.by_id('probetest', 1) AS id1, probetest.by_id('probetest', 2) AS id2,
       probetest.by_id('probetest', 4) AS id4, probetest.by_id('probetest2', 1) AS other_id1;
SELECT probetest.by_pair('probetest', 'a', 2) AS a2, probetest.by_pair('probetest', 'b', 1) AS b1,
       probetest.by_pair('probetest', 'b', 2) AS b2, probetest.by_pair('probetest', 'A', 1) AS upper_a;
SELECT probetest.cache();

-- the calling transaction's own writes are seen, also within one statement
-- (the probe advances the command counter as SPI does), and a rollback
-- takes them away again
BEGIN;
INSERT INTO probetest.probe_items VALUES (4, 'c', 1, 'four');
SELECT probetest.by_id('probetest', 4) AS own_insert;
UPDATE probetest.probe_items SET note = 'FOUR' WHERE id = 4;
SELECT probetest.by_pair('probetest', 'c', 1) AS own_update;
DELETE FROM probetest.probe_items WHERE id = 4;
SELECT probetest.by_id('probetest', 4) AS own_delete;
ROLLBACK;
WITH ins AS (INSERT INTO probetest.probe_items VALUES (5, 'd', 1, 'five') RETURNING id)
SELECT (SELECT count(*) FROM ins) AS inserted;
SELECT probetest.by_id('probetest', 5) AS after_cte;

-- a long value is copied out whole (a toasted value is fetched)
INSERT INTO probetest.probe_items VALUES (6, 'long', 1, repeat('x', 100000));
SELECT length(probetest.by_id('probetest', 6)) AS long_value_length;

-- the lock a SELECT takes: AccessShareLock on the table and the index
BEGIN;
SELECT probetest.by_id('probetest', 1) IS NOT NULL AS found;
SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'probetest'::regnamespace
 ORDER BY c.relname;
COMMIT;

-- DDL in the same backend: the resolution is thrown away and made again
ALTER TABLE probetest.probe_items RENAME COLUMN note TO remark;
SELECT probetest.by_id('probetest', 1);
ALTER TABLE probetest.probe_items RENAME COLUMN remark TO note;
SELECT probetest.by_id('probetest', 1) AS renamed_back;
DROP TABLE probetest.probe_items;
SELECT probetest.by_id('probetest', 1);
CREATE TABLE probetest.probe_items (id int PRIMARY KEY, k1 text, k2 int, note text,
                                    CONSTRAINT probe_items_k_key UNIQUE (k1, k2));
INSERT INTO probetest.probe_items VALUES (1, 'n', 1, 'new one');
SELECT probetest.by_id('probetest', 1) AS recreated, probetest.by_pair('probetest', 'n', 1) AS recreated_pair;
-- dropping a key column drops the index with it: the probe says so; then a
-- table with its columns in another order: names, not numbers, are resolved
ALTER TABLE probetest.probe_items DROP COLUMN k2 CASCADE;
SELECT probetest.by_pair('probetest', 'n', 1);
DROP TABLE probetest.probe_items;
CREATE TABLE probetest.probe_items (extra text DEFAULT 'e', note text, k2 int, k1 text, id int PRIMARY KEY,
                                    CONSTRAINT probe_items_k_key UNIQUE (k1, k2));
INSERT INTO probetest.probe_items (id, k1, k2, note) VALUES (1, 'm', 7, 'moved');
SELECT probetest.by_id('probetest', 1) AS columns_moved, probetest.by_pair('probetest', 'm', 7) AS pair_moved;
SELECT probetest.cache();
-- an index that is not unique, or not of the table, is refused
ALTER TABLE probetest.probe_items DROP CONSTRAINT probe_items_k_key;
CREATE INDEX probe_items_k_key ON probetest.probe_items (k1, k2);
SELECT probetest.by_pair('probetest', 'm', 7);
DROP INDEX probetest.probe_items_k_key;
CREATE TABLE probetest.elsewhere (k1 text, k2 int, CONSTRAINT probe_items_k_key UNIQUE (k1, k2));
SELECT probetest.by_pair('probetest', 'm', 7);
DROP TABLE probetest.elsewhere;
-- a missing schema or table
SELECT probetest.by_id('no_such_schema', 1);
SELECT probetest.by_id('public', 1);

-- rights: SELECT on the table is checked for the current user (42501)
CREATE ROLE probe_reader;
GRANT USAGE ON SCHEMA probetest TO probe_reader;
GRANT EXECUTE ON FUNCTION probetest.by_id(text, int) TO probe_reader;
SET ROLE probe_reader;
SELECT probetest.by_id('probetest', 1);
RESET ROLE;
GRANT SELECT (id, note, k1) ON probetest.probe_items TO probe_reader;
SET ROLE probe_reader;
SELECT probetest.by_id('probetest', 1) AS with_column_rights;
RESET ROLE;
-- row-level security is refused rather than bypassed
ALTER TABLE probetest.probe_items ENABLE ROW LEVEL SECURITY;
SELECT probetest.by_id('probetest', 1);
ALTER TABLE probetest.probe_items DISABLE ROW LEVEL SECURITY;
-- NULL arguments
SELECT probetest.by_id('probetest', NULL);
SELECT probetest.by_id(NULL, 1);

REVOKE ALL ON probetest.probe_items FROM probe_reader;
REVOKE ALL ON SCHEMA probetest FROM probe_reader;
REVOKE ALL ON FUNCTION probetest.by_id(text, int) FROM probe_reader;
DROP ROLE probe_reader;
DROP SCHEMA probetest CASCADE;
DROP SCHEMA probetest2 CASCADE;
