"""The experiments routines (part 1) as the seeds' clients call them.

Seed 000's `StoredProcedureDAO` wraps every routine as
`SELECT * FROM fn(:named, ...)` through SQLAlchemy, casts JSON arguments with
`::jsonb`, reads result columns by name (`row.is_new`, `row.success`) and maps
rows to dicts.  Seed 003's repositories use asyncpg with a pool whose
connections keep a statement cache (prepared statements reused across calls).
Both run here against a real server, as a role that only has
`grant_access(role, ARRAY['experiments'])`.

The outbox relay is exercised as a consumer would run it: LISTEN on
experiments_outbox, wake once per committing transaction, claim, acknowledge.
"""
import asyncio
import json
import os
import select
import uuid

import asyncpg
import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy
import sqlalchemy.orm
from sqlalchemy import text


def engine_for(role):
    url = sqlalchemy.engine.URL.create(
        "postgresql+psycopg2",
        username=role,
        host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
        database=os.environ.get("PGDATABASE"))
    return sqlalchemy.create_engine(url)


# --- seed 000's DAO, with the schema-qualified names ------------------------

class StoredProcedureDAO:
    """The seed's DAO: one method per routine, rows as dicts."""

    def __init__(self, session):
        self.db = session

    def create_experiment(self, key, name, description=None, status="draft",
                          config=None, variants=None):
        row = self.db.execute(
            text("SELECT * FROM experiments.create_experiment("
                 ":key, :name, :description, :status, NULL, NULL, "
                 ":config ::jsonb, :variants ::jsonb)"),
            {"key": key, "name": name, "description": description, "status": status,
             "config": json.dumps(config or {}), "variants": json.dumps(variants or [])},
        ).fetchone()
        self.db.commit()
        return dict(row._mapping)

    def activate_experiment(self, experiment_id):
        row = self.db.execute(
            text("SELECT * FROM experiments.activate_experiment(:experiment_id)"),
            {"experiment_id": experiment_id}).fetchone()
        self.db.commit()
        return row.success, row.message, row.new_version

    def get_experiment_with_variants(self, experiment_id):
        row = self.db.execute(
            text("SELECT * FROM experiments.get_experiment_with_variants(:experiment_id)"),
            {"experiment_id": experiment_id}).fetchone()
        return dict(row._mapping) if row else None

    def get_or_create_assignment(self, experiment_id, user_id, variant_key=None, enroll=False):
        row = self.db.execute(
            text("SELECT * FROM experiments.get_or_create_assignment("
                 ":experiment_id, :user_id, :variant_key, :enroll)"),
            {"experiment_id": experiment_id, "user_id": user_id,
             "variant_key": variant_key, "enroll": enroll}).fetchone()
        self.db.commit()
        if row is None:
            return None
        return {
            "assignment_id": row.assignment_id,
            "variant_key": row.variant_key,
            "variant_name": row.variant_name,
            "enrolled_at": row.enrolled_at,
            "created_at": row.created_at,
            "is_new": row.is_new,
        }

    def get_bulk_assignments(self, user_id, experiment_ids, create=False):
        rows = self.db.execute(
            text("SELECT * FROM experiments.get_bulk_assignments("
                 ":user_id, :experiment_ids, :create)"),
            {"user_id": user_id, "experiment_ids": experiment_ids, "create": create}).fetchall()
        self.db.commit()
        return [dict(r._mapping) for r in rows]

    def record_event(self, experiment_id, user_id, event_type, properties=None, value=None):
        row = self.db.execute(
            text("SELECT * FROM experiments.record_event("
                 ":experiment_id, :user_id, :event_type, :properties ::jsonb, :value)"),
            {"experiment_id": experiment_id, "user_id": user_id, "event_type": event_type,
             "properties": json.dumps(properties or {}), "value": value}).fetchone()
        self.db.commit()
        return dict(row._mapping)

    def record_batch_events(self, events):
        row = self.db.execute(
            text("SELECT * FROM experiments.record_batch_events(:events ::jsonb)"),
            {"events": json.dumps(events)}).fetchone()
        self.db.commit()
        return row.success_count, row.error_count, row.errors

    def record_conversion(self, experiment_id, user_id, value=1, metadata=None):
        row = self.db.execute(
            text("SELECT * FROM experiments.record_conversion("
                 ":experiment_id, :user_id, :value, :metadata ::jsonb)"),
            {"experiment_id": experiment_id, "user_id": user_id, "value": value,
             "metadata": json.dumps(metadata or {})}).fetchone()
        self.db.commit()
        return row.converted


# --- fixtures -----------------------------------------------------------------

@pytest.fixture
def tag():
    return uuid.uuid4().hex[:8]


@pytest.fixture
def dao(app_role):
    engine = engine_for(app_role)
    with sqlalchemy.orm.Session(engine) as session:
        yield StoredProcedureDAO(session)
    engine.dispose()


