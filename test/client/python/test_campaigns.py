"""The campaigns routines as the seed's Python client calls them.

Seed 004's `GmapsSupabaseManager._call_stored_function` calls a function,
reads the JSONB envelope, and retries - with a growing sleep - only when
`retry_recommended` is true, giving up after 3 attempts.  The wrapper below
is that loop over psycopg, with the sleep injectable so that the tests stay
quick; it is driven against the real server with a real lock conflict.

The concurrency checks are the seed's own, made harder: 100 concurrent
cost charges on one campaign, a pgbench run with 32 clients, 20 concurrent
overlapping business batches, concurrent statistics, and parallel
enrichers claiming work.  Each asserts the data adds up, never a time.
"""
import decimal
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from psycopg.types.json import Jsonb

from conftest import conninfo

SERVICES = {
    "google_maps": "google_maps_cost",
    "facebook": "facebook_cost",
    "linkedin": "linkedin_enrichment_cost",
    "bouncer": "bouncer_verification_cost",
}


# --- the seed's client wrapper ----------------------------------------------

class GmapsStoredFunctions:
    """The seed's `_call_stored_function`, over a psycopg connection."""

    def __init__(self, conn, sleep=time.sleep):
        self.conn = conn
        self.sleep = sleep
        self.attempts = 0

    def _call_stored_function(self, function_name, params, max_retries=3):
        names = ", ".join(f"{k} => %({k})s" for k in params)
        for attempt in range(1, max_retries + 1):
            self.attempts = attempt
            with self.conn.transaction():
                response = self.conn.execute(
                    f"SELECT experiments.{function_name}({names})", params).fetchone()[0]
            if not response.get("success") and response.get("retry_recommended"):
                if attempt < max_retries:
                    self.sleep(attempt)  # the seed's growing back-off
                    continue
            return response

    def create_campaign(self, campaign_data, zip_codes):
        return self._call_stored_function("create_campaign_with_coverage", {
            "p_campaign_data": Jsonb(campaign_data), "p_zip_codes": Jsonb(zip_codes)})

    def track_cost(self, campaign_id, service, items, cost, metadata=None):
        return self._call_stored_function("track_campaign_cost", {
            "p_campaign_id": campaign_id, "p_service": service, "p_items_processed": items,
            "p_cost_usd": decimal.Decimal(str(cost)),
            "p_metadata": Jsonb(metadata) if metadata is not None else None})

    def insert_businesses(self, campaign_id, zip_code, businesses):
        return self._call_stored_function("insert_businesses_batch", {
            "p_campaign_id": campaign_id, "p_zip_code": zip_code,
            "p_businesses": Jsonb(businesses)})


# --- fixtures -----------------------------------------------------------------

@pytest.fixture
def campaigns_role(admin):
    """A login role granted the campaigns domain only."""
    role = "client_campaigns_" + uuid.uuid4().hex[:8]
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    admin.execute("SELECT count(*) FROM experiments.grant_access(%s::regrole, ARRAY['campaigns'])",
                  (role,))
    yield role
    admin.execute("SELECT count(*) FROM experiments.revoke_access(%s::regrole)", (role,))
    admin.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def campaign(admin):
    """A fresh campaign with three ZIPs, deleted (with all it owns) afterwards."""
    cid = str(uuid.uuid4())
    result = admin.execute(
        "SELECT experiments.create_campaign_with_coverage(%s, %s)",
        (Jsonb({"id": cid, "name": "client test " + cid[:8]}),
         Jsonb(["78701", "78702", "78703"]))).fetchone()[0]
    assert result["success"], result
    yield cid
    admin.execute("DELETE FROM experiments.gmaps_businesses WHERE place_id LIKE %s",
                  (cid[:8] + "-%",))
    admin.execute("DELETE FROM experiments.gmaps_campaigns WHERE id = %s", (cid,))


def connect(role=None, **options):
    params = {"user": role} if role else {}
    if options:
        params["options"] = " ".join(f"-c {k}={v}" for k, v in options.items())
    return psycopg.connect(conninfo(**params), autocommit=True)


