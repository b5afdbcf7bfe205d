"""The orchestration routines driven the way duroxide's runtime drives its
provider (duroxide-pg calls the same functions from Rust).

A small runtime in Python: an orchestration dispatcher that fetches an
instance, replays what it needs from the history and messages and acks a
turn, and two worker loops on threads that fetch activities, run them and
ack their completions.  The orchestration fans out 5 activities, waits for
all of them, continues as new once, and completes with their sum.

Everything runs in a hub of its own (initialize_schema), as a role that has
only the orchestration grant, with psycopg 3; the history and the final
status are checked at the end.
"""
import json
import threading
import time
import uuid

import psycopg
import pytest

from conftest import conninfo

VERSION = "0.1.29"


def now_ms():
    return int(time.time() * 1000)


def event(event_id, instance, execution, kind, **fields):
    """One history_delta element, with the Event JSON the runtime stores."""
    data = {"event_id": event_id, "source_event_id": fields.pop("source", None),
            "instance_id": instance, "execution_id": execution,
            "timestamp_ms": now_ms(), "duroxide_version": VERSION, "type": kind}
    data.update(fields)
    return {"event_id": event_id, "event_type": "Event", "event_data": json.dumps(data)}


@pytest.fixture
def orch_role(admin):
    role = "client_orch_" + uuid.uuid4().hex[:8]
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    admin.execute("SELECT count(*) FROM experiments.grant_access(%s::regrole, ARRAY['orchestration'])",
                  (role,))
    yield role
    admin.execute("SELECT count(*) FROM experiments.revoke_access(%s::regrole)", (role,))
    admin.execute(f'DROP OWNED BY "{role}"')
    admin.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def hub(orch_role):
    """A hub of its own, made and dropped by the application role."""
    name = "client hub " + uuid.uuid4().hex[:6]     # a name that needs quoting
    with psycopg.connect(conninfo(user=orch_role), autocommit=True) as conn:
        conn.execute("SELECT experiments.initialize_schema(%s)", (name,))
    quoted = '"' + name.replace('"', '""') + '"'
    yield quoted
    with psycopg.connect(conninfo(user=orch_role), autocommit=True) as conn:
        conn.execute(f"SELECT {quoted}.cleanup_schema()")


class Runtime:
    """The provider calls of duroxide's dispatchers, against one hub."""

    def __init__(self, role, hub):
        self.role = role
        self.hub = hub

    def connect(self):
        return psycopg.connect(conninfo(user=self.role), autocommit=True)

    # orchestrator side
    def start(self, conn, instance, orchestration, payload):
        item = {"StartOrchestration": {"instance": instance, "orchestration": orchestration,
                                       "input": json.dumps(payload), "version": "1.0.0",
                                       "parent_instance": None, "parent_id": None,
                                       "execution_id": 1}}
        conn.execute(f"SELECT {self.hub}.enqueue_orchestrator_work(%s, %s, to_timestamp(%s / 1000.0))",
                     (instance, json.dumps(item), now_ms()))

    def fetch_orchestration(self, conn):
        row = conn.execute(
            f"SELECT * FROM {self.hub}.fetch_orchestration_item(%s, %s, %s, %s)",
            (now_ms(), 5000, 1000, 1999)).fetchone()
        return row

    def ack_orchestration(self, conn, token, execution, history, worker, orchestrator, metadata):
        conn.execute(
            f"SELECT {self.hub}.ack_orchestration_item(%s, %s, %s, %s, %s, %s, %s, '[]')",
            (token, now_ms(), execution, json.dumps(history), json.dumps(worker),
             json.dumps(orchestrator), json.dumps(metadata)))

    # worker side
    def fetch_work(self, conn, owner):
        return conn.execute(
            f"SELECT * FROM {self.hub}.fetch_work_item(%s, %s, %s, %s, NULL, 'default_only')",
            (now_ms(), 30000, owner, 30000)).fetchone()

    def ack_work(self, conn, token, instance, completion):
        conn.execute(f"SELECT {self.hub}.ack_worker(%s, %s, %s, %s)",
                     (token, instance, json.dumps(completion), now_ms()))


def orchestrate(runtime, conn, item):
    """One orchestration turn of FanOutSum: decide from history + messages."""
    instance, name, version, execution, history, messages, token, attempts, kv = item
    next_id = len(history) + 1
    delta, worker, orchestrator = [], [], []
    metadata = {"orchestration_name": name, "orchestration_version": "1.0.0",
                "status": "Running", "output": None, "parent_instance_id": None,
                "pinned_duroxide_version": {"major": 0, "minor": 1, "patch": 29}}
    kinds = [e["type"] for e in history]
    for message in messages:
        (variant, body), = message.items()
        if variant in ("StartOrchestration", "ContinueAsNew"):
            payload = json.loads(body["input"])
            delta.append(event(next_id, instance, execution, "OrchestrationStarted",
                               name=name, version="1.0.0", input=body["input"],
                               parent_instance=None, parent_id=None))
            next_id += 1
            if payload["round"] == 1:
                for n in range(1, 6):
                    delta.append(event(next_id, instance, execution, "ActivityScheduled",
                                       name="Square", input=str(n)))
                    worker.append({"ActivityExecute": {"instance": instance, "execution_id": execution,
                                                       "id": next_id, "name": "Square",
                                                       "input": str(n)}})
                    next_id += 1
            else:
                delta.append(event(next_id, instance, execution, "OrchestrationCompleted",
                                   output=str(payload["carried"])))
                next_id += 1
                metadata.update(status="Completed", output=str(payload["carried"]))
        elif variant == "ActivityCompleted":
            delta.append(event(next_id, instance, execution, "ActivityCompleted",
                               source=body["id"], result=body["result"]))
            next_id += 1
    done = [e for e in history if e["type"] == "ActivityCompleted"] + \
        [json.loads(d["event_data"]) for d in delta if json.loads(d["event_data"])["type"] == "ActivityCompleted"]
    if "OrchestrationContinuedAsNew" not in kinds and len(done) == 5 and metadata["status"] == "Running":
        total = sum(int(e["result"]) for e in done)
        delta.append(event(next_id, instance, execution, "OrchestrationContinuedAsNew",
                           input=json.dumps({"round": 2, "carried": total})))
        metadata.update(status="ContinuedAsNew", output=json.dumps({"round": 2, "carried": total}))
        orchestrator.append({"ContinueAsNew": {"instance": instance, "orchestration": name,
                                               "input": json.dumps({"round": 2, "carried": total}),
                                               "version": "1.0.0", "carry_forward_events": []}})
        # the next execution is acked with execution + 1 by the next turn
    runtime.ack_orchestration(conn, token, execution, delta, worker, orchestrator, metadata)
    return metadata["status"]


