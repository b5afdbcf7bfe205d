"""Quota maintenance scheduled with a real pg_cron.

The test cluster preloads pg_cron with cron.database_name = 'postgres'; the
jobs run in this test's database through cron.schedule_in_database.  pg_cron
1.4 (Debian bookworm) schedules by the minute, so the test waits for the next
minute boundary: up to about a minute and a half, never a fixed sleep.
"""
import time
import uuid

import psycopg
import pytest

from conftest import conninfo

WAIT_SECONDS = 150


@pytest.fixture
def cron():
    """A superuser connection to the database pg_cron runs in."""
    try:
        conn = psycopg.connect(conninfo(dbname="postgres"), autocommit=True)
    except psycopg.Error as exc:  # pragma: no cover - environment problem
        pytest.fail(f"cannot reach the pg_cron database: {exc}")
    with conn:
        preload = conn.execute("SHOW shared_preload_libraries").fetchone()[0]
        if "pg_cron" not in preload:
            pytest.fail("the test cluster must preload pg_cron (scripts/test does)")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        yield conn


def _user_with_expired_cycle_and_old_recording(admin):
    """A user whose cycle ended last month with counters set, and one 'done'
    recording (with two segments) created 400 days ago."""
    tag = uuid.uuid4().hex[:10]
    email = f"cron-{tag}@example.com"
    admin.execute(
        "CALL experiments.sp_register_user(%s, %s, 'x', 'Cron', 'BASIC')",
        (email, f"cron_{tag}"),
    )
    uid = admin.execute(
        "SELECT id FROM experiments.users WHERE email = %s", (email,)
    ).fetchone()[0]
    rec, ok, _ = admin.execute(
        "SELECT * FROM experiments.sp_check_quota_and_create_recording(%s, 'upload')",
        (uid,),
    ).fetchone()
    assert ok
    admin.execute(
        "CALL experiments.sp_complete_recording(%s, 2000, %s)",
        (rec, '[{"idx": 0, "start_ms": 0, "end_ms": 1000, "text": "a"},'
              ' {"idx": 1, "start_ms": 1000, "end_ms": 2000, "text": "b"}]'),
    )
    admin.execute(
        "UPDATE experiments.recordings SET created_at = now() - interval '400 days'"
        " WHERE id = %s",
        (rec,),
    )
    admin.execute(
        """UPDATE experiments.user_subscriptions
              SET cycle_start = date_trunc('month', now(), 'UTC') - interval '1 month',
                  cycle_end   = date_trunc('month', now(), 'UTC'),
                  usage_count = 7, used_seconds = 420
            WHERE user_id = %s""",
        (uid,),
    )
    return uid, rec


def _wait_for_run(cron, jobid):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        row = cron.execute(
            "SELECT status, return_message FROM cron.job_run_details"
            " WHERE jobid = %s AND status IN ('succeeded', 'failed')"
            " ORDER BY runid DESC LIMIT 1",
            (jobid,),
        ).fetchone()
        if row is not None:
            return row
        time.sleep(1)
    pytest.fail(f"pg_cron job {jobid} did not run within {WAIT_SECONDS} s")


def test_pg_cron_runs_the_cycle_reset_and_the_retention_cleanup(admin, cron):
    uid, rec = _user_with_expired_cycle_and_old_recording(admin)
    db = admin.execute("SELECT current_database()").fetchone()[0]
    suffix = uuid.uuid4().hex[:8]
    jobs = {}
    try:
        for name, command in (
            ("reset", "CALL experiments.sp_reset_monthly_cycles()"),
            ("cleanup", "SELECT * FROM experiments.sp_cleanup_old_recordings(365, 1000)"),
        ):
            jobs[name] = cron.execute(
                "SELECT cron.schedule_in_database(%s, '* * * * *', %s, %s)",
                (f"experiments-quota-{name}-{suffix}", command, db),
            ).fetchone()[0]

        for name, jobid in jobs.items():
            status, message = _wait_for_run(cron, jobid)
            assert status == "succeeded", f"{name} job failed: {message}"

        # the reset moved the cycle to the current month and zeroed it
        cycle = admin.execute(
            """SELECT cycle_start = date_trunc('month', now(), 'UTC'),
                      cycle_end > now(), usage_count, used_seconds
                 FROM experiments.user_subscriptions WHERE user_id = %s""",
            (uid,),
        ).fetchone()
        assert cycle == (True, True, 0, 0)

        # the cleanup removed the old recording and, with it, its segments
        left = admin.execute(
            "SELECT (SELECT count(*) FROM experiments.recordings WHERE id = %s),"
            "       (SELECT count(*) FROM experiments.segments WHERE recording_id = %s)",
            (rec, rec),
        ).fetchone()
        assert left == (0, 0)

        # and the user's quota works again in the new cycle
        ok = admin.execute(
            "SELECT quota_ok FROM experiments.sp_check_quota_and_create_recording(%s, 'realtime')",
            (uid,),
        ).fetchone()[0]
        assert ok is True
    finally:
        for jobid in jobs.values():
            cron.execute("SELECT cron.unschedule(%s)", (jobid,))
        admin.execute("DELETE FROM experiments.users WHERE id = %s", (uid,))
