-- The shared C layer (src/common) driven through the self-test entry points.
-- The install script never declares these; a superuser test may.
CREATE SCHEMA selftest;
CREATE FUNCTION selftest.read(spec jsonb, doc jsonb) RETURNS jsonb
    LANGUAGE C CALLED ON NULL INPUT AS 'experiments', 'experiments_selftest_read';
CREATE FUNCTION selftest.subxact(sql text[]) RETURNS jsonb
    LANGUAGE C CALLED ON NULL INPUT AS 'experiments', 'experiments_selftest_subxact';
CREATE FUNCTION selftest.stmt(domain text) RETURNS text
    LANGUAGE C CALLED ON NULL INPUT AS 'experiments', 'experiments_selftest_stmt';

-- jsonb readers: every type, optional keys, nested objects
SELECT selftest.read(
    '{"s": "text", "i": "int32", "b": "int64", "f": "float8", "n": "numeric",
      "t": "bool", "j": "jsonb", "o": "object", "m": "text?", "z": "int32?"}',
    '{"s": "héllo ☃", "i": -2147483648, "b": 9007199254740993, "f": 0.25,
      "n": 12345678901234567890.123, "t": true, "j": [1, {"x": null}],
      "o": {"k": 1}, "z": null}');
-- integral numbers written with a zero fraction are integers
SELECT selftest.read('{"i": "int32"}', '{"i": 7.000}');
-- arrays of objects are read element by element
SELECT selftest.read('{"idx": "int32", "text": "text"}',
                     '[{"idx": 0, "text": "a"}, {"idx": 1, "text": "b"}]');

-- reader errors name the place and the key (22023)
\set VERBOSITY default
SELECT selftest.read('{"i": "int32"}', '{}');
SELECT selftest.read('{"i": "int32"}', '{"i": null}');
SELECT selftest.read('{"i": "int32"}', '{"i": "7"}');
SELECT selftest.read('{"i": "int32"}', '{"i": 1.5}');
SELECT selftest.read('{"i": "int32"}', '{"i": 2147483648}');
SELECT selftest.read('{"i": "int64"}', '{"i": 1e30}');
SELECT selftest.read('{"f": "float8"}', '{"f": 1e400}');
SELECT selftest.read('{"t": "bool"}', '{"t": "true"}');
SELECT selftest.read('{"s": "text"}', '{"s": 5}');
SELECT selftest.read('{"o": "object"}', '{"o": [1]}');
SELECT selftest.read('{"idx": "int32"}', '[{"idx": 0}, {"idx": "x"}]');
SELECT selftest.read('{"idx": "int32"}', '[{"idx": 0}, 3]');
SELECT selftest.read('{"idx": "int32"}', '"scalar"');
SELECT selftest.read('{"idx": "int32"}', NULL);
-- the SQLSTATE is 22023 for shape errors and 22004 for a NULL argument
DO $$
BEGIN
    PERFORM selftest.read('{"i": "int32"}', '{}');
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'missing key: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM selftest.read('{"i": "int32"}', NULL);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'null argument: %', SQLSTATE;
END $$;

-- subtransaction runner: a failed statement leaves nothing behind, the
-- others keep their writes, and the error comes back as data
CREATE TABLE selftest.items (id int PRIMARY KEY, note text NOT NULL);
SELECT jsonb_pretty(selftest.subxact(ARRAY[
    'INSERT INTO selftest.items VALUES (1, ''one'')',
    'INSERT INTO selftest.items VALUES (2, ''two''), (1, ''again'')',
    'INSERT INTO selftest.items VALUES (3, NULL)',
    'SELECT 1/0',
    'INSERT INTO selftest.items VALUES (4, ''four'')']));
SELECT * FROM selftest.items ORDER BY id;
-- errors that must never be hidden are re-thrown: out of memory, disk full,
-- cancel, shutdown, internal errors
SELECT selftest.subxact(ARRAY[
    'INSERT INTO selftest.items VALUES (5, ''five'')',
    $q$DO $x$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '53200'; END $x$$q$]);
SELECT selftest.subxact(ARRAY[
    $q$DO $x$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '57014'; END $x$$q$]);
SELECT selftest.subxact(ARRAY[
    $q$DO $x$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'XX000'; END $x$$q$]);
-- and the re-thrown error aborted the whole call: item 5 is not there
SELECT count(*) AS items_after_rethrow FROM selftest.items WHERE id = 5;

-- statement cache: one plan per statement and schema, however many calls
SELECT selftest.stmt('public');
SELECT selftest.stmt('no such domain');
SELECT selftest.stmt('public');

DROP SCHEMA selftest CASCADE;
