"""The orchestration management routines (part 2) the way duroxide's client
and ProviderAdmin call them: custom status polling, KV reads, instance
statistics, listings and info, metrics and depths, deleting a tree the way
the trait's default delete_instance does (get_parent_id, then a
breadth-first walk of list_children, then delete_instances_atomic), and
pruning.  psycopg 3 for the calls, asyncpg for the read-only role.

Everything runs in a hub of its own, as roles with only the orchestration
grant (one of them read-only).
"""
import asyncio
import json
import os
import uuid

import asyncpg
import psycopg
import pytest

from conftest import conninfo

T0 = 1767225600000


def ev(event_id, kind, **fields):
    data = {"event_id": event_id, "type": kind}
    data.update(fields)
    return {"event_id": event_id, "event_type": "Event", "event_data": json.dumps(data)}


@pytest.fixture
def roles(admin):
    app = "client_mgmt_" + uuid.uuid4().hex[:8]
    reader = "client_mgmt_ro_" + uuid.uuid4().hex[:8]
    for role, ro in ((app, False), (reader, True)):
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute("SELECT count(*) FROM experiments.grant_access(%s::regrole, ARRAY['orchestration'], %s)",
                      (role, ro))
    yield app, reader
    for role in (app, reader):
        admin.execute("SELECT count(*) FROM experiments.revoke_access(%s::regrole)", (role,))
        admin.execute(f'DROP OWNED BY "{role}"')
        admin.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def hub(roles, admin):
    app, reader = roles
    name = "mgmt_" + uuid.uuid4().hex[:6]
    with psycopg.connect(conninfo(user=app), autocommit=True) as conn:
        conn.execute("SELECT experiments.initialize_schema(%s)", (name,))
    # the reader was granted before the hub existed: initialize_schema again
    # copies the default hub's grants to the hub's functions
    admin.execute("SELECT experiments.initialize_schema(%s)", (name,))
    yield name
    with psycopg.connect(conninfo(user=app), autocommit=True) as conn:
        conn.execute(f"SELECT {name}.cleanup_schema()")


def turn(conn, hub, instance, now, execution, events, metadata, orch_items=()):
    row = conn.execute(f"SELECT out_instance_id, out_lock_token FROM {hub}.fetch_orchestration_item(%s, 30000)",
                       (now,)).fetchone()
    assert row is not None and row[0] == instance
    conn.execute(f"SELECT {hub}.ack_orchestration_item(%s, %s, %s, %s, '[]', %s, %s)",
                 (row[1], now, execution, json.dumps(events), json.dumps(list(orch_items)),
                  json.dumps(metadata)))


def poke(conn, hub, instance, now, item=None):
    item = item or {"ExternalRaised": {"instance": instance, "name": "go", "data": ""}}
    conn.execute(f"SELECT {hub}.enqueue_orchestrator_work(%s, %s, to_timestamp(%s / 1000.0))",
                 (instance, json.dumps(item), now))


def md(status, parent=None, **extra):
    m = {"orchestration_name": "Order", "orchestration_version": "1.0.0", "status": status,
         "output": "done" if status == "Completed" else None, "parent_instance_id": parent}
    m.update(extra)
    return m


