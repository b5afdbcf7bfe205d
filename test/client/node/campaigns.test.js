// The campaigns routines as seed 004's JavaScript client calls them with
// `pg`: the seed's `callStoredFunction` wrapper reads the JSONB envelope and
// retries - with a growing sleep - only when retry_recommended is true,
// giving up after 3 attempts.  Driven against the real server with a real
// lock conflict: another session holds the campaign row.
// Connection settings come from PGHOST, PGPORT, PGUSER and PGDATABASE.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Client } = require('pg');

let admin;
const role = `client_node_campaigns_${process.pid}`;
const campaignId = crypto.randomUUID();

// The seed's wrapper; `rpc` stands in for supabase.rpc, `sleep` is injectable.
async function callStoredFunction(rpc, functionName, params, options = {}) {
  const maxRetries = options.retries || 3;
  const sleep = options.sleep || ((ms) => new Promise((r) => setTimeout(r, ms)));
  let data;
  for (let attempt = 1; attempt <= maxRetries; attempt++) {
    data = await rpc(functionName, params);
    if (options.onAttempt) options.onAttempt(attempt, data);
    if (!data.success && data.retry_recommended && attempt < maxRetries) {
      await sleep(1000 * attempt); // the seed's back-off
      continue;
    }
    return data;
  }
  return data;
}

// supabase.rpc over pg: named arguments, the envelope back as an object.
function rpcFor(client) {
  return async (functionName, params) => {
    const names = Object.keys(params);
    const args = names.map((n, i) => `${n} => $${i + 1}`).join(', ');
    const values = names.map((n) => {
      const v = params[n];
      return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
    });
    const { rows } = await client.query(
      `SELECT experiments.${functionName}(${args}) AS data`, values);
    return rows[0].data;
  };
}

async function holdCampaignLock(id) {
  const holder = new Client();
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM experiments.gmaps_campaigns WHERE id = $1 FOR UPDATE', [id]);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
}

async function appClient(lockTimeout) {
  const client = new Client({ user: role, options: lockTimeout ? `-c lock_timeout=${lockTimeout}` : undefined });
  await client.connect();
  return client;
}

async function costLedger() {
  const { rows } = await admin.query(
    `SELECT c.actual_cost::text AS actual, c.facebook_cost::text AS facebook,
            (SELECT coalesce(sum(k.cost_usd), 0)::text FROM experiments.gmaps_api_costs k
              WHERE k.campaign_id = c.id) AS ledger,
            (SELECT count(*)::int FROM experiments.gmaps_api_costs k WHERE k.campaign_id = c.id) AS rows
       FROM experiments.gmaps_campaigns c WHERE c.id = $1`, [campaignId]);
  return rows[0];
}

before(async () => {
  admin = new Client();
  await admin.connect();
  await admin.query(`CREATE ROLE "${role}" LOGIN`);
  await admin.query("SELECT count(*) FROM experiments.grant_access($1::regrole, ARRAY['campaigns'])", [role]);
  const { rows } = await admin.query(
    'SELECT experiments.create_campaign_with_coverage($1, $2) AS data',
    [JSON.stringify({ id: campaignId, name: 'node client' }), JSON.stringify(['78701', '78702'])]);
  assert.equal(rows[0].data.success, true);
});

after(async () => {
  await admin.query('DELETE FROM experiments.gmaps_campaigns WHERE id = $1', [campaignId]);
  await admin.query('SELECT count(*) FROM experiments.revoke_access($1::regrole)', [role]);
  await admin.query(`DROP ROLE "${role}"`);
  await admin.end();
});

test('the wrapper gives up after 3 attempts while another session holds the lock', async () => {
  const holder = await holdCampaignLock(campaignId);
  const client = await appClient('150ms');
  const attempts = [];
  const sleeps = [];
  let data;
  try {
    data = await callStoredFunction(rpcFor(client), 'track_campaign_cost', {
      p_campaign_id: campaignId, p_service: 'facebook', p_items_processed: 4, p_cost_usd: '0.4',
    }, { sleep: async (ms) => { sleeps.push(ms); }, onAttempt: (n) => attempts.push(n) });
  } finally {
    await holder.release();
    await client.end();
  }
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.deepEqual(sleeps, [1000, 2000]);
  assert.equal(data.success, false);
  assert.equal(data.error_code, '55P03');
  assert.equal(data.error, 'Operation conflict, please retry');
  assert.equal(data.retry_recommended, true);
  assert.deepEqual(await costLedger(), { actual: '0.0000', facebook: '0.0000', ledger: '0', rows: 0 });
});

