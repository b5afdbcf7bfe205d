-- track_campaign_cost's direct write path (src/campaigns/charge.c): the same
-- rows and errors as the SQL it replaces, every constraint and default of
-- the tables honoured, and SQL again whenever the tables are not as shipped.
CREATE SCHEMA chargetest;
CREATE FUNCTION chargetest.path() RETURNS text
    LANGUAGE C VOLATILE AS 'experiments', 'experiments_selftest_charge_path';

INSERT INTO experiments.gmaps_campaigns (id, name) VALUES
    ('00000000-0000-4000-8000-0000000c0001', 'charge test'),
    ('00000000-0000-4000-8000-0000000c0002', 'near the numeric(14,4) limit');
UPDATE experiments.gmaps_campaigns SET actual_cost = 9999999999.9990
 WHERE id = '00000000-0000-4000-8000-0000000c0002';

-- a plain charge: direct; the ledger row carries the rounded amount, the
-- metadata, the new total and the defaults (id, incurred_at = created_at = now())
BEGIN;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001',
                                       'linkedin', 7, 1.23456, '{"run": "r1"}') - 'cost_id' AS charged;
SELECT chargetest.path();
SELECT c.service, c.items_processed, c.cost_usd, c.metadata, c.total_after,
       c.idempotency_key IS NULL AS no_key, c.id IS NOT NULL AS has_id,
       c.incurred_at = now() AS incurred_now, c.created_at = now() AS created_now
  FROM experiments.gmaps_api_costs c
 WHERE c.campaign_id = '00000000-0000-4000-8000-0000000c0001';
SELECT actual_cost, google_maps_cost, facebook_cost, linkedin_enrichment_cost,
       bouncer_verification_cost, updated_at = now() AS updated_now
  FROM experiments.gmaps_campaigns WHERE id = '00000000-0000-4000-8000-0000000c0001';
COMMIT;

-- each service adds to its own column; the returned cost_id is the ledger row's
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', s, 1, 0.5)->>'new_total' AS new_total
  FROM unnest(ARRAY['google_maps', 'facebook', 'bouncer']) AS s;
CREATE TEMP TABLE charge_result AS
    SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'facebook', 1, 0.25) AS r;
SELECT count(*) AS ledger_rows
  FROM experiments.gmaps_api_costs c, charge_result
 WHERE c.id = (r->>'cost_id')::uuid AND c.total_after = (r->>'new_total')::numeric
   AND c.service = 'facebook' AND c.cost_usd = 0.25;
SELECT actual_cost, google_maps_cost, facebook_cost, linkedin_enrichment_cost,
       bouncer_verification_cost,
       actual_cost = (SELECT sum(cost_usd) FROM experiments.gmaps_api_costs
                       WHERE campaign_id = '00000000-0000-4000-8000-0000000c0001') AS ledger_adds_up
  FROM experiments.gmaps_campaigns WHERE id = '00000000-0000-4000-8000-0000000c0001';

-- unknown campaign: P0002, nothing written
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c00ff', 'facebook', 1, 1);
SELECT chargetest.path();

-- the total's numeric(14,4) overflows: 22003, and neither table changed
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0002', 'bouncer', 1, 1) - 'error_detail';
SELECT actual_cost, bouncer_verification_cost,
       (SELECT count(*) FROM experiments.gmaps_api_costs
         WHERE campaign_id = '00000000-0000-4000-8000-0000000c0002') AS ledger_rows
  FROM experiments.gmaps_campaigns WHERE id = '00000000-0000-4000-8000-0000000c0002';

-- a CHECK constraint added by the owner (NOT VALID: other tests' campaigns
-- may break it) holds for the charge's new versions on the direct path (23514),
-- and the path sees it at once: ALTER TABLE invalidates what it cached
BEGIN;
ALTER TABLE experiments.gmaps_campaigns ADD CONSTRAINT charge_budget CHECK (actual_cost <= 10) NOT VALID;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'facebook', 1, 20) - 'error_detail';
SELECT chargetest.path();
ALTER TABLE experiments.gmaps_api_costs ADD CONSTRAINT charge_small CHECK (cost_usd < 1) NOT VALID;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'facebook', 1, 2) - 'error_detail';
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'facebook', 1, 0.5)->'success' AS small_ok;
ROLLBACK;