def ledger(admin, cid):
    row = admin.execute(
        "SELECT actual_cost, google_maps_cost, facebook_cost, linkedin_enrichment_cost,"
        "       bouncer_verification_cost FROM experiments.gmaps_campaigns WHERE id = %s",
        (cid,)).fetchone()
    sums = dict(admin.execute(
        "SELECT service, sum(cost_usd) FROM experiments.gmaps_api_costs"
        " WHERE campaign_id = %s GROUP BY service", (cid,)).fetchall())
    total = admin.execute(
        "SELECT coalesce(sum(cost_usd), 0), count(*) FROM experiments.gmaps_api_costs"
        " WHERE campaign_id = %s", (cid,)).fetchone()
    return row, sums, total


def assert_ledger_exact(admin, cid, expected_total=None, expected_rows=None):
    (actual, gmaps, fb, li, bouncer), sums, (total, rows) = ledger(admin, cid)
    assert actual == total
    for service, value in zip(SERVICES, (gmaps, fb, li, bouncer)):
        assert value == sums.get(service, decimal.Decimal("0")), service
    if expected_total is not None:
        assert actual == expected_total
    if expected_rows is not None:
        assert rows == expected_rows


class HeldLock:
    """Another session holding a campaign's row lock (FOR UPDATE) until released."""

    def __init__(self, cid):
        self.conn = connect()
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT 1 FROM experiments.gmaps_campaigns WHERE id = %s FOR UPDATE",
                          (cid,))

    def release(self):
        if not self.conn.closed:
            self.conn.execute("ROLLBACK")
            self.conn.close()


# --- the retry wrapper against a real lock conflict --------------------------

def test_wrapper_gives_up_after_three_attempts_on_a_held_lock(campaign, campaigns_role, admin):
    holder = HeldLock(campaign)
    sleeps = []
    try:
        with connect(campaigns_role, lock_timeout="150ms") as conn:
            client = GmapsStoredFunctions(conn, sleep=sleeps.append)
            response = client.track_cost(campaign, "google_maps", 10, 0.25)
    finally:
        holder.release()
    assert response["success"] is False
    assert response["error_code"] == "55P03"
    assert response["error"] == "Operation conflict, please retry"
    assert response["retry_recommended"] is True
    assert client.attempts == 3
    assert sleeps == [1, 2]
    assert_ledger_exact(admin, campaign, decimal.Decimal("0"), 0)


def test_wrapper_succeeds_when_the_lock_goes_away(campaign, campaigns_role, admin):
    holder = HeldLock(campaign)
    sleeps = []

    def back_off(seconds):  # the holder finishes while the client waits
        sleeps.append(seconds)
        holder.release()

    try:
        with connect(campaigns_role, lock_timeout="150ms") as conn:
            client = GmapsStoredFunctions(conn, sleep=back_off)
            response = client.track_cost(campaign, "facebook", 3, 1.5)
    finally:
        holder.release()
    assert response["success"] is True, response
    assert client.attempts == 2
    assert sleeps == [1]
    assert response["new_total"] == 1.5
    assert_ledger_exact(admin, campaign, decimal.Decimal("1.5"), 1)


def test_wrapper_does_not_retry_what_a_retry_cannot_fix(campaign, campaigns_role, admin):
    sleeps = []
    with connect(campaigns_role) as conn:
        client = GmapsStoredFunctions(conn, sleep=sleeps.append)
        unknown_service = client.track_cost(campaign, "openai", 1, 1)
        negative = client.track_cost(campaign, "bouncer", 1, -1)
        unknown_campaign = client.track_cost(str(uuid.uuid4()), "bouncer", 1, 1)
        duplicate = client.create_campaign({"id": campaign, "name": "again"}, ["1"])
    assert client.attempts == 1 and sleeps == []
    assert (unknown_service["error_code"], unknown_service["retry_recommended"]) == ("22023", False)
    assert (negative["error_code"], negative["retry_recommended"]) == ("22023", False)
    assert unknown_campaign == {
        "success": False, "error": "Campaign not found", "error_code": "P0002",
        "error_detail": "campaign not found", "retry_recommended": False}
    assert duplicate["error"] == "Duplicate record detected"
    assert duplicate["error_code"] == "23505" and duplicate["retry_recommended"] is False


