-- The hostile caller (SPEC section 4) against the campaigns routines: every
-- one is called as regress_hostile with a hostile search_path, shadow
-- tables in pg_temp and public and shadowing "=" operators; the results are
-- the normal caller's.

\i test/sql/include/hostile_setup.sql

SET ROLE regress_hostile;
SET search_path = pg_temp, public, pg_catalog, experiments;

SELECT experiments.create_campaign_with_coverage(
    '{"id": "00000000-0000-4000-8000-0000000ce001", "name": "Hostile campaign",
      "keywords": ["plumber"]}',
    '["60601", {"zip_code": "60602", "max_results": 20}, "60601"]');
SELECT experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000ce001', '60601',
    '[{"place_id": "hostile-1", "name": "Pipes", "email": "p@pipes.example"},
      {"place_id": "hostile-2", "name": "Drains"}, {"name": "no place"}]');
SELECT experiments.insert_businesses_batch('00000000-0000-4000-8000-0000000ce001', '60601',
    '[{"place_id": "hostile-2", "name": "Drains Inc"}]');
SELECT r - 'cost_id' AS charged
  FROM experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ce001', 'google_maps', 3, 0.0300) r;
SELECT r - 'cost_id' AS charged
  FROM experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ce001', 'bouncer', 1, 0.0100,
                                       '{"idempotency_key": "hostile"}') r;
SELECT r - 'cost_id' AS replayed
  FROM experiments.track_campaign_cost('00000000-0000-4000-8000-0000000ce001', 'bouncer', 1, 0.0100,
                                       '{"idempotency_key": "hostile"}') r;
SELECT experiments.track_campaign_cost('00000000-0000-4000-8000-0000000cefff', 'bouncer', 1, 1);
SELECT experiments.update_coverage_status('00000000-0000-4000-8000-0000000ce001', '60601', 2, 1, 0.03);
SELECT place_id, name, email FROM experiments.get_businesses_for_enrichment(
    '00000000-0000-4000-8000-0000000ce001', 'linkedin');
SELECT place_id, claimed_until IS NOT NULL AS leased FROM experiments.claim_businesses_for_enrichment(
    '00000000-0000-4000-8000-0000000ce001', 'facebook', 10, '1 minute');
SELECT business_id AS hostile_b2 FROM experiments.get_businesses_for_enrichment(
    '00000000-0000-4000-8000-0000000ce001', 'linkedin', 1, 1) \gset
SELECT r - 'errors' AS enriched, jsonb_array_length(r -> 'errors') AS errors
  FROM experiments.update_enrichment_batch('facebook', jsonb_build_array(
       jsonb_build_object('business_id', :'hostile_b2', 'facebook_url', 'https://facebook.example/drains',
                          'emails', jsonb_build_array('d@drains.example')),
       jsonb_build_object('business_id', 'nope'))) r;
SELECT r - 'business_id' AS verified
  FROM experiments.update_email_verification(:'hostile_b2', 'd@drains.example',
       '{"status": "deliverable", "is_safe": true}') r;
SELECT experiments.update_campaign_statistics('00000000-0000-4000-8000-0000000ce001');

RESET ROLE;
SET search_path = pg_temp, public, pg_catalog, experiments;
SELECT actual_cost, bouncer_verification_cost, total_businesses_found, total_emails_found,
       total_facebook_pages_found, total_verified_emails, target_zip_count
  FROM experiments.gmaps_campaigns
 WHERE id OPERATOR(pg_catalog.=) '00000000-0000-4000-8000-0000000ce001';
DELETE FROM experiments.gmaps_campaigns
 WHERE id OPERATOR(pg_catalog.=) '00000000-0000-4000-8000-0000000ce001';

RESET ROLE;
RESET search_path;

\i test/sql/include/hostile_teardown.sql