@pytest.fixture
def cleanup(admin, tag):
    yield
    admin.execute("DELETE FROM experiments.outbox_events WHERE payload->>'experiment_id' IN "
                  "(SELECT id::text FROM experiments.experiments WHERE key LIKE %s)",
                  (f"%{tag}%",))
    admin.execute("DELETE FROM experiments.events WHERE experiment_id IN "
                  "(SELECT id FROM experiments.experiments WHERE key LIKE %s)", (f"%{tag}%",))
    admin.execute("DELETE FROM experiments.experiments WHERE key LIKE %s", (f"%{tag}%",))
    admin.execute("DELETE FROM experiments.leads WHERE email LIKE %s", (f"%{tag}%",))


VARIANTS = [{"key": "control", "name": "Control", "allocation_pct": 50, "is_control": True},
            {"key": "treatment", "name": "Treatment", "allocation_pct": 50}]


# --- seed 000's service flow --------------------------------------------------

def test_dao_flow(dao, tag, cleanup):
    created = dao.create_experiment(f"dao-{tag}", "DAO flow", "from the client",
                                    variants=VARIANTS)
    assert created["experiment_key"] == f"dao-{tag}"
    assert created["experiment_status"] == "draft"
    assert created["experiment_version"] == 1
    exp = created["experiment_id"]

    assert dao.activate_experiment(exp) == (True, "Experiment activated", 2)
    assert dao.activate_experiment(exp) == (False, "Experiment already active", None)

    info = dao.get_experiment_with_variants(exp)
    assert [v["key"] for v in info["variants"]] == ["control", "treatment"]
    assert info["variants"][0]["is_control"] is True

    first = dao.get_or_create_assignment(exp, "user-1")
    assert first["is_new"] is True
    again = dao.get_or_create_assignment(exp, "user-1", enroll=True)
    assert again["is_new"] is False
    assert again["variant_key"] == first["variant_key"]
    assert again["enrolled_at"] is not None

    forced = dao.get_or_create_assignment(exp, "user-2", variant_key="treatment")
    assert (forced["variant_key"], forced["is_new"]) == ("treatment", True)

    event = dao.record_event(exp, "user-1", "click", {"button": "buy"}, 9.5)
    assert event["variant_key"] == first["variant_key"]
    assert event["assignment_id"] == first["assignment_id"]

    ok, bad, errors = dao.record_batch_events([
        {"experiment_id": exp, "user_id": "user-1", "event_type": "view"},
        {"experiment_id": exp, "user_id": "user-2", "event_type": "view", "value": 3},
        {"experiment_id": exp, "user_id": "nobody", "event_type": "view"},
        {"experiment_id": exp, "user_id": "user-1", "event_type": "Not Valid"},
    ])
    assert (ok, bad) == (2, 2)
    assert [(e["index"], e["sqlstate"]) for e in errors] == [(2, "P0002"), (3, "22023")]

    assert dao.record_conversion(exp, "user-1", 49.9, {"plan": "pro"}) is True
    assert dao.record_conversion(exp, "user-1", 10) is False

    bulk = dao.get_bulk_assignments("user-1", [exp])
    assert [(b["experiment_id"], b["variant_key"], b["is_new"]) for b in bulk] == \
        [(exp, first["variant_key"], False)]


def test_dao_errors(dao, tag, cleanup):
    exp = dao.create_experiment(f"dao-err-{tag}", "Errors", variants=VARIANTS)["experiment_id"]
    with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
        dao.get_or_create_assignment(exp, "u")
    assert isinstance(err.value.orig, psycopg2.errors.ObjectNotInPrerequisiteState)
    assert f"experiment {exp} is not active" in str(err.value.orig)
    dao.db.rollback()
    with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
        dao.create_experiment(f"dao-bad-{tag}", "Bad",
                              variants=[{"key": "a", "allocation_pct": 70},
                                        {"key": "b", "allocation_pct": 20}])
    assert isinstance(err.value.orig, psycopg2.errors.InvalidParameterValue)
    assert "variant allocations must sum to 100, not 90" in str(err.value.orig)
    dao.db.rollback()
    with pytest.raises(sqlalchemy.exc.DBAPIError) as err:
        dao.get_or_create_assignment(exp, None)
    assert isinstance(err.value.orig, psycopg2.errors.NullValueNotAllowed)
    dao.db.rollback()


# --- seed 003: asyncpg pool, prepared statements, statement cache ------------

