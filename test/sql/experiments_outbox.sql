-- Experiments: the outbox relay and the leads queue.
-- Generated ids and timestamps are never printed.
\set VERBOSITY default
-- experiment ids in messages are this file's own: start its sequence at 5000
SELECT setval('experiments.experiments_id_seq', 5000) AS seq_base \gset

-- start from an empty outbox: mark processed what earlier tests left
WITH u AS (UPDATE experiments.outbox_events SET processed_at = now() WHERE processed_at IS NULL RETURNING 1)
SELECT count(*) >= 0 AS drained FROM u;
SELECT count(*) AS pending FROM experiments.outbox_events WHERE processed_at IS NULL;

SELECT experiment_id AS exp FROM experiments.create_experiment('ob-exp', 'Outbox',
    p_status => 'active', p_variants => '[{"key": "only", "allocation_pct": 100}]') \gset
SELECT count(*) FROM generate_series(1, 5) g, experiments.get_or_create_assignment(:exp, 'ob-' || g);

--------------------------------------------------------------------------
-- claim: oldest first, leased; a second claim skips leased rows
--------------------------------------------------------------------------
SELECT aggregate_type, event_type, payload->>'user_id' AS user_id
  FROM experiments.claim_outbox_events(2);
SELECT payload->>'user_id' AS user_id FROM experiments.claim_outbox_events(10, 30);
SELECT count(*) AS nothing_left FROM experiments.claim_outbox_events();
SELECT count(*) AS leased FROM experiments.outbox_events
 WHERE processed_at IS NULL AND claimed_until > now();
-- an expired lease is claimed again
UPDATE experiments.outbox_events SET claimed_until = now() - interval '1 second'
 WHERE payload->>'user_id' IN ('ob-1', 'ob-2');
SELECT payload->>'user_id' AS user_id FROM experiments.claim_outbox_events();
-- acknowledge: processed once; unknown and repeated ids count nothing
SELECT experiments.ack_outbox_events(ARRAY(
    SELECT id FROM experiments.outbox_events WHERE payload->>'user_id' IN ('ob-1', 'ob-2', 'ob-3'))) AS acked;
SELECT experiments.ack_outbox_events(ARRAY(
    SELECT id FROM experiments.outbox_events WHERE payload->>'user_id' IN ('ob-1', 'ob-2'))
    || ARRAY[-5::bigint, NULL]) AS acked_again;
UPDATE experiments.outbox_events SET claimed_until = now() - interval '1 second'
 WHERE processed_at IS NULL;
SELECT payload->>'user_id' AS user_id FROM experiments.claim_outbox_events();
SELECT experiments.ack_outbox_events('{}') AS acked_none;
-- bad input
SELECT * FROM experiments.claim_outbox_events(0);
SELECT * FROM experiments.claim_outbox_events(10001);
SELECT * FROM experiments.claim_outbox_events(10, 0);
SELECT * FROM experiments.claim_outbox_events(NULL);
SELECT experiments.ack_outbox_events(NULL);
SELECT experiments.ack_outbox_events(ARRAY[[1, 2]]);

--------------------------------------------------------------------------
-- leads: idempotent capture by lower-cased email; claims; status
--------------------------------------------------------------------------
SELECT is_new FROM experiments.capture_lead('Ann@Example.COM', 'landing', 'B', '{"utm_source": "ads"}');
SELECT lead_id AS ann FROM experiments.capture_lead('ann@example.com') \gset
SELECT is_new FROM experiments.capture_lead('  ann@example.com') ;
SELECT email, source, variant, status, attributes, converted_at IS NULL AS unconverted
  FROM experiments.leads WHERE id = :ann;
SELECT is_new FROM experiments.capture_lead('bo@example.com');
SELECT is_new FROM experiments.capture_lead('cy@example.com', 'simulator', NULL, NULL);
SELECT * FROM experiments.capture_lead(NULL);
SELECT * FROM experiments.capture_lead('not-an-email');
SELECT * FROM experiments.capture_lead('a@b');
SELECT * FROM experiments.capture_lead('a b@example.com');
SELECT * FROM experiments.capture_lead('x@example.com', NULL);
SELECT * FROM experiments.capture_lead('x@example.com', 'web', repeat('v', 256));
SELECT * FROM experiments.capture_lead('x@example.com', 'web', NULL, '[]');
SELECT count(*) AS x_leads FROM experiments.leads WHERE email LIKE 'x@%';
-- claims: oldest waitlisted first
BEGIN;
SELECT email, status FROM experiments.claim_leads('waitlist', 2);
SELECT experiments.set_lead_status(:ann, 'invited') AS changed;
COMMIT;
SELECT email FROM experiments.claim_leads();
SELECT experiments.set_lead_status(:ann, 'invited') AS changed;
SELECT experiments.set_lead_status(:ann, 'active') AS changed;
SELECT status, converted_at IS NOT NULL AS converted FROM experiments.leads WHERE id = :ann;
SELECT email FROM experiments.claim_leads('active');
SELECT experiments.set_lead_status(-1, 'active');
SELECT experiments.set_lead_status(:ann, 'gone');
SELECT experiments.set_lead_status(NULL, 'active');
SELECT * FROM experiments.claim_leads('lost');
SELECT * FROM experiments.claim_leads('waitlist', 0);