def test_a_deadlock_comes_back_as_a_retryable_envelope(admin, campaigns_role):
    """Two campaigns locked in opposite orders: the client's call is the victim."""
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    for cid in (a, b):
        admin.execute("SELECT experiments.create_campaign_with_coverage(%s, '[]')",
                      (Jsonb({"id": cid, "name": "deadlock " + cid[:8]}),))
    other = connect(deadlock_timeout="30s")
    client_conn = connect(campaigns_role)
    try:
        other.execute("BEGIN")
        other.execute("UPDATE experiments.gmaps_campaigns SET description = 'x' WHERE id = %s", (a,))
        client_conn.execute("BEGIN")
        client_conn.execute("SELECT experiments.track_campaign_cost(%s, 'bouncer', 1, 1)", (b,))
        waiter = threading.Thread(target=lambda: other.execute(
            "UPDATE experiments.gmaps_campaigns SET description = 'y' WHERE id = %s", (b,)))
        waiter.start()
        for _ in range(600):  # until the other session waits for the client's lock
            waiting = admin.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = %s",
                (other.info.backend_pid,)).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        # the client's deadlock check runs first (the default 1 s against 30 s)
        response = client_conn.execute(
            "SELECT experiments.track_campaign_cost(%s, 'bouncer', 1, 1)", (a,)).fetchone()[0]
        client_conn.execute("ROLLBACK")
        waiter.join()
        other.execute("ROLLBACK")
    finally:
        client_conn.close()
        other.close()
        admin.execute("DELETE FROM experiments.gmaps_campaigns WHERE id IN (%s, %s)", (a, b))
    assert response["success"] is False
    assert response["error_code"] == "40P01"
    assert response["retry_recommended"] is True


# --- concurrency: the seed's tests, harder -----------------------------------

def test_100_concurrent_cost_charges_add_up_to_the_cent(campaign, campaigns_role, admin):
    rng = random.Random(4)
    charges = [(rng.choice(list(SERVICES)), rng.randint(1, 500), decimal.Decimal(rng.randint(1, 99999)) / 10000)
               for _ in range(100)]
    barrier = threading.Barrier(25)

    def worker(part):
        results = []
        with connect(campaigns_role) as conn:
            barrier.wait()
            for service, items, cost in part:
                results.append(conn.execute(
                    "SELECT experiments.track_campaign_cost(%s, %s, %s, %s)",
                    (campaign, service, items, cost)).fetchone()[0])
        return results

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = [r for rs in pool.map(worker, [charges[i::25] for i in range(25)]) for r in rs]
    assert all(r["success"] for r in results), [r for r in results if not r["success"]][:3]
    expected = sum(cost for _, _, cost in charges)
    assert_ledger_exact(admin, campaign, expected, 100)
    per_service = {}
    for service, _, cost in charges:
        per_service[service] = per_service.get(service, 0) + cost
    row, sums, _ = ledger(admin, campaign)
    for service, column_value in zip(SERVICES, row[1:]):
        assert column_value == per_service.get(service, 0), service
    # every new_total the callers saw is a distinct running total
    totals = sorted(decimal.Decimal(str(r["new_total"])) for r in results)
    assert len(set(totals)) == 100 and totals[-1] == expected


def pgbench_path():
    for candidate in (os.environ.get("EXPERIMENTS_PG_BIN"),
                      os.path.dirname(shutil.which("psql") or "")):
        if candidate and os.path.exists(os.path.join(candidate, "pgbench")):
            return os.path.join(candidate, "pgbench")
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if os.path.exists(os.path.join(bindir, "pgbench")):
            return os.path.join(bindir, "pgbench")
    return shutil.which("pgbench")