def test_asyncpg_pool_with_statement_cache(admin, app_role, tag, cleanup):
    admin.execute(
        "SELECT * FROM experiments.create_experiment(%s, 'asyncpg', p_status => 'active', "
        "p_variants => %s::jsonb)", (f"apg-{tag}", json.dumps(VARIANTS)))
    exp = admin.execute("SELECT id FROM experiments.experiments WHERE key = %s",
                        (f"apg-{tag}",)).fetchone()[0]

    async def run():
        pool = await asyncpg.create_pool(
            host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
            user=app_role, database=os.environ.get("PGDATABASE"),
            min_size=2, max_size=4, command_timeout=10, statement_cache_size=1024)
        try:
            async with pool.acquire() as conn:
                assign = await conn.prepare(
                    "SELECT * FROM experiments.get_or_create_assignment($1, $2, $3, $4)")
                convert = await conn.prepare(
                    "SELECT * FROM experiments.record_conversion($1, $2, $3, $4::jsonb)")
                rows = [await assign.fetchrow(exp, f"a-{i}", None, False) for i in range(50)]
                assert all(r["is_new"] for r in rows)
                again = [await assign.fetchrow(exp, f"a-{i}", None, False) for i in range(50)]
                assert [r["variant_key"] for r in again] == [r["variant_key"] for r in rows]
                assert not any(r["is_new"] for r in again)
                # the same text through the connection's statement cache
                for i in range(20):
                    r = await conn.fetchrow(
                        "SELECT * FROM experiments.record_event($1, $2, $3, $4::jsonb, $5)",
                        exp, f"a-{i}", "page.view", json.dumps({"i": i}), None)
                    assert r["variant_key"] == rows[i]["variant_key"]
                first = await convert.fetchrow(exp, "a-1", 1, json.dumps({"src": "asyncpg"}))
                second = await convert.fetchrow(exp, "a-1", 1, "{}")
                assert (first["converted"], second["converted"]) == (True, False)
                with pytest.raises(asyncpg.exceptions.NoDataFoundError):
                    await assign.fetchrow(-1, "x", None, False)
                with pytest.raises(asyncpg.exceptions.InvalidParameterValueError):
                    await conn.fetchrow(
                        "SELECT * FROM experiments.record_event($1, $2, $3)", exp, "a-1", "BAD")
            # the whole pool, concurrently: one row per user, every caller agrees
            results = await asyncio.gather(*[
                pool.fetchrow("SELECT * FROM experiments.get_or_create_assignment($1, $2)",
                              exp, f"c-{i % 10}") for i in range(40)])
            by_user = {}
            for r in results:
                by_user.setdefault(r["user_id"], set()).add(r["variant_key"])
            assert len(by_user) == 10 and all(len(v) == 1 for v in by_user.values())
            assert sum(1 for r in results if r["is_new"]) == 10
        finally:
            await pool.close()

    asyncio.run(run())
    counts = admin.execute(
        "SELECT count(*) FROM experiments.assignments WHERE experiment_id = %s", (exp,)).fetchone()
    assert counts[0] == 60


# --- the outbox relay: LISTEN, once per committing transaction ---------------

def drain_notifications(conn, wait):
    got = []
    deadline_wait = wait
    while True:
        if select.select([conn], [], [], deadline_wait) == ([], [], []):
            return got
        conn.poll()
        while conn.notifies:
            got.append(conn.notifies.pop(0))
        deadline_wait = 0.2


def test_listen_woken_once_per_committing_transaction(admin, app_role, tag, cleanup):
    admin.execute(
        "SELECT * FROM experiments.create_experiment(%s, 'relay', p_status => 'active', "
        "p_variants => %s::jsonb)", (f"relay-{tag}", json.dumps(VARIANTS)))
    exp = admin.execute("SELECT id FROM experiments.experiments WHERE key = %s",
                        (f"relay-{tag}",)).fetchone()[0]
    # mark everything older processed, so the relay sees only this test's rows
    admin.execute("UPDATE experiments.outbox_events SET processed_at = now() "
                  "WHERE processed_at IS NULL")

    listener = psycopg2.connect(host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
                                user=app_role, dbname=os.environ.get("PGDATABASE"))
    listener.set_session(autocommit=True)
    writer = psycopg2.connect(host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
                              user=app_role, dbname=os.environ.get("PGDATABASE"))
    try:
        with listener.cursor() as cur:
            cur.execute("LISTEN experiments_outbox")
        with writer.cursor() as cur:
            # one transaction, five outbox rows: one wake-up
            cur.execute("SELECT * FROM experiments.get_or_create_assignment(%s, 'r-1')", (exp,))
            cur.execute("SELECT * FROM experiments.get_or_create_assignment(%s, 'r-2')", (exp,))
            for _ in range(3):
                cur.execute("SELECT * FROM experiments.record_event(%s, 'r-1', 'click')", (exp,))
            writer.commit()
            first = drain_notifications(listener, 5)
            assert [n.channel for n in first] == ["experiments_outbox"]

            # rolled back: no wake-up
            cur.execute("SELECT * FROM experiments.get_or_create_assignment(%s, 'r-3')", (exp,))
            writer.rollback()
            # nothing written (a returning user): no wake-up
            cur.execute("SELECT * FROM experiments.get_or_create_assignment(%s, 'r-1')", (exp,))
            writer.commit()
            # two more committing transactions: two wake-ups
            cur.execute("SELECT * FROM experiments.record_batch_events(%s::jsonb)", (json.dumps(
                [{"experiment_id": exp, "user_id": "r-2", "event_type": "view"}] * 4),))
            writer.commit()
            cur.execute("SELECT * FROM experiments.record_conversion(%s, 'r-2')", (exp,))
            writer.commit()
            later = drain_notifications(listener, 5)
            assert len(later) == 2

            # the worked consumer: claim, publish, acknowledge
            cur.execute("SELECT id, event_type, payload FROM experiments.claim_outbox_events(100, 30)")
            claimed = cur.fetchall()
            writer.commit()
            assert [c[1] for c in claimed] == (["assignment_created"] * 2 + ["event_recorded"] * 3
                                               + ["event_recorded"] * 4 + ["assignment_converted"])
            cur.execute("SELECT experiments.ack_outbox_events(%s)", ([c[0] for c in claimed],))
            assert cur.fetchone()[0] == len(claimed)
            writer.commit()
            cur.execute("SELECT count(*) FROM experiments.claim_outbox_events(100, 30)")
            assert cur.fetchone()[0] == 0
            writer.commit()
    finally:
        listener.close()
        writer.close()


