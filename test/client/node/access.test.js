// The extension-wide routines as a Node application calls them with `pg`.
// Connection settings come from PGHOST, PGPORT, PGUSER and PGDATABASE.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');

let admin;
const role = `client_node_${process.pid}`;

before(async () => {
  admin = new Client();
  await admin.connect();
  await admin.query(`CREATE ROLE "${role}" LOGIN`);
  await admin.query('SELECT count(*) FROM experiments.grant_access($1::regrole)', [role]);
});

after(async () => {
  await admin.query('SELECT count(*) FROM experiments.revoke_access($1::regrole)', [role]);
  await admin.query(`DROP ROLE "${role}"`);
  await admin.end();
});

test('version() reports the library next to the installed SQL', async () => {
  const { rows } = await admin.query('SELECT * FROM experiments.version()');
  assert.deepEqual(rows, [
    { library_version: '1.0', extension_version: '1.0', versions_match: true },
  ]);
});

test('a granted role calls routines but cannot read tables', async () => {
  const app = new Client({ user: role });
  await app.connect();
  try {
    const { rows } = await app.query('SELECT versions_match FROM experiments.version()');
    assert.equal(rows[0].versions_match, true);
    await assert.rejects(app.query('SELECT * FROM experiments.api_routines'),
      (err) => err.code === '42501');
  } finally {
    await app.end();
  }
});

test('errors carry SQLSTATE, message and hint', async () => {
  await assert.rejects(
    admin.query("SELECT * FROM experiments.grant_access('postgres', ARRAY['billing'])"),
    (err) => {
      assert.equal(err.code, '22023');
      assert.equal(err.message, 'invalid domain "billing"');
      assert.match(err.hint, /experiments, orchestration, quota, campaigns/);
      return true;
    });
  await assert.rejects(admin.query('SELECT * FROM experiments.grant_access(NULL)'),
    (err) => err.code === '22004' && err.message === 'p_role must not be null');
});

test('read-only grants are parameterised like any query', async () => {
  const { rows } = await admin.query(
    'SELECT count(*)::int AS n FROM experiments.grant_access($1::regrole, $2::text[], $3)',
    [role, ['quota'], true]);
  assert.equal(typeof rows[0].n, 'number');
});
