-- Campaigns domain (seed 004): every routine's behaviour and error paths,
-- one envelope at a time.  Ids are fixed where the output shows them;
-- random ones (cost rows, businesses) are left out of the output.

\set c1 '00000000-0000-4000-8000-0000000c0001'
\set c2 '00000000-0000-4000-8000-0000000c0002'
\set nocampaign '00000000-0000-4000-8000-0000000cffff'

--------------------------------------------------------------------------
-- create_campaign_with_coverage
--------------------------------------------------------------------------
-- defaults of the JS client; duplicate ZIPs collapse, the first one wins
SELECT experiments.create_campaign_with_coverage(
    jsonb_build_object('id', :'c1', 'name', 'Austin dentists',
                       'keywords', jsonb_build_array('dentist', 'orthodontist'),
                       'location', 'Austin, TX'),
    '["78701", {"zip_code": "78702", "max_results": 50, "keywords": ["dental clinic"]},
      "78701", {"zip_code": "78703", "estimated_cost": 0.5}, {"zip_code": "78702"}]');
SELECT name, keywords, location, status, coverage_profile, created_by, target_zip_count,
       actual_zip_count, estimated_cost, actual_cost, total_businesses_found
  FROM experiments.gmaps_campaigns WHERE id = :'c1';
SELECT zip_code, keywords, max_results, estimated_cost, scraped
  FROM experiments.gmaps_campaign_coverage WHERE campaign_id = :'c1' ORDER BY zip_code;
-- every key the seed names, plus status; no ZIPs at all is a campaign too
SELECT experiments.create_campaign_with_coverage(
    jsonb_build_object('id', :'c2', 'name', 'Budget run', 'description', 'd',
                       'coverage_profile', 'budget', 'status', 'running',
                       'organization_id', '00000000-0000-4000-8000-00000000aaaa',
                       'created_by', 'alice', 'custom_zip_codes', jsonb_build_array('10001'),
                       'estimated_cost', 12.5),
    '[]');
SELECT coverage_profile, status, organization_id, created_by, custom_zip_codes,
       estimated_cost, target_zip_count
  FROM experiments.gmaps_campaigns WHERE id = :'c2';
-- 10 000 ZIPs, 2 000 of them repeated: 8 000 distinct
SELECT r - 'campaign_id' AS result, r ->> 'campaign_id' IS NOT NULL AS has_id
  FROM experiments.create_campaign_with_coverage('{"name": "Big"}',
       (SELECT jsonb_agg(lpad((i % 8000)::text, 5, '0')) FROM generate_series(1, 10000) i)) r;
SELECT target_zip_count, actual_zip_count,
       (SELECT count(*) FROM experiments.gmaps_campaign_coverage v WHERE v.campaign_id = c.id) AS rows,
       estimated_cost
  FROM experiments.gmaps_campaigns c WHERE name = 'Big';
-- errors: every one in the envelope, nothing written
SELECT experiments.create_campaign_with_coverage(NULL, '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', NULL);
SELECT experiments.create_campaign_with_coverage('["x"]', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '{"zip_code": "1"}');
SELECT experiments.create_campaign_with_coverage('{}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "  "}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": 5}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x", "keywords": "dentist"}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x", "keywords": ["a", 1]}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x", "status": "done"}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x", "coverage_profile": "max"}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x", "organization_id": "nope"}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x", "estimated_cost": -1}', '[]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '["78701", 78702]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '["78701", ""]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '["12345678901"]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '[{"zip": "78701"}]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '[{"zip_code": "1", "max_results": 0}]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '[{"zip_code": "1", "max_results": 1.5}]');
SELECT experiments.create_campaign_with_coverage('{"name": "x"}', '[{"zip_code": "1", "estimated_cost": "1"}]');
SELECT experiments.create_campaign_with_coverage(jsonb_build_object('name', repeat('n', 256)), '[]');
-- the same id twice: a real unique violation, and the second call left nothing
SELECT experiments.create_campaign_with_coverage(
    jsonb_build_object('id', :'c1', 'name', 'again'), '["99999"]');
SELECT count(*) AS campaigns_named_x_or_again FROM experiments.gmaps_campaigns
 WHERE name IN ('x', 'again');
SELECT count(*) AS stray_coverage FROM experiments.gmaps_campaign_coverage WHERE zip_code = '99999';

