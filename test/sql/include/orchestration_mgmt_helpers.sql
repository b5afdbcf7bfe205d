-- Helpers of the orchestration management tests: drive instances through
-- part 1's enqueue/fetch/ack the way the duroxide runtime does, in the hub
-- named by the setting mgmt_t.hub (each test file uses a hub of its own, so
-- rows other tests leave in the default hub never meet it).  Superuser only.
SET client_min_messages = warning;   -- the schema may exist already
CREATE SCHEMA IF NOT EXISTS mgmt_t;
RESET client_min_messages;

CREATE OR REPLACE FUNCTION mgmt_t.hub() RETURNS text LANGUAGE sql AS $$
    SELECT quote_ident(current_setting('mgmt_t.hub'))
$$;

-- One history_delta element: an Event of this kind with these fields.
CREATE OR REPLACE FUNCTION mgmt_t.ev(p_inst text, p_exec bigint, p_id bigint, p_type text,
                                     p_fields jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('event_id', p_id, 'event_type', 'Event',
             'event_data', (jsonb_build_object('event_id', p_id, 'source_event_id', NULL,
                'instance_id', p_inst, 'execution_id', p_exec, 'timestamp_ms', 0,
                'duroxide_version', '0.1.29', 'type', p_type) || p_fields)::text)
$$;

-- Queue a StartOrchestration for p_inst (optionally as a child).
CREATE OR REPLACE FUNCTION mgmt_t.start(p_inst text, p_now bigint, p_exec bigint DEFAULT 1)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT %s.enqueue_orchestrator_work($1, $2, $3)', mgmt_t.hub())
      USING p_inst,
        jsonb_build_object('StartOrchestration', jsonb_build_object('instance', p_inst,
            'orchestration', 'Orch', 'input', '{}', 'version', '1.0.0',
            'parent_instance', NULL, 'parent_id', NULL, 'execution_id', p_exec))::text,
        to_timestamp(p_now / 1000.0);
END $$;

-- Fetch the next item (it must be p_inst) and return its lock token.
CREATE OR REPLACE FUNCTION mgmt_t.fetch(p_inst text, p_now bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    EXECUTE format('SELECT * FROM %s.fetch_orchestration_item($1, 60000)', mgmt_t.hub())
       INTO r USING p_now;
    IF r.out_instance_id IS DISTINCT FROM p_inst THEN
        RAISE EXCEPTION 'fetched % instead of %', r.out_instance_id, p_inst;
    END IF;
    RETURN r.out_lock_token;
END $$;

-- Metadata of a turn: name/version, status, optional parent, plus extras.
CREATE OR REPLACE FUNCTION mgmt_t.md(p_status text DEFAULT NULL, p_extra jsonb DEFAULT '{}',
                                     p_parent text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('orchestration_name', 'Orch', 'orchestration_version', '1.0.0',
                              'status', p_status, 'output',
                              CASE WHEN p_status IN ('Completed', 'Failed') THEN 'out' END,
                              'parent_instance_id', p_parent) || p_extra
$$;

-- One whole turn: fetch p_inst, ack with these events, metadata and items.
CREATE OR REPLACE FUNCTION mgmt_t.turn(p_inst text, p_now bigint, p_exec bigint,
                                       p_events jsonb, p_md jsonb,
                                       p_worker jsonb DEFAULT '[]', p_orch jsonb DEFAULT '[]')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT %s.ack_orchestration_item($1, $2, $3, $4, $5, $6, $7)', mgmt_t.hub())
      USING mgmt_t.fetch(p_inst, p_now), p_now, p_exec, p_events, p_worker, p_orch, p_md;
END $$;

-- A message that wakes p_inst up (so it can be fetched for another turn).
CREATE OR REPLACE FUNCTION mgmt_t.poke(p_inst text, p_now bigint, p_name text DEFAULT 'go')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT %s.enqueue_orchestrator_work($1, $2, $3)', mgmt_t.hub())
      USING p_inst,
        jsonb_build_object('ExternalRaised', jsonb_build_object('instance', p_inst,
            'name', p_name, 'data', '1'))::text,
        to_timestamp(p_now / 1000.0);
END $$;

-- Start p_inst and run its first turn (OrchestrationStarted), Running.
CREATE OR REPLACE FUNCTION mgmt_t.create(p_inst text, p_now bigint, p_parent text DEFAULT NULL,
                                         p_extra jsonb DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM mgmt_t.start(p_inst, p_now);
    PERFORM mgmt_t.turn(p_inst, p_now, 1,
        jsonb_build_array(mgmt_t.ev(p_inst, 1, 1, 'OrchestrationStarted',
            jsonb_build_object('name', 'Orch', 'version', '1.0.0', 'input', '{}',
                               'parent_instance', p_parent, 'parent_id', NULL))),
        mgmt_t.md('Running', p_extra, p_parent));
END $$;

-- Complete p_inst's execution p_exec (poke + turn with OrchestrationCompleted).
CREATE OR REPLACE FUNCTION mgmt_t.finish(p_inst text, p_now bigint, p_exec bigint,
                                         p_event_id bigint, p_status text DEFAULT 'Completed',
                                         p_extra jsonb DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM mgmt_t.poke(p_inst, p_now);
    PERFORM mgmt_t.turn(p_inst, p_now, p_exec,
        jsonb_build_array(mgmt_t.ev(p_inst, p_exec, p_event_id,
            CASE p_status WHEN 'Failed' THEN 'OrchestrationFailed'
                          WHEN 'ContinuedAsNew' THEN 'OrchestrationContinuedAsNew'
                          ELSE 'OrchestrationCompleted' END)),
        mgmt_t.md(p_status, p_extra));
END $$;

-- ContinueAsNew: finish execution p_exec as ContinuedAsNew and run the
-- first turn of p_exec + 1 with p_carry carried-forward events.
CREATE OR REPLACE FUNCTION mgmt_t.continue_as_new(p_inst text, p_now bigint, p_exec bigint,
                                                  p_event_id bigint, p_carry int DEFAULT 0,
                                                  p_extra jsonb DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM mgmt_t.poke(p_inst, p_now);
    PERFORM mgmt_t.turn(p_inst, p_now, p_exec,
        jsonb_build_array(mgmt_t.ev(p_inst, p_exec, p_event_id, 'OrchestrationContinuedAsNew',
                                    '{"input": "{}"}')),
        mgmt_t.md('ContinuedAsNew', p_extra),
        '[]'::jsonb,
        jsonb_build_array(jsonb_build_object('ContinueAsNew', jsonb_build_object(
            'instance', p_inst, 'orchestration', 'Orch', 'input', '{}', 'version', '1.0.0',
            'carry_forward_events', '[]'::jsonb))));
    PERFORM mgmt_t.turn(p_inst, p_now + 1, p_exec + 1,
        jsonb_build_array(mgmt_t.ev(p_inst, p_exec + 1, 1, 'OrchestrationStarted',
            jsonb_build_object('name', 'Orch', 'version', '1.0.0', 'input', '{}',
                               'parent_instance', NULL, 'parent_id', NULL,
                               'carry_forward_events',
                               (SELECT COALESCE(jsonb_agg(jsonb_build_array('ev', g::text)), '[]')
                                  FROM generate_series(1, p_carry) g)))),
        mgmt_t.md('Running'));
END $$;

-- Fetch p_inst for a turn that changes nothing, and return what fetch
-- handed out as its KV snapshot (the ack consumes the wake-up message).
CREATE OR REPLACE FUNCTION mgmt_t.snapshot(p_inst text, p_now bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    PERFORM mgmt_t.poke(p_inst, p_now, 'peek');
    EXECUTE format('SELECT * FROM %s.fetch_orchestration_item($1, 60000)', mgmt_t.hub())
       INTO r USING p_now;
    IF r.out_instance_id IS DISTINCT FROM p_inst THEN
        RAISE EXCEPTION 'fetched % instead of %', r.out_instance_id, p_inst;
    END IF;
    EXECUTE format('SELECT %s.ack_orchestration_item($1, $2, $3, ''[]'', ''[]'', ''[]'', ''{}'')',
                   mgmt_t.hub())
      USING r.out_lock_token, p_now, r.out_execution_id;
    RETURN jsonb_build_object('execution', r.out_execution_id, 'kv_snapshot', r.out_kv_snapshot);
END $$;