def test_leads_queue(admin, app_role, tag, cleanup):
    conn = psycopg2.connect(host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
                            user=app_role, dbname=os.environ.get("PGDATABASE"))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT lead_id, is_new FROM experiments.capture_lead(%s, 'landing', 'B')",
                        (f"Lead-{tag}@Example.com",))
            lead_id, is_new = cur.fetchone()
            assert is_new is True
            cur.execute("SELECT lead_id, is_new FROM experiments.capture_lead(%s)",
                        (f"lead-{tag}@example.com",))
            assert cur.fetchone() == (lead_id, False)
            conn.commit()
            cur.execute("SELECT id, email, status FROM experiments.claim_leads('waitlist', 1000)")
            mine = [r for r in cur.fetchall() if r[0] == lead_id]
            assert mine == [(lead_id, f"lead-{tag}@example.com", "waitlist")]
            cur.execute("SELECT experiments.set_lead_status(%s, 'invited')", (lead_id,))
            assert cur.fetchone()[0] is True
            conn.commit()
    finally:
        conn.close()


# --- murmur3_32 against an independent implementation ------------------------

PERL_MURMUR = r'''
use strict;
use Digest::MurmurHash3::PurePerl qw(murmur32);
while (my $line = <STDIN>) {
    chomp $line;
    my ($hex, $seed) = split / /, $line;
    print murmur32(pack("H*", $hex), $seed), "\n";
}
'''


def test_murmur3_32_matches_an_independent_implementation(admin):
    """Python's mmh3 is not packaged for this system; Debian's pure-Perl
    MurmurHash3 (libdigest-murmurhash3-pureperl-perl) is, an independent
    implementation of the same algorithm.  Compare on bucketing-shaped and
    random keys of every length 0..64 (all tail cases), with several seeds.
    ASCII only: that module gets bytes >= 0x80 wrong (it disagrees with the
    published vector for UTF-8 "ππππππππ", which murmur3_32 matches; see
    test/sql/experiments_bucketing.sql)."""
    import random
    import string
    import subprocess

    rng = random.Random(20261121)
    alphabet = string.printable.strip() + " "
    keys = [f"{rng.randrange(1, 10**6)}:user-{i}:exp-{rng.randrange(100)}" for i in range(2000)]
    keys += ["".join(rng.choice(alphabet) for _ in range(n % 65)) for n in range(2000)]
    seeds = [0, 1, 42, 0x9747B28C, 0xFFFFFFFF]
    cases = [(k, seeds[i % len(seeds)]) for i, k in enumerate(keys)]

    perl = subprocess.run(["perl", "-e", PERL_MURMUR], check=True, capture_output=True,
                          input="".join(f"{k.encode().hex()} {s}\n" for k, s in cases).encode())
    expected = [int(x) for x in perl.stdout.split()]
    got = admin.execute(
        "SELECT experiments.murmur3_32(k, s) FROM unnest(%s::text[], %s::bigint[]) "
        "WITH ORDINALITY AS t(k, s, o) ORDER BY o",
        ([k for k, _ in cases], [s for _, s in cases])).fetchall()
    assert len(expected) == len(cases)
    mismatches = [(k, s, g[0], e) for (k, s), g, e in zip(cases, got, expected) if g[0] != e]
    assert mismatches == []