--------------------------------------------------------------------------
-- insert_businesses_batch
--------------------------------------------------------------------------
SELECT experiments.insert_businesses_batch(:'c1', '78701', '[
  {"place_id": "p1", "name": "Smile Dental", "email": "hi@smile.example", "rating": 4.5,
   "reviews_count": 120, "categories": ["Dentist", "Clinic"], "city": "Austin",
   "state": "TX", "latitude": 30.2672, "longitude": -97.7431, "hours": {"mon": "9-5"}},
  {"place_id": "p2", "name": "Bright Teeth", "phone": "+1 512 555 0100", "country": "Canada"},
  {"name": "no place id"},
  {"place_id": "p3"},
  {"place_id": "  ", "name": "blank place id"},
  {"place_id": null, "name": "null place id"},
  {"place_id": "p4", "name": "Ortho One", "email": ""},
  {"place_id": "p4", "name": "Ortho One (later entry wins)"}
]');
SELECT place_id, name, zip_code, email, email_source, needs_enrichment, enrichment_status,
       country, rating, reviews_count, categories, state, latitude, hours,
       raw_data ->> 'name' AS raw_name
  FROM experiments.gmaps_businesses WHERE campaign_id = :'c1' ORDER BY place_id;
-- again: p1 exists (kept e-mail, new rating), p2 gets an e-mail, p5 is new;
-- a business another campaign found first stays that campaign's
SELECT experiments.insert_businesses_batch(:'c2', '10001', '[
  {"place_id": "p1", "name": "Smile Dental", "rating": 4.7},
  {"place_id": "p2", "name": "Bright Teeth", "email": "info@bright.example"},
  {"place_id": "p5", "name": "New Place"}
]');
SELECT place_id, campaign_id = :'c1' AS first_campaign, email, email_source,
       needs_enrichment, enrichment_status, rating
  FROM experiments.gmaps_businesses WHERE place_id IN ('p1', 'p2', 'p5') ORDER BY place_id;
-- an empty batch, and 5 000 entries of which every tenth lacks place_id
SELECT experiments.insert_businesses_batch(:'c1', '78701', '[]');
SELECT experiments.insert_businesses_batch(:'c2', '10001',
    (SELECT jsonb_agg(CASE WHEN i % 10 = 0 THEN jsonb_build_object('name', 'n' || i)
                           ELSE jsonb_build_object('place_id', 'bulk-' || i, 'name', 'n' || i) END)
       FROM generate_series(1, 5000) i));
-- errors
SELECT experiments.insert_businesses_batch(NULL, '78701', '[]');
SELECT experiments.insert_businesses_batch(:'c1', NULL, '[]');
SELECT experiments.insert_businesses_batch(:'c1', '78701', NULL);
SELECT experiments.insert_businesses_batch(:'c1', '', '[]');
SELECT experiments.insert_businesses_batch(:'c1', '78701', '{"place_id": "p9"}');
SELECT experiments.insert_businesses_batch(:'c1', '78701', '[{"place_id": "p9", "name": "ok"}, "p10"]');
SELECT experiments.insert_businesses_batch(:'c1', '78701', '[{"place_id": 9, "name": "num"}]');
SELECT experiments.insert_businesses_batch(:'nocampaign', '78701', '[{"place_id": "p9", "name": "x"}]');
SELECT experiments.insert_businesses_batch(:'nocampaign', '78701', '[{"place_id": "p1", "name": "exists"}]');
SELECT experiments.insert_businesses_batch(:'nocampaign', '78701', '[]');
-- a value that does not fit fails the whole batch: p9 was not written
SELECT experiments.insert_businesses_batch(:'c1', '78701',
    '[{"place_id": "p9", "name": "ok"}, {"place_id": "p10", "name": "bad", "rating": "great"}]');
SELECT experiments.insert_businesses_batch(:'c1', '78701',
    '[{"place_id": "p9", "name": "ok"}, {"place_id": "p10", "name": "bad", "state": "Texas"}]');
SELECT count(*) AS p9_rows FROM experiments.gmaps_businesses WHERE place_id IN ('p9', 'p10');
-- a skipped entry is never cast: its "rating" of "great" does not fail the batch
SELECT experiments.insert_businesses_batch(:'c1', '78701',
    '[{"name": "no place id", "rating": "great"}, {"place_id": "p6", "name": "Six", "city": "Austin", "hours": {"tue": "8-4"}}]');
-- a JSON null counts as absent: p6 keeps its hours and city, raw_data is the new entry
SELECT experiments.insert_businesses_batch(:'c1', '78701',
    '[{"place_id": "p6", "name": "Six", "hours": null, "city": null, "categories": null}]');
SELECT place_id, hours, city, categories, raw_data
  FROM experiments.gmaps_businesses WHERE place_id = 'p6';
