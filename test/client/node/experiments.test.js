// The experiments routines (part 1) as a Node landing page calls them with
// `pg`: sticky assignment, events, a conversion, the outbox relay woken by
// LISTEN, and a lead.  Connection settings come from PGHOST, PGPORT, PGUSER
// and PGDATABASE.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');

let admin;
let app;
let exp;
const role = `client_node_exp_${process.pid}`;
const key = `node-${process.pid}`;

before(async () => {
  admin = new Client();
  await admin.connect();
  await admin.query(`CREATE ROLE "${role}" LOGIN`);
  await admin.query("SELECT count(*) FROM experiments.grant_access($1::regrole, ARRAY['experiments'])", [role]);
  app = new Client({ user: role });
  await app.connect();
  const { rows } = await app.query(
    `SELECT * FROM experiments.create_experiment($1, 'Node landing page', p_status => 'active',
       p_config => '{"bucketing": "growthbook"}', p_variants => $2::jsonb)`,
    [key, JSON.stringify([{ key: 'a', allocation_pct: 50 }, { key: 'b', allocation_pct: 50 }])]);
  exp = rows[0].experiment_id;
});

after(async () => {
  await app.end();
  await admin.query("DELETE FROM experiments.outbox_events WHERE payload->>'experiment_id' = $1", [String(exp)]);
  await admin.query('DELETE FROM experiments.events WHERE experiment_id = $1', [exp]);
  await admin.query('DELETE FROM experiments.experiments WHERE key = $1', [key]);
  await admin.query('DELETE FROM experiments.leads WHERE email = $1', [`${key}@example.com`]);
  await admin.query('SELECT count(*) FROM experiments.revoke_access($1::regrole)', [role]);
  await admin.query(`DROP ROLE "${role}"`);
  await admin.end();
});

test('a visitor gets the GrowthBook variant and keeps it', async () => {
  const first = await app.query('SELECT * FROM experiments.get_or_create_assignment($1, $2)', [exp, 'visitor-1']);
  assert.equal(first.rows[0].is_new, true);
  const { rows: [rule] } = await app.query(
    "SELECT CASE WHEN experiments.hash($1, 'visitor-1', 2) < 0.5 THEN 'a' ELSE 'b' END AS variant", [key]);
  assert.equal(first.rows[0].variant_key, rule.variant);
  const again = await app.query('SELECT * FROM experiments.get_or_create_assignment($1, $2)', [exp, 'visitor-1']);
  assert.equal(again.rows[0].is_new, false);
  assert.equal(again.rows[0].variant_key, first.rows[0].variant_key);
});

test('events and a conversion; errors carry SQLSTATEs', async () => {
  const ev = await app.query(
    'SELECT * FROM experiments.record_event($1, $2, $3, $4::jsonb, $5)',
    [exp, 'visitor-1', 'cta.click', JSON.stringify({ position: 'hero' }), 1]);
  assert.equal(ev.rows.length, 1);
  const conv = await app.query('SELECT converted FROM experiments.record_conversion($1, $2, $3)', [exp, 'visitor-1', 29]);
  assert.equal(conv.rows[0].converted, true);
  const dup = await app.query('SELECT converted FROM experiments.record_conversion($1, $2, $3)', [exp, 'visitor-1', 29]);
  assert.equal(dup.rows[0].converted, false);
  await assert.rejects(app.query('SELECT * FROM experiments.record_event($1, $2, $3)', [exp, 'stranger', 'click']),
    (err) => err.code === 'P0002' && err.message === `no assignment found for user stranger in experiment ${exp}`);
  await assert.rejects(app.query('SELECT * FROM experiments.record_event($1, $2, $3)', [exp, 'visitor-1', 'Click!']),
    (err) => err.code === '22023');
});

test('a relay LISTENs, is woken once per transaction, claims and acknowledges', async () => {
  const relay = new Client({ user: role });
  await relay.connect();
  try {
    let wakeups = 0;
    relay.on('notification', (msg) => { if (msg.channel === 'experiments_outbox') wakeups += 1; });
    await relay.query('LISTEN experiments_outbox');
    await app.query('BEGIN');
    await app.query('SELECT * FROM experiments.get_or_create_assignment($1, $2)', [exp, 'visitor-2']);
    await app.query('SELECT * FROM experiments.record_event($1, $2, $3)', [exp, 'visitor-2', 'view']);
    await app.query('COMMIT');
    for (let i = 0; i < 50 && wakeups === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(wakeups, 1);
    const { rows } = await relay.query('SELECT id, event_type, payload FROM experiments.claim_outbox_events(1000, 30)');
    const mine = rows.filter((r) => r.payload.user_id === 'visitor-2');
    assert.deepEqual(mine.map((r) => r.event_type), ['assignment_created', 'event_recorded']);
    const acked = await relay.query('SELECT experiments.ack_outbox_events($1) AS n', [rows.map((r) => r.id)]);
    assert.equal(acked.rows[0].n, rows.length);
  } finally {
    await relay.end();
  }
});

test('a lead is captured once', async () => {
  const first = await app.query('SELECT * FROM experiments.capture_lead($1, $2)', [`${key.toUpperCase()}@Example.com`, 'landing']);
  const second = await app.query('SELECT * FROM experiments.capture_lead($1)', [`${key}@example.com`]);
  assert.equal(first.rows[0].is_new, true);
  assert.equal(second.rows[0].is_new, false);
  assert.equal(second.rows[0].lead_id, first.rows[0].lead_id);
});