def test_management_roundtrip(roles, hub):
    app, reader = roles
    with psycopg.connect(conninfo(user=app), autocommit=True) as conn:
        # a parent with two children, the parent continues as new once
        poke(conn, hub, "o-1", T0, {"StartOrchestration": {"instance": "o-1", "orchestration": "Order",
                                                           "input": "", "execution_id": 1}})
        turn(conn, hub, "o-1", T0, 1, [ev(1, "OrchestrationStarted")],
             md("Running", custom_status_action="set", custom_status_value="step 1",
                kv_mutations=[{"action": "set", "key": "total", "value": "42"}]))
        for i, child in enumerate(("o-1-a", "o-1-b")):
            poke(conn, hub, child, T0 + 10 + i, {"StartOrchestration": {"instance": child, "orchestration": "Order",
                                                                        "input": "", "execution_id": 1}})
            turn(conn, hub, child, T0 + 10 + i, 1, [ev(1, "OrchestrationStarted")], md("Completed", "o-1"))
        poke(conn, hub, "o-1", T0 + 20)
        turn(conn, hub, "o-1", T0 + 20, 1, [ev(2, "OrchestrationContinuedAsNew")], md("ContinuedAsNew"),
             [{"ContinueAsNew": {"instance": "o-1", "orchestration": "Order", "input": ""}}])
        turn(conn, hub, "o-1", T0 + 30, 2,
             [ev(1, "OrchestrationStarted", carry_forward_events=[["x", "1"]])], md("Running"))

        # the client polls its custom status
        assert conn.execute(f"SELECT * FROM {hub}.get_custom_status('o-1', 0)").fetchall() == [("step 1", 1)]
        assert conn.execute(f"SELECT * FROM {hub}.get_custom_status('o-1', 1)").fetchall() == []
        # KV merged at ContinueAsNew
        assert conn.execute(f"SELECT * FROM {hub}.get_kv_value('o-1', 'total')").fetchone() == ("42", True)
        history_bytes = conn.execute(f"SELECT sum(octet_length(out_event_data)) FROM {hub}.fetch_history('o-1')"
                                     ).fetchone()[0]
        assert conn.execute(f"SELECT * FROM {hub}.get_instance_stats('o-1')").fetchone() == \
            (True, 1, history_bytes, 1, 1, 2)

        # ProviderAdmin::delete_instance on a child is refused (it has a parent) ...
        assert conn.execute(f"SELECT {hub}.get_parent_id('o-1-a')").fetchone()[0] == "o-1"
        # ... on the root without force too (it is running)
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="is Running"):
            conn.execute(f"SELECT * FROM {hub}.delete_instances_atomic(ARRAY['o-1'], false)")
        with pytest.raises(psycopg.errors.NoDataFound, match="Instance not found: nobody"):
            conn.execute(f"SELECT {hub}.get_parent_id('nobody')")

    async def read_only_checks():
        c = await asyncpg.connect(host=os.environ.get("PGHOST", "localhost"),
                                  port=int(os.environ.get("PGPORT", "5432")), user=reader,
                                  database=os.environ.get("PGDATABASE", "postgres"))
        try:
            assert [r[0] for r in await c.fetch(f"SELECT * FROM {hub}.list_instances()")] == \
                ["o-1-b", "o-1-a", "o-1"]
            assert [r[0] for r in await c.fetch(f"SELECT * FROM {hub}.list_instances_by_status('Completed')")] == \
                ["o-1-b", "o-1-a"]
            assert [r[0] for r in await c.fetch(f"SELECT * FROM {hub}.list_executions('o-1')")] == [1, 2]
            assert await c.fetchval(f"SELECT {hub}.latest_execution_id('o-1')") == 2
            info = await c.fetchrow(f"SELECT * FROM {hub}.get_instance_info('o-1')")
            assert (info["status"], info["current_execution_id"], info["parent_instance_id"]) == ("Running", 2, None)
            ex = await c.fetchrow(f"SELECT * FROM {hub}.get_execution_info('o-1', 1)")
            assert (ex["status"], ex["event_count"]) == ("ContinuedAsNew", 2)
            m = await c.fetchrow(f"SELECT * FROM {hub}.get_system_metrics()")
            assert tuple(m.values()) == (3, 4, 1, 2, 0, 5)
            d = await c.fetchrow(f"SELECT * FROM {hub}.get_queue_depths($1)", T0 + 100)
            assert tuple(d.values()) == (0, 0)
            # the read-only grant cannot delete
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                await c.fetch(f"SELECT * FROM {hub}.delete_instances_atomic(ARRAY['o-1'], true)")
        finally:
            await c.close()

    asyncio.run(read_only_checks())

    with psycopg.connect(conninfo(user=app), autocommit=True) as conn:
        # prune, then the trait's delete_instance: tree by list_children, one atomic delete
        assert conn.execute(f"SELECT * FROM {hub}.prune_executions('o-1', 1)").fetchone() == (1, 1, 2)
        tree, queue = [], ["o-1"]
        while queue:
            node = queue.pop(0)
            tree.append(node)
            queue += [r[0] for r in conn.execute(f"SELECT * FROM {hub}.list_children(%s)", (node,))]
        assert tree == ["o-1", "o-1-a", "o-1-b"]
        assert conn.execute(f"SELECT * FROM {hub}.delete_instances_atomic(%s, true)", (tree,)).fetchone() == \
            (3, 3, 3, 0)
        assert conn.execute(f"SELECT count(*) FROM {hub}.list_instances()").fetchone()[0] == 0