DELETE FROM experiments.gmaps_businesses WHERE place_id = 'p6';

--------------------------------------------------------------------------
-- track_campaign_cost
--------------------------------------------------------------------------
SELECT r - 'cost_id' AS result
  FROM experiments.track_campaign_cost(:'c1', 'google_maps', 120, 1.23456) r;
SELECT r - 'cost_id' AS result
  FROM experiments.track_campaign_cost(:'c1', 'facebook', 40, 0.5, '{"actor": "fb-1"}') r;
SELECT r - 'cost_id' AS result
  FROM experiments.track_campaign_cost(:'c1', 'linkedin', 10, 2) r;
SELECT r - 'cost_id' AS result
  FROM experiments.track_campaign_cost(:'c1', 'bouncer', 10, 0.00004) r;
-- an idempotency key charges once; the replay is the first call's result
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 5, 0.1, '{"idempotency_key": "run-7"}') AS first \gset
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 5, 0.1, '{"idempotency_key": "run-7"}') AS second \gset
SELECT :'first'::jsonb - 'replayed' = :'second'::jsonb - 'replayed' AS same_result,
       :'first'::jsonb -> 'replayed' AS first_replayed, :'second'::jsonb -> 'replayed' AS second_replayed,
       :'second'::jsonb -> 'new_total' AS new_total;
SELECT experiments.track_campaign_cost(:'c1', 'facebook', 5, 0.1, '{"idempotency_key": "run-7"}');
SELECT actual_cost, google_maps_cost, facebook_cost, linkedin_enrichment_cost,
       bouncer_verification_cost,
       (SELECT sum(cost_usd) FROM experiments.gmaps_api_costs k WHERE k.campaign_id = c.id) AS ledger,
       (SELECT count(*) FROM experiments.gmaps_api_costs k WHERE k.campaign_id = c.id) AS cost_rows
  FROM experiments.gmaps_campaigns c WHERE id = :'c1';
SELECT service, items_processed, cost_usd, total_after, idempotency_key, metadata
  FROM experiments.gmaps_api_costs WHERE campaign_id = :'c1' ORDER BY total_after;
-- errors
SELECT experiments.track_campaign_cost(:'nocampaign', 'bouncer', 1, 1);
SELECT experiments.track_campaign_cost(:'nocampaign', 'bouncer', 1, 1, '{"idempotency_key": "k"}');
SELECT experiments.track_campaign_cost(NULL, 'bouncer', 1, 1);
SELECT experiments.track_campaign_cost(:'c1', NULL, 1, 1);
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', NULL, 1);
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 1, NULL);
SELECT experiments.track_campaign_cost(:'c1', 'openai', 1, 1);
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', -1, 1);
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 1, -0.01);
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 1, 'NaN');
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 1, 1000000);
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 1, 1, '[]');
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 1, 1, '{"idempotency_key": 7}');
SELECT experiments.track_campaign_cost(:'c1', 'bouncer', 1, 1, '{"idempotency_key": ""}');
SELECT actual_cost AS unchanged FROM experiments.gmaps_campaigns WHERE id = :'c1';

--------------------------------------------------------------------------
-- update_coverage_status
--------------------------------------------------------------------------
SELECT experiments.update_coverage_status(:'c1', '78701', 25, 7, 0.75);
SELECT zip_code, scraped, scraped_at IS NOT NULL AS has_time, businesses_found, emails_found, actual_cost
  FROM experiments.gmaps_campaign_coverage WHERE campaign_id = :'c1' ORDER BY zip_code;
SELECT experiments.update_coverage_status(:'c1', '99999', 1, 1, 1);
SELECT experiments.update_coverage_status(:'nocampaign', '78701', 1, 1, 1);
SELECT experiments.update_coverage_status(:'c1', '78701', -1, 1, 1);
SELECT experiments.update_coverage_status(:'c1', '78701', 1, NULL, 1);
SELECT experiments.update_coverage_status(:'c1', '78701', 1, 1, -1);

--------------------------------------------------------------------------
-- get_businesses_for_enrichment and claim_businesses_for_enrichment
--------------------------------------------------------------------------
SELECT place_id, name, email, enrichment_status, needs_enrichment
  FROM experiments.get_businesses_for_enrichment(:'c1', 'facebook');
