-- Campaigns demo: a lead-scraping campaign over four Austin ZIP codes, two
-- scraped batches (the second overlapping the first), costs from three
-- services, one enrichment round and a verified e-mail.  The calls run as
-- demo_app (granted every domain by 00_access.sql), the way a scraper, an
-- enricher and a verifier would make them.
--
-- Try, as demo_app:
--   SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000de301',
--                                          'bouncer', 10, 0.08);
--   SELECT * FROM experiments.claim_businesses_for_enrichment(
--       '00000000-0000-4000-8000-0000000de301', 'linkedin', 5);
--   SELECT experiments.update_campaign_statistics('00000000-0000-4000-8000-0000000de301');
\set ON_ERROR_STOP on

-- idempotent: a re-run starts from scratch
DELETE FROM experiments.gmaps_businesses WHERE place_id LIKE 'demo-%';
DELETE FROM experiments.gmaps_campaigns WHERE id = '00000000-0000-4000-8000-0000000de301';

SET ROLE demo_app;
SELECT experiments.create_campaign_with_coverage(
    '{"id": "00000000-0000-4000-8000-0000000de301", "name": "Austin dentists",
      "description": "Dental practices in central Austin", "keywords": ["dentist", "dental clinic"],
      "location": "Austin, TX", "coverage_profile": "balanced", "created_by": "demo"}',
    '["78701", "78702", {"zip_code": "78703", "max_results": 100}, "78704", "78701"]') AS created;

-- the scraper's first ZIP: three businesses, one without a place_id
SELECT experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000de301', '78701',
    '[{"place_id": "demo-smile", "name": "Smile Dental", "email": "hello@smile.example",
       "phone": "+1 512 555 0101", "city": "Austin", "state": "TX", "rating": 4.8, "reviews_count": 212},
      {"place_id": "demo-bright", "name": "Bright Teeth", "phone": "+1 512 555 0102",
       "city": "Austin", "state": "TX", "rating": 4.4},
      {"name": "A listing without place_id"}]') AS first_batch;
-- the next ZIP finds Bright Teeth again (updated, not duplicated) and a new one
SELECT experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000de301', '78702',
    '[{"place_id": "demo-bright", "name": "Bright Teeth", "website": "https://bright.example"},
      {"place_id": "demo-ortho", "name": "Ortho One", "city": "Austin", "state": "TX"}]') AS second_batch;
SELECT experiments.update_coverage_status('00000000-0000-4000-8000-0000000de301', '78701', 3, 1, 0.04);
SELECT experiments.update_coverage_status('00000000-0000-4000-8000-0000000de301', '78702', 2, 0, 0.03);

-- costs from three services; the scraper's run is charged once even if retried
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000de301', 'google_maps', 5, 0.0700,
    '{"idempotency_key": "apify-run-1", "actor": "google-maps-scraper"}') - 'cost_id' AS charge;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000de301', 'google_maps', 5, 0.0700,
    '{"idempotency_key": "apify-run-1", "actor": "google-maps-scraper"}') - 'cost_id' AS retried_charge;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000de301', 'facebook', 2, 0.0200) - 'cost_id' AS charge;

-- an enricher claims what is left to do and stores what it found
CREATE TEMP TABLE demo_claim AS
SELECT business_id, place_id FROM experiments.claim_businesses_for_enrichment(
    '00000000-0000-4000-8000-0000000de301', 'facebook', 10, '5 minutes');
SELECT place_id FROM demo_claim ORDER BY place_id;
SELECT experiments.update_enrichment_batch('facebook', (
    SELECT jsonb_agg(CASE place_id
        WHEN 'demo-bright' THEN jsonb_build_object('business_id', business_id,
             'facebook_url', 'https://facebook.example/brightteeth',
             'emails', jsonb_build_array('info@bright.example'), 'page_likes', 340)
        ELSE jsonb_build_object('business_id', business_id) END)
      FROM demo_claim)) - 'errors' AS enrichment;
SELECT experiments.update_email_verification(
    (SELECT business_id FROM demo_claim WHERE place_id = 'demo-bright'), 'info@bright.example',
    '{"status": "deliverable", "score": 96, "is_safe": true, "is_disposable": false,
      "is_role_based": true, "is_free_email": false, "domain": "bright.example"}') - 'business_id' AS verification;
SELECT experiments.update_campaign_statistics('00000000-0000-4000-8000-0000000de301') AS statistics;
DROP TABLE demo_claim;
RESET ROLE;
