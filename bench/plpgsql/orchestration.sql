-- Bench data and PL/pgSQL reference of the orchestration domain.
--
--   bench_orch      a hub made by experiments.initialize_schema: the C functions
--   bench_orch_pl   the same tables, with fetch_orchestration_item and
--                   ack_orchestration_item written in PL/pgSQL straight from
--                   the duroxide-pg contract (reference/duroxide-contract.md
--                   section 2.2: candidate, advisory lock, re-check with SKIP
--                   LOCKED, conditional upsert, batch tagging; ack in steps 1-12)
--                   The batch's queue rows are found through their instance
--                   (instance_id = ... AND lock_token = ...): a hub has no index
--                   on lock_token, so that tagging is a heap-only update.
--
-- Both hold 100 000 finished instances (an instance row, a Completed execution
-- and four history events each), so the turns run beside realistic tables.
-- Run once per benchmark cluster; safe to run again, it starts from scratch.

SET client_min_messages = warning;
SELECT experiments.initialize_schema('bench_orch');
SELECT bench_orch.cleanup_schema();
SELECT experiments.initialize_schema('bench_orch');
DROP SCHEMA IF EXISTS bench_orch_pl CASCADE;
CREATE SCHEMA bench_orch_pl;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['instances', 'executions', 'history', 'orchestrator_queue',
                             'worker_queue', 'instance_locks', 'sessions', 'kv_store', 'kv_delta']
    LOOP
        -- LIKE copies no storage parameters: the queues' fillfactor is added
        EXECUTE format('CREATE TABLE bench_orch_pl.%I (LIKE bench_orch.%I INCLUDING ALL)%s',
                       t, t,
                       (SELECT coalesce(' WITH (' || array_to_string(c.reloptions, ', ') || ')', '')
                          FROM pg_class c
                         WHERE c.oid = format('bench_orch.%I', t)::regclass));
    END LOOP;
END $$;

-- 100 000 finished instances in each
DO $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['bench_orch', 'bench_orch_pl']
    LOOP
        EXECUTE format($f$
            INSERT INTO %1$I.instances (instance_id, orchestration_name, orchestration_version,
                                        current_execution_id, created_at, updated_at)
            SELECT 'done-' || g, 'Finished', '1.0.0', 1, to_timestamp(g), to_timestamp(g + 1)
              FROM generate_series(1, 100000) g;
            INSERT INTO %1$I.executions (instance_id, execution_id, status, output, started_at,
                                         completed_at)
            SELECT 'done-' || g, 1, 'Completed', '"ok"', to_timestamp(g), to_timestamp(g + 1)
              FROM generate_series(1, 100000) g;
            INSERT INTO %1$I.history (instance_id, execution_id, event_id, event_type, event_data,
                                      created_at)
            SELECT 'done-' || g, 1, e, k,
                   jsonb_build_object('event_id', e, 'instance_id', 'done-' || g, 'execution_id', 1,
                                      'type', k, 'name', 'Finished')::text,
                   to_timestamp(g)
              FROM generate_series(1, 100000) g,
                   unnest(ARRAY['OrchestrationStarted', 'ActivityScheduled', 'ActivityCompleted',
                                'OrchestrationCompleted']) WITH ORDINALITY AS x(k, e)
            $f$, s);
    END LOOP;
END $$;
VACUUM ANALYZE bench_orch.instances, bench_orch_pl.instances,
               bench_orch.executions, bench_orch.history,
               bench_orch_pl.executions, bench_orch_pl.history;

CREATE SEQUENCE bench_orch_pl.new_instance;

--------------------------------------------------------------------------
-- fetch_orchestration_item, PL/pgSQL (duroxide-pg migration 0017 form)
--------------------------------------------------------------------------
CREATE FUNCTION bench_orch_pl.fetch_orchestration_item(
    p_now_ms bigint, p_lock_timeout_ms bigint,
    p_min_version_packed bigint DEFAULT NULL, p_max_version_packed bigint DEFAULT NULL)