test('the wrapper succeeds once the holder lets go', async () => {
  const holder = await holdCampaignLock(campaignId);
  const client = await appClient('150ms');
  const attempts = [];
  let data;
  try {
    data = await callStoredFunction(rpcFor(client), 'track_campaign_cost', {
      p_campaign_id: campaignId, p_service: 'facebook', p_items_processed: 4, p_cost_usd: '0.4',
      p_metadata: { idempotency_key: 'node-run-1' },
    }, { sleep: async () => { await holder.release(); }, onAttempt: (n, d) => attempts.push([n, d.success]) });
  } finally {
    await holder.release();
    await client.end();
  }
  assert.deepEqual(attempts, [[1, false], [2, true]]);
  assert.equal(data.success, true);
  assert.equal(data.new_total, 0.4);
  assert.equal(data.service, 'facebook');
  assert.equal(data.replayed, false);
  assert.deepEqual(await costLedger(), { actual: '0.4000', facebook: '0.4000', ledger: '0.4000', rows: 1 });
});

test('a repeated idempotency key is answered without a second charge', async () => {
  const client = await appClient();
  try {
    const data = await callStoredFunction(rpcFor(client), 'track_campaign_cost', {
      p_campaign_id: campaignId, p_service: 'facebook', p_items_processed: 4, p_cost_usd: '0.4',
      p_metadata: { idempotency_key: 'node-run-1' },
    });
    assert.equal(data.success, true);
    assert.equal(data.replayed, true);
    assert.equal(data.new_total, 0.4);
  } finally {
    await client.end();
  }
  assert.deepEqual(await costLedger(), { actual: '0.4000', facebook: '0.4000', ledger: '0.4000', rows: 1 });
});

test('errors a retry cannot fix are returned at once', async () => {
  const client = await appClient();
  const attempts = [];
  const rpc = rpcFor(client);
  const opts = { sleep: async () => { throw new Error('must not sleep'); }, onAttempt: (n) => attempts.push(n) };
  try {
    const unknownService = await callStoredFunction(rpc, 'track_campaign_cost', {
      p_campaign_id: campaignId, p_service: 'openai', p_items_processed: 1, p_cost_usd: '1' }, opts);
    assert.equal(unknownService.error_code, '22023');
    assert.equal(unknownService.retry_recommended, false);
    const unknownCampaign = await callStoredFunction(rpc, 'track_campaign_cost', {
      p_campaign_id: crypto.randomUUID(), p_service: 'bouncer', p_items_processed: 1, p_cost_usd: '1' }, opts);
    assert.deepEqual(unknownCampaign, {
      success: false, error: 'Campaign not found', error_code: 'P0002',
      error_detail: 'campaign not found', retry_recommended: false });
    const duplicate = await callStoredFunction(rpc, 'create_campaign_with_coverage', {
      p_campaign_data: { id: campaignId, name: 'again' }, p_zip_codes: [] }, opts);
    assert.equal(duplicate.error, 'Duplicate record detected');
    assert.equal(duplicate.error_code, '23505');
    const nullZips = await callStoredFunction(rpc, 'create_campaign_with_coverage', {
      p_campaign_data: { name: 'x' }, p_zip_codes: null }, opts);
    assert.equal(nullZips.error_code, '22004');
  } finally {
    await client.end();
  }
  assert.deepEqual(attempts, [1, 1, 1, 1]);
});

test('the JS client mapping of a scraped batch', async () => {
  const client = await appClient();
  try {
    const prefix = campaignId.slice(0, 8);
    const data = await callStoredFunction(rpcFor(client), 'insert_businesses_batch', {
      p_campaign_id: campaignId,
      p_zip_code: '78701',
      p_businesses: [
        { place_id: `${prefix}-n1`, name: 'With mail', email: 'a@b.example', rating: 4.2 },
        { place_id: `${prefix}-n2`, name: 'No mail' },
        { name: 'no place id' },
      ],
    });
    assert.deepEqual(data, { success: true, inserted: 2, updated: 0, skipped: 1, total: 3 });
    const { rows } = await admin.query(
      `SELECT place_id, email_source, needs_enrichment, enrichment_status, country, rating::text
         FROM experiments.gmaps_businesses WHERE place_id LIKE $1 ORDER BY place_id`, [`${prefix}-%`]);
    assert.deepEqual(rows, [
      { place_id: `${prefix}-n1`, email_source: 'google_maps', needs_enrichment: false,
        enrichment_status: 'enriched', country: 'USA', rating: '4.2' },
      { place_id: `${prefix}-n2`, email_source: 'not_found', needs_enrichment: true,
        enrichment_status: 'pending', country: 'USA', rating: null },
    ]);
  } finally {
    await client.end();
  }
});