SELECT place_id FROM experiments.get_businesses_for_enrichment(:'c1', 'linkedin', 2, 1);
SELECT count(*) FROM experiments.get_businesses_for_enrichment(:'c2', 'facebook', 10000);
SELECT count(*) FROM experiments.get_businesses_for_enrichment(:'c2', 'facebook', 10, 100000);
-- a claim takes the oldest free ones; a second claim gets the next ones
SELECT place_id, claimed_until > now() AS leased
  FROM experiments.claim_businesses_for_enrichment(:'c1', 'facebook', 1);
SELECT place_id FROM experiments.claim_businesses_for_enrichment(:'c1', 'facebook', 5);
SELECT count(*) AS nothing_left FROM experiments.claim_businesses_for_enrichment(:'c1', 'facebook');
-- the LinkedIn lease is separate
SELECT place_id FROM experiments.claim_businesses_for_enrichment(:'c1', 'linkedin', 5, '1 second')
 ORDER BY place_id;
-- an expired lease can be claimed again
UPDATE experiments.gmaps_businesses SET facebook_claimed_until = now() - interval '1 second'
 WHERE place_id = 'p4';
SELECT place_id FROM experiments.claim_businesses_for_enrichment(:'c1', 'facebook');
-- errors are plain errors here
\set VERBOSITY terse
SELECT * FROM experiments.get_businesses_for_enrichment(:'c1', 'instagram');
SELECT * FROM experiments.get_businesses_for_enrichment(:'c1', NULL);
SELECT * FROM experiments.get_businesses_for_enrichment(NULL, 'facebook');
SELECT * FROM experiments.get_businesses_for_enrichment(:'c1', 'facebook', 0);
SELECT * FROM experiments.get_businesses_for_enrichment(:'c1', 'facebook', 10, -1);
SELECT * FROM experiments.get_businesses_for_enrichment(:'nocampaign', 'facebook');
SELECT * FROM experiments.claim_businesses_for_enrichment(:'c1', 'twitter');
SELECT * FROM experiments.claim_businesses_for_enrichment(:'c1', 'facebook', 10, '0 seconds');
SELECT * FROM experiments.claim_businesses_for_enrichment(:'c1', 'facebook', 10, '8 days');
SELECT * FROM experiments.claim_businesses_for_enrichment(:'c1', 'facebook', 10, NULL);
SELECT * FROM experiments.claim_businesses_for_enrichment(:'nocampaign', 'facebook');
\set VERBOSITY default

--------------------------------------------------------------------------
-- update_enrichment_batch
--------------------------------------------------------------------------
SELECT id AS p1 FROM experiments.gmaps_businesses WHERE place_id = 'p1' \gset
SELECT id AS p2 FROM experiments.gmaps_businesses WHERE place_id = 'p2' \gset
SELECT id AS p4 FROM experiments.gmaps_businesses WHERE place_id = 'p4' \gset
SELECT experiments.update_enrichment_batch('facebook', jsonb_build_array(
    jsonb_build_object('business_id', :'p4', 'facebook_url', 'https://facebook.example/ortho',
                       'emails', jsonb_build_array('ortho@one.example', 'x@one.example'),
                       'phone_numbers', jsonb_build_array('+1 512 555 0199'), 'page_likes', 10),
    jsonb_build_object('business_id', :'p2'),
    jsonb_build_object('business_id', 'not-a-uuid'),
    jsonb_build_object('facebook_url', 'no business'),
    42,
    jsonb_build_object('business_id', :'nocampaign'),
    jsonb_build_object('business_id', :'p1', 'campaign_id', :'nocampaign'),
    jsonb_build_object('business_id', :'p1', 'page_likes', 'many'))) AS r \gset
SELECT :'r'::jsonb - 'errors' AS result;
SELECT e ->> 'index' AS index, e ->> 'error_code' AS code, e ->> 'error' AS error,
       e ->> 'error_detail' AS detail, e -> 'retry_recommended' AS retry,
       e ->> 'business_id' = :'p1' AS is_p1
  FROM jsonb_array_elements(:'r'::jsonb -> 'errors') e;
SELECT place_id, email, email_source, facebook_url, enrichment_status, needs_enrichment,
       enrichment_attempts, last_enrichment_attempt IS NOT NULL AS attempted,
       facebook_claimed_until IS NULL AS lease_ended
  FROM experiments.gmaps_businesses WHERE place_id IN ('p1', 'p2', 'p4') ORDER BY place_id;
SELECT b.place_id, f.facebook_url, f.primary_email, f.emails, f.phone_numbers, f.page_likes, f.success
  FROM experiments.gmaps_facebook_enrichments f JOIN experiments.gmaps_businesses b ON b.id = f.business_id
 ORDER BY b.place_id;