def test_pgbench_32_clients_keep_the_ledger_exact(campaign, admin):
    pgbench = pgbench_path()
    assert pgbench, "pgbench not found (set EXPERIMENTS_PG_BIN)"
    script = (
        "\\set svc random(1, 4)\n"
        "\\set cents random(1, 999999)\n"
        f"SELECT experiments.track_campaign_cost('{campaign}',"
        " (ARRAY['google_maps','facebook','linkedin','bouncer'])[:svc],"
        " 1, :cents / 10000.0);\n")
    with tempfile.NamedTemporaryFile("w", suffix=".bench", delete=False) as f:
        f.write(script)
        path = f.name
    os.chmod(path, 0o644)
    try:
        run = subprocess.run(
            [pgbench, "-n", "-c", "32", "-j", "4", "-t", "25", "-f", path,
             "-h", os.environ.get("PGHOST", "localhost"), "-p", os.environ.get("PGPORT", "5432"),
             "-U", os.environ.get("PGUSER", "postgres"), os.environ.get("PGDATABASE", "postgres")],
            capture_output=True, text=True, timeout=600)
    finally:
        os.unlink(path)
    assert run.returncode == 0, run.stderr
    assert "number of transactions actually processed: 800/800" in run.stdout, run.stdout
    assert_ledger_exact(admin, campaign, expected_rows=800)
    # and every charge landed on its service's column exactly once
    distinct_totals = admin.execute(
        "SELECT count(DISTINCT total_after) FROM experiments.gmaps_api_costs WHERE campaign_id = %s",
        (campaign,)).fetchone()[0]
    assert distinct_totals == 800


def test_20_concurrent_overlapping_batches(campaign, campaigns_role, admin):
    prefix = campaign[:8]
    pool_ids = [f"{prefix}-{i:03d}" for i in range(200)]
    rng = random.Random(20)
    batches = []
    for n in range(20):
        ids = rng.sample(pool_ids, 50)
        batch = [{"place_id": p, "name": f"Business {p} v{n}"} for p in ids]
        batch += [{"name": "no place id"}, {"place_id": ids[0], "name": "repeat in batch"}]
        rng.shuffle(batch)
        batches.append(batch)
    barrier = threading.Barrier(20)

    def worker(batch):
        with connect(campaigns_role) as conn:
            barrier.wait()
            return GmapsStoredFunctions(conn).insert_businesses(campaign, "78701", batch)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(worker, batches))
    assert all(r["success"] for r in results), [r for r in results if not r["success"]][:3]
    union = {b["place_id"] for batch in batches for b in batch if "place_id" in b}
    rows, distinct = admin.execute(
        "SELECT count(*), count(DISTINCT place_id) FROM experiments.gmaps_businesses"
        " WHERE place_id LIKE %s", (prefix + "-%",)).fetchone()
    assert rows == distinct == len(union)
    assert sum(r["inserted"] for r in results) == len(union)
    assert sum(r["inserted"] + r["updated"] for r in results) == 20 * 50
    for r, batch in zip(results, batches):
        assert r["total"] == len(batch) == 52
        assert r["inserted"] + r["updated"] + r["skipped"] == r["total"]
        assert r["skipped"] == 2