def worker_loop(runtime, owner, stop, done, errors):
    try:
        with runtime.connect() as conn:
            while not stop.is_set():
                row = runtime.fetch_work(conn, owner)
                if row is None:
                    time.sleep(0.01)
                    continue
                work_item, token, attempts = row
                body = json.loads(work_item)["ActivityExecute"]
                result = int(body["input"]) ** 2
                runtime.ack_work(conn, token, body["instance"],
                                 {"ActivityCompleted": {"instance": body["instance"],
                                                        "execution_id": body["execution_id"],
                                                        "id": body["id"], "result": str(result)}})
                done.append((owner, body["id"]))
    except Exception as exc:       # reported by the test thread
        errors.append(exc)


def test_fan_out_continue_as_new_complete(admin, orch_role, hub):
    runtime = Runtime(orch_role, hub)
    instance = "order-" + uuid.uuid4().hex[:8]
    stop = threading.Event()
    done, errors = [], []
    workers = [threading.Thread(target=worker_loop, args=(runtime, f"worker-{i}", stop, done, errors))
               for i in (1, 2)]
    for w in workers:
        w.start()
    statuses = []
    try:
        with runtime.connect() as conn:
            runtime.start(conn, instance, "FanOutSum", {"round": 1})
            deadline = time.time() + 60
            while time.time() < deadline and (not statuses or statuses[-1] != "Completed"):
                item = runtime.fetch_orchestration(conn)
                if item is None:
                    time.sleep(0.01)
                    continue
                # a ContinueAsNew message starts the next execution
                if any("ContinueAsNew" in m for m in item[5]):
                    item = list(item)
                    item[3] += 1
                    item[4] = []
                statuses.append(orchestrate(runtime, conn, item))
    finally:
        stop.set()
        for w in workers:
            w.join(10)
    assert not errors
    assert statuses[-1] == "Completed"
    assert "ContinuedAsNew" in statuses
    assert sorted(activity for _, activity in done) == [2, 3, 4, 5, 6]

    with runtime.connect() as conn:
        latest = [json.loads(r[0]) for r in
                  conn.execute(f"SELECT * FROM {hub}.fetch_history(%s)", (instance,))]
        first = [json.loads(r[0]) for r in
                 conn.execute(f"SELECT * FROM {hub}.fetch_history_with_execution(%s, 1)", (instance,))]
        # the application role cannot read the hub's tables directly
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT * FROM {hub}.instances")

    assert [e["type"] for e in latest] == ["OrchestrationStarted", "OrchestrationCompleted"]
    assert latest[-1]["output"] == str(1 + 4 + 9 + 16 + 25)
    assert [e["event_id"] for e in first] == list(range(1, 13))
    kinds = [e["type"] for e in first]
    assert kinds[0] == "OrchestrationStarted"
    assert kinds[1:6] == ["ActivityScheduled"] * 5
    assert sorted(kinds[6:11]) == ["ActivityCompleted"] * 5
    assert kinds[11] == "OrchestrationContinuedAsNew"
    assert sorted(int(e["result"]) for e in first if e["type"] == "ActivityCompleted") == [1, 4, 9, 16, 25]

    executions = admin.execute(
        f"SELECT execution_id, status, output, duroxide_version_minor, duroxide_version_patch"
        f"  FROM {hub}.executions WHERE instance_id = %s ORDER BY 1", (instance,)).fetchall()
    assert executions[0][:2] == (1, "ContinuedAsNew")
    assert executions[1][:3] == (2, "Completed", "55")
    assert executions[1][3:] == (1, 29)
    inst = admin.execute(f"SELECT orchestration_name, current_execution_id FROM {hub}.instances"
                         f" WHERE instance_id = %s", (instance,)).fetchone()
    assert inst == ("FanOutSum", 2)
    depths = admin.execute(
        f"SELECT (SELECT count(*) FROM {hub}.orchestrator_queue),"
        f"       (SELECT count(*) FROM {hub}.worker_queue),"
        f"       (SELECT count(*) FROM {hub}.instance_locks)").fetchone()
    assert depths == (0, 0, 0)
    # the default hub saw none of it
    assert admin.execute("SELECT count(*) FROM experiments.history WHERE instance_id = %s",
                         (instance,)).fetchone() == (0,)


def test_lock_token_errors_reach_the_client(orch_role, hub):
    runtime = Runtime(orch_role, hub)
    with runtime.connect() as conn:
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="Invalid lock token"):
            runtime.ack_orchestration(conn, "lock_gone", 1, [], [], [], {})
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState,
                           match="Worker queue item not found or already processed"):
            conn.execute(f"SELECT {hub}.ack_worker('lock_gone')")