SELECT experiments.update_enrichment_batch('linkedin', jsonb_build_array(
    jsonb_build_object('business_id', :'p1', 'linkedin_url', 'https://linkedin.example/in/dr-smile',
                       'person_name', 'Dr Smile', 'person_title', 'Owner',
                       'emails_found', jsonb_build_array('dr@smile.example'))));
SELECT place_id, email, linkedin_enriched, linkedin_url FROM experiments.gmaps_businesses
 WHERE place_id = 'p1';
SELECT experiments.update_enrichment_batch('twitter', '[]');
SELECT experiments.update_enrichment_batch(NULL, '[]');
SELECT experiments.update_enrichment_batch('facebook', NULL);
SELECT experiments.update_enrichment_batch('facebook', '{}');
SELECT experiments.update_enrichment_batch('linkedin', '[]');

--------------------------------------------------------------------------
-- update_email_verification
--------------------------------------------------------------------------
SELECT r - 'business_id' AS result, r ->> 'business_id' = :'p4' AS same_business
  FROM experiments.update_email_verification(:'p4', 'Ortho@One.example',
    '{"status": "deliverable", "score": 97.5, "is_safe": true, "is_disposable": false,
      "is_role_based": false, "is_free_email": false, "domain": "one.example",
      "provider": "mx.one.example", "reason": "accepted_email", "raw_response": {"id": 1}}') r;
SELECT place_id, email_verified, bouncer_status, bouncer_score, bouncer_reason, is_safe,
       bouncer_verified_at IS NOT NULL AS verified_at
  FROM experiments.gmaps_businesses WHERE place_id = 'p4';
SELECT email_verified, bouncer_status, bouncer_score, bouncer_raw_response
  FROM experiments.gmaps_facebook_enrichments WHERE business_id = :'p4';
SELECT email, status, score, is_safe, domain, facebook_enrichment_id IS NOT NULL AS linked
  FROM experiments.gmaps_email_verifications;
-- an address of the LinkedIn row only: the business keeps its own fields
SELECT r - 'business_id' AS result
  FROM experiments.update_email_verification(:'p1', 'dr@smile.example', '{"status": "risky", "is_safe": false}') r;
SELECT email_verified, bouncer_status FROM experiments.gmaps_businesses WHERE place_id = 'p1';
SELECT bouncer_status, email_status, is_safe FROM experiments.gmaps_linkedin_enrichments
 WHERE business_id = :'p1';
-- errors; a named enrichment row that does not exist is a real foreign key violation
SELECT experiments.update_email_verification(:'p4', 'x@y.example',
    '{"status": "deliverable", "facebook_enrichment_id": "00000000-0000-4000-8000-000000000bad"}');
SELECT experiments.update_email_verification(:'nocampaign', 'x@y.example', '{"status": "deliverable"}');
SELECT experiments.update_email_verification(NULL, 'x@y.example', '{"status": "deliverable"}');
SELECT experiments.update_email_verification(:'p4', NULL, '{"status": "deliverable"}');
SELECT experiments.update_email_verification(:'p4', 'x@y.example', NULL);
SELECT experiments.update_email_verification(:'p4', 'x@y.example', '{}');
SELECT experiments.update_email_verification(:'p4', 'x@y.example', '{"status": "ok", "score": 101}');
SELECT experiments.update_email_verification(:'p4', 'x@y.example', '{"status": "ok", "is_safe": "yes"}');
SELECT experiments.update_email_verification(:'p4', 'x@y.example', '{"status": "ok", "facebook_enrichment_id": "x"}');
SELECT count(*) AS log_rows FROM experiments.gmaps_email_verifications;

--------------------------------------------------------------------------
-- update_campaign_statistics
--------------------------------------------------------------------------
SELECT experiments.update_campaign_statistics(:'c1');
SELECT total_businesses_found, total_emails_found, total_facebook_pages_found,
       total_linkedin_profiles_found, total_verified_emails, coverage_percentage
  FROM experiments.gmaps_campaigns WHERE id = :'c1';
SELECT experiments.update_campaign_statistics(:'c2');
SELECT experiments.update_campaign_statistics(:'nocampaign');
SELECT experiments.update_campaign_statistics(NULL);

-- the envelope restores the caller's lock_timeout
SET lock_timeout = '250ms';
SELECT (experiments.update_campaign_statistics(:'c1')) ->> 'success' AS ok;
SHOW lock_timeout;
RESET lock_timeout;

-- clean up
DELETE FROM experiments.gmaps_campaigns;