RETURNS TABLE (out_instance_id text, out_orchestration_name text, out_orchestration_version text,
               out_execution_id bigint, out_history jsonb, out_messages jsonb, out_lock_token text,
               out_attempt_count integer, out_kv_snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz := to_timestamp(p_now_ms / 1000.0);
    v_instance text;
    v_token text;
    v_locked_until bigint := p_now_ms + p_lock_timeout_ms;
    v_rows integer;
    v_messages jsonb;
    v_attempts integer;
    v_name text;
    v_version text;
    v_exec bigint;
    v_history jsonb;
    v_kv jsonb;
BEGIN
    LOOP
        -- phase 1: a candidate, no row locks
        SELECT q.instance_id INTO v_instance
          FROM bench_orch_pl.orchestrator_queue q
          LEFT JOIN bench_orch_pl.instances i ON i.instance_id = q.instance_id
          LEFT JOIN bench_orch_pl.executions e
                 ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
         WHERE q.visible_at <= v_now
           AND NOT EXISTS (SELECT 1 FROM bench_orch_pl.instance_locks l
                            WHERE l.instance_id = q.instance_id AND l.locked_until > p_now_ms)
           AND (p_min_version_packed IS NULL OR e.duroxide_version_major IS NULL
                OR (e.duroxide_version_major * 1000000 + e.duroxide_version_minor * 1000
                    + e.duroxide_version_patch) BETWEEN p_min_version_packed AND p_max_version_packed)
         ORDER BY q.visible_at, q.id
         LIMIT 1;
        IF v_instance IS NULL THEN
            RETURN;
        END IF;

        -- phase 2: serialize on the instance
        PERFORM pg_advisory_xact_lock(hashtext(v_instance));

        -- phase 3: re-check with row locks
        PERFORM 1 FROM bench_orch_pl.orchestrator_queue q
         WHERE q.instance_id = v_instance AND q.visible_at <= v_now
           AND NOT EXISTS (SELECT 1 FROM bench_orch_pl.instance_locks l
                            WHERE l.instance_id = q.instance_id AND l.locked_until > p_now_ms)
         LIMIT 1
           FOR UPDATE OF q SKIP LOCKED;
        IF NOT FOUND THEN
            v_instance := NULL;
            CONTINUE;
        END IF;

        v_token := 'lock_' || gen_random_uuid()::text;
        INSERT INTO bench_orch_pl.instance_locks (instance_id, lock_token, locked_until, locked_at)
        VALUES (v_instance, v_token, v_locked_until, p_now_ms)
        ON CONFLICT (instance_id) DO UPDATE
           SET lock_token = EXCLUDED.lock_token, locked_until = EXCLUDED.locked_until,
               locked_at = EXCLUDED.locked_at
         WHERE bench_orch_pl.instance_locks.locked_until <= p_now_ms;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows = 0 THEN
            v_instance := NULL;
            CONTINUE;
        END IF;

        UPDATE bench_orch_pl.orchestrator_queue
           SET lock_token = v_token, locked_until = v_locked_until, attempt_count = attempt_count + 1
         WHERE instance_id = v_instance AND visible_at <= v_now
           AND (lock_token IS NULL OR locked_until <= p_now_ms);

        SELECT jsonb_agg(q.work_item::jsonb ORDER BY q.id) INTO v_messages
          FROM bench_orch_pl.orchestrator_queue q
         WHERE q.instance_id = v_instance AND q.lock_token = v_token;
        SELECT COALESCE(max(q.attempt_count), 1) INTO v_attempts
          FROM bench_orch_pl.orchestrator_queue q
         WHERE q.instance_id = v_instance AND q.lock_token = v_token;

        SELECT i.orchestration_name, COALESCE(i.orchestration_version, 'unknown'),
               i.current_execution_id
          INTO v_name, v_version, v_exec
          FROM bench_orch_pl.instances i WHERE i.instance_id = v_instance;
        IF FOUND THEN
            SELECT COALESCE(jsonb_agg(h.event_data::jsonb ORDER BY h.event_id), '[]') INTO v_history
              FROM bench_orch_pl.history h
             WHERE h.instance_id = v_instance AND h.execution_id = v_exec;
        ELSE
            SELECT COALESCE(jsonb_agg(h.event_data::jsonb ORDER BY h.execution_id, h.event_id), '[]')
              INTO v_history
              FROM bench_orch_pl.history h WHERE h.instance_id = v_instance;
            IF v_messages -> 0 ? 'StartOrchestration' THEN
                v_name := v_messages -> 0 -> 'StartOrchestration' ->> 'orchestration';
                v_version := COALESCE(v_messages -> 0 -> 'StartOrchestration' ->> 'version', 'unknown');
                v_exec := COALESCE((v_messages -> 0 -> 'StartOrchestration' ->> 'execution_id')::bigint, 1);
            ELSIF v_messages -> 0 ? 'ContinueAsNew' THEN
                v_name := v_messages -> 0 -> 'ContinueAsNew' ->> 'orchestration';
                v_version := COALESCE(v_messages -> 0 -> 'ContinueAsNew' ->> 'version', 'unknown');
                v_exec := 1;
            ELSE
                v_name := 'Unknown';
                v_version := 'unknown';
                v_exec := 1;
            END IF;
        END IF;

        SELECT COALESCE(jsonb_object_agg(k.key, jsonb_build_object('value', k.value,
                                         'last_updated_at_ms', k.last_updated_at_ms)), '{}')
          INTO v_kv
          FROM bench_orch_pl.kv_store k WHERE k.instance_id = v_instance;

        RETURN QUERY SELECT v_instance, v_name, v_version, v_exec, v_history, v_messages,
                            v_token, v_attempts, v_kv;
        RETURN;
    END LOOP;
END $$;

--------------------------------------------------------------------------
-- ack_orchestration_item, PL/pgSQL (steps 1-12 of the contract)
--------------------------------------------------------------------------
CREATE FUNCTION bench_orch_pl.ack_orchestration_item(
    p_lock_token text, p_now_ms bigint, p_execution_id bigint, p_history_delta jsonb,
    p_worker_items jsonb, p_orchestrator_items jsonb, p_metadata jsonb,
    p_cancelled_activities jsonb DEFAULT '[]')
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_now timestamptz := to_timestamp(p_now_ms / 1000.0);
    v_instance text;
    v_name text := p_metadata ->> 'orchestration_name';
    v_version text := p_metadata ->> 'orchestration_version';
    v_parent text := p_metadata ->> 'parent_instance_id';
    v_status text := p_metadata ->> 'status';
    v_output text := p_metadata ->> 'output';
    v_terminal boolean;
    v_pinned jsonb := p_metadata -> 'pinned_duroxide_version';
    v_mut jsonb;
    v_elem jsonb;
BEGIN
    -- 1. validate
    SELECT instance_id INTO v_instance FROM bench_orch_pl.instance_locks
     WHERE lock_token = p_lock_token AND locked_until > p_now_ms;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Invalid lock token';
    END IF;
    v_terminal := v_status IN ('Completed', 'ContinuedAsNew', 'Failed');

    -- 3. instance from metadata
    IF v_name IS NOT NULL AND v_version IS NOT NULL THEN
        INSERT INTO bench_orch_pl.instances (instance_id, orchestration_name, orchestration_version,
                                             current_execution_id, parent_instance_id,
                                             created_at, updated_at)
        VALUES (v_instance, v_name, v_version, p_execution_id, v_parent, v_now, v_now)
        ON CONFLICT (instance_id) DO NOTHING;
        UPDATE bench_orch_pl.instances
           SET orchestration_name = v_name, orchestration_version = v_version,
               parent_instance_id = COALESCE(parent_instance_id, v_parent), updated_at = v_now
         WHERE instance_id = v_instance;
    END IF;

    -- 4. execution, idempotent
    INSERT INTO bench_orch_pl.executions (instance_id, execution_id, status, started_at)
    VALUES (v_instance, p_execution_id, 'Running', v_now)
    ON CONFLICT (instance_id, execution_id) DO NOTHING;

    -- 5. pointer
    UPDATE bench_orch_pl.instances
       SET current_execution_id = GREATEST(current_execution_id, p_execution_id), updated_at = v_now
     WHERE instance_id = v_instance;

    -- 6. history
    INSERT INTO bench_orch_pl.history (instance_id, execution_id, event_id, event_type,
                                       event_data, created_at)
    SELECT v_instance, p_execution_id, (elem ->> 'event_id')::bigint, elem ->> 'event_type',
           elem ->> 'event_data', v_now
      FROM jsonb_array_elements(p_history_delta) AS elem;

    -- 7. status and output
    IF v_status IS NOT NULL THEN
        UPDATE bench_orch_pl.executions
           SET status = v_status, output = v_output,
               completed_at = CASE WHEN v_status IN ('Completed', 'Failed') THEN v_now END
         WHERE instance_id = v_instance AND execution_id = p_execution_id;
    END IF;
    -- 7b. pinned version
    IF v_pinned IS NOT NULL AND jsonb_typeof(v_pinned) = 'object' THEN
        UPDATE bench_orch_pl.executions
           SET duroxide_version_major = (v_pinned ->> 'major')::int,
               duroxide_version_minor = (v_pinned ->> 'minor')::int,
               duroxide_version_patch = (v_pinned ->> 'patch')::int
         WHERE instance_id = v_instance AND execution_id = p_execution_id;
    END IF;
    -- 7c. custom status
    IF p_metadata ->> 'custom_status_action' = 'set' THEN
        UPDATE bench_orch_pl.instances
           SET custom_status = p_metadata ->> 'custom_status_value',
               custom_status_version = custom_status_version + 1
         WHERE instance_id = v_instance;
    ELSIF p_metadata ->> 'custom_status_action' = 'clear' THEN
        UPDATE bench_orch_pl.instances
           SET custom_status = NULL, custom_status_version = custom_status_version + 1
         WHERE instance_id = v_instance;
    END IF;
    -- 7d. KV mutations
    FOR v_mut IN SELECT * FROM jsonb_array_elements(COALESCE(p_metadata -> 'kv_mutations', '[]'))
    LOOP
        IF v_mut ->> 'action' = 'set' THEN
            INSERT INTO bench_orch_pl.kv_delta (instance_id, key, value, last_updated_at_ms)
            VALUES (v_instance, v_mut ->> 'key', v_mut ->> 'value',
                    COALESCE((v_mut ->> 'last_updated_at_ms')::bigint, p_now_ms))
            ON CONFLICT (instance_id, key) DO UPDATE
               SET value = EXCLUDED.value, last_updated_at_ms = EXCLUDED.last_updated_at_ms;
        ELSIF v_mut ->> 'action' = 'clear_key' THEN
            INSERT INTO bench_orch_pl.kv_delta (instance_id, key, value, last_updated_at_ms)
            VALUES (v_instance, v_mut ->> 'key', NULL, p_now_ms)
            ON CONFLICT (instance_id, key) DO UPDATE SET value = NULL, last_updated_at_ms = p_now_ms;
        ELSIF v_mut ->> 'action' = 'clear_all' THEN
            UPDATE bench_orch_pl.kv_delta SET value = NULL, last_updated_at_ms = p_now_ms
             WHERE instance_id = v_instance;
            INSERT INTO bench_orch_pl.kv_delta (instance_id, key, value, last_updated_at_ms)
            SELECT v_instance, s.key, NULL, p_now_ms FROM bench_orch_pl.kv_store s
             WHERE s.instance_id = v_instance
            ON CONFLICT (instance_id, key) DO NOTHING;
        END IF;
    END LOOP;
    -- 7e. merge on a terminal status
    IF v_terminal THEN
        INSERT INTO bench_orch_pl.kv_store (instance_id, key, value, execution_id, last_updated_at_ms)
        SELECT v_instance, d.key, d.value, p_execution_id, d.last_updated_at_ms
          FROM bench_orch_pl.kv_delta d WHERE d.instance_id = v_instance AND d.value IS NOT NULL
        ON CONFLICT (instance_id, key) DO UPDATE
           SET value = EXCLUDED.value, execution_id = EXCLUDED.execution_id,
               last_updated_at_ms = EXCLUDED.last_updated_at_ms;
        DELETE FROM bench_orch_pl.kv_store s USING bench_orch_pl.kv_delta d
         WHERE s.instance_id = v_instance AND d.instance_id = v_instance AND s.key = d.key
           AND d.value IS NULL;
        DELETE FROM bench_orch_pl.kv_delta WHERE instance_id = v_instance;
    END IF;

    -- 8. worker items
    FOR v_elem IN SELECT * FROM jsonb_array_elements(p_worker_items)
    LOOP
        IF v_elem ? 'ActivityExecute' THEN
            INSERT INTO bench_orch_pl.worker_queue (work_item, visible_at, created_at, instance_id,
                                                    execution_id, activity_id, session_id, tag)
            VALUES (v_elem::text, v_now, v_now, v_elem -> 'ActivityExecute' ->> 'instance',
                    (v_elem -> 'ActivityExecute' ->> 'execution_id')::bigint,
                    (v_elem -> 'ActivityExecute' ->> 'id')::bigint,
                    v_elem -> 'ActivityExecute' ->> 'session_id',
                    v_elem -> 'ActivityExecute' ->> 'tag');
        ELSE
            INSERT INTO bench_orch_pl.worker_queue (work_item, visible_at, created_at)
            VALUES (v_elem::text, v_now, v_now);
        END IF;
    END LOOP;

    -- 9. cancelled activities, after the inserts
    DELETE FROM bench_orch_pl.worker_queue q
     USING jsonb_array_elements(p_cancelled_activities) c
     WHERE q.instance_id = c ->> 'instance'
       AND q.execution_id = (c ->> 'execution_id')::bigint
       AND q.activity_id = (c ->> 'activity_id')::bigint;

    -- 10. orchestrator items
    FOR v_elem IN SELECT * FROM jsonb_array_elements(p_orchestrator_items)
    LOOP
        INSERT INTO bench_orch_pl.orchestrator_queue (instance_id, work_item, visible_at, created_at)
        VALUES (COALESCE(v_elem -> 'StartOrchestration' ->> 'instance',
                         v_elem -> 'ContinueAsNew' ->> 'instance',
                         v_elem -> 'TimerFired' ->> 'instance',
                         v_elem -> 'ActivityCompleted' ->> 'instance',
                         v_elem -> 'ActivityFailed' ->> 'instance',
                         v_elem -> 'ExternalRaised' ->> 'instance',
                         v_elem -> 'CancelInstance' ->> 'instance',
                         v_elem -> 'QueueMessage' ->> 'instance',
                         v_elem -> 'SubOrchCompleted' ->> 'parent_instance',
                         v_elem -> 'SubOrchFailed' ->> 'parent_instance',
                         v_instance),
                v_elem::text,
                CASE WHEN (v_elem -> 'TimerFired' ->> 'fire_at_ms')::bigint > 0
                     THEN to_timestamp((v_elem -> 'TimerFired' ->> 'fire_at_ms')::bigint / 1000.0)
                     ELSE v_now END,
                v_now);
    END LOOP;

    -- 11. the fetched batch, 12. the lock
    DELETE FROM bench_orch_pl.orchestrator_queue
     WHERE instance_id = v_instance AND lock_token = p_lock_token;
    DELETE FROM bench_orch_pl.instance_locks
     WHERE instance_id = v_instance AND lock_token = p_lock_token;
END $$;
RESET client_min_messages;