-- a changed column default is used
BEGIN;
ALTER TABLE experiments.gmaps_api_costs ALTER COLUMN incurred_at SET DEFAULT '2001-02-03 04:05:06+00';
ALTER TABLE experiments.gmaps_api_costs ALTER COLUMN actor_name SET DEFAULT 'charge-test';
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'facebook', 1, 0.1)->'success' AS ok;
SELECT chargetest.path();
SELECT incurred_at AT TIME ZONE 'UTC' AS incurred_at, actor_name
  FROM experiments.gmaps_api_costs
 WHERE campaign_id = '00000000-0000-4000-8000-0000000c0001' ORDER BY total_after DESC LIMIT 1;
ROLLBACK;

-- a trigger on either table: SQL does the charge, and the trigger fires
CREATE FUNCTION chargetest.note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '% % on %', TG_WHEN, TG_OP, TG_TABLE_NAME;
    RETURN NEW;
END $$;
BEGIN;
CREATE TRIGGER charge_note AFTER INSERT ON experiments.gmaps_api_costs
    FOR EACH ROW EXECUTE FUNCTION chargetest.note();
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'google_maps', 1, 0.1)->'success' AS ok;
SELECT chargetest.path();
ROLLBACK;
BEGIN;
CREATE TRIGGER charge_note BEFORE UPDATE ON experiments.gmaps_campaigns
    FOR EACH ROW EXECUTE FUNCTION chargetest.note();
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'google_maps', 1, 0.1)->'success' AS ok;
SELECT chargetest.path();
ROLLBACK;
-- and once it is gone, direct again
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'google_maps', 1, 0.1)->'success' AS ok;
SELECT chargetest.path();

-- row-level security on either table: SQL, which applies it
BEGIN;
ALTER TABLE experiments.gmaps_campaigns ENABLE ROW LEVEL SECURITY;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'google_maps', 1, 0.1)->'success' AS ok;
SELECT chargetest.path();
ROLLBACK;

-- a read-only transaction (or a hot standby) cannot charge: 25006 in the
-- envelope, as the SQL path gives
BEGIN TRANSACTION READ ONLY;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'google_maps', 1, 0.1) - 'error_detail' AS refused;
ROLLBACK;

-- a campaign deleted earlier in the caller's transaction is not found; one
-- locked by the caller is charged (the caller's lock is its own)
BEGIN;
SELECT 1 FROM experiments.gmaps_campaigns WHERE id = '00000000-0000-4000-8000-0000000c0001' FOR UPDATE;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'google_maps', 1, 0.1)->'success' AS ok;
DELETE FROM experiments.gmaps_campaigns WHERE id = '00000000-0000-4000-8000-0000000c0001';
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000c0001', 'google_maps', 1, 0.1)->>'error_code' AS code;
ROLLBACK;

-- the final state: the totals equal the ledger, to the cent and per service
SELECT actual_cost = sum_all AS total_ok,
       google_maps_cost = sum_gm AND facebook_cost = sum_fb AND
       linkedin_enrichment_cost = sum_li AND bouncer_verification_cost = sum_bo AS services_ok
  FROM experiments.gmaps_campaigns g,
       LATERAL (SELECT sum(cost_usd) AS sum_all,
                       coalesce(sum(cost_usd) FILTER (WHERE service = 'google_maps'), 0) AS sum_gm,
                       coalesce(sum(cost_usd) FILTER (WHERE service = 'facebook'), 0) AS sum_fb,
                       coalesce(sum(cost_usd) FILTER (WHERE service = 'linkedin'), 0) AS sum_li,
                       coalesce(sum(cost_usd) FILTER (WHERE service = 'bouncer'), 0) AS sum_bo
                  FROM experiments.gmaps_api_costs c WHERE c.campaign_id = g.id) s
 WHERE g.id = '00000000-0000-4000-8000-0000000c0001';

DELETE FROM experiments.gmaps_campaigns WHERE id IN ('00000000-0000-4000-8000-0000000c0001',
                                                     '00000000-0000-4000-8000-0000000c0002');
DROP SCHEMA chargetest CASCADE;