def test_concurrent_statistics_agree_with_the_rows(campaign, campaigns_role, admin):
    prefix = campaign[:8]

    def batch_worker(n):
        with connect(campaigns_role) as conn:
            return GmapsStoredFunctions(conn).insert_businesses(campaign, "78702", [
                {"place_id": f"{prefix}-s{n}-{i}", "name": "s",
                 **({"email": f"{n}.{i}@x.example"} if i % 3 == 0 else {})} for i in range(30)])

    def stats_worker(_):
        with connect(campaigns_role) as conn:
            return [conn.execute("SELECT experiments.update_campaign_statistics(%s)",
                                 (campaign,)).fetchone()[0] for _ in range(5)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        batches = [pool.submit(batch_worker, n) for n in range(5)]
        stats = [pool.submit(stats_worker, n) for n in range(5)]
        assert all(f.result()["success"] for f in batches)
        assert all(s["success"] for f in stats for s in f.result())
    final = admin.execute("SELECT experiments.update_campaign_statistics(%s)", (campaign,)).fetchone()[0]
    assert final["total_businesses"] == 150
    assert final["total_emails"] == 50
    stored = admin.execute(
        "SELECT total_businesses_found, total_emails_found FROM experiments.gmaps_campaigns"
        " WHERE id = %s", (campaign,)).fetchone()
    assert stored == (150, 50)


def test_parallel_enrichers_never_get_the_same_business(campaign, campaigns_role, admin):
    prefix = campaign[:8]
    admin.execute("SELECT experiments.insert_businesses_batch(%s, '78703', %s)",
                  (campaign, Jsonb([{"place_id": f"{prefix}-e{i}", "name": f"e{i}"}
                                    for i in range(120)])))
    barrier = threading.Barrier(6)

    def enricher(_):
        got = []
        with connect(campaigns_role) as conn:
            barrier.wait()
            while True:
                with conn.transaction():
                    rows = conn.execute(
                        "SELECT business_id FROM experiments.claim_businesses_for_enrichment("
                        "%s, 'facebook', 7, '5 minutes')", (campaign,)).fetchall()
                if not rows:
                    return got
                got.extend(str(r[0]) for r in rows)
                items = [{"business_id": str(r[0]), "facebook_url": "https://facebook.example/p"}
                         for r in rows[::2]]   # half are written, half keep their lease
                conn.execute("SELECT experiments.update_enrichment_batch('facebook', %s)",
                             (Jsonb(items),))

    with ThreadPoolExecutor(max_workers=6) as pool:
        claimed = list(pool.map(enricher, range(6)))
    everything = [b for worker in claimed for b in worker]
    assert len(everything) == len(set(everything)) == 120
    left = admin.execute(
        "SELECT count(*) FROM experiments.get_businesses_for_enrichment(%s, 'facebook', 1000)",
        (campaign,)).fetchone()[0]
    enriched = admin.execute(
        "SELECT count(*) FROM experiments.gmaps_facebook_enrichments WHERE campaign_id = %s",
        (campaign,)).fetchone()[0]
    assert left + enriched == 120


def test_the_seeds_create_and_batch_calls(campaign, campaigns_role, admin):
    """The JS/Python client's shapes: ZIP objects, businesses with e-mails."""
    with connect(campaigns_role) as conn:
        client = GmapsStoredFunctions(conn)
        created = client.create_campaign(
            {"name": "Seed shape", "keywords": ["dentist"], "location": "Austin, TX",
             "coverage_profile": "aggressive"},
            [{"zip_code": "78704", "keywords": ["dentist"], "max_results": 250,
              "estimated_cost": 0.02}, {"zip_code": "78705"}, {"zip_code": "78704"}])
        assert created["success"] and created["zip_count"] == 2
        assert created["message"] == "Campaign created with 2 ZIP codes"
        prefix = campaign[:8]
        batch = client.insert_businesses(created["campaign_id"], "78704", [
            {"place_id": f"{prefix}-seed-1", "name": "A", "email": "a@a.example"},
            {"place_id": f"{prefix}-seed-2", "name": "B"}])
        assert batch == {"success": True, "inserted": 2, "updated": 0, "skipped": 0, "total": 2}
    rows = admin.execute(
        "SELECT place_id, email_source, needs_enrichment, enrichment_status, country"
        " FROM experiments.gmaps_businesses WHERE place_id LIKE %s ORDER BY place_id",
        (campaign[:8] + "-seed-%",)).fetchall()
    assert rows == [(f"{campaign[:8]}-seed-1", "google_maps", False, "enriched", "USA"),
                    (f"{campaign[:8]}-seed-2", "not_found", True, "pending", "USA")]
    admin.execute("DELETE FROM experiments.gmaps_businesses WHERE place_id LIKE %s",
                  (campaign[:8] + "-seed-%",))
    admin.execute("DELETE FROM experiments.gmaps_campaigns WHERE id = %s", (created["campaign_id"],))
