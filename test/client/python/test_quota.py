"""The quota routines as the seed's guide calls them from Python.

The guide (seed 002) uses SQLAlchemy `text("CALL ...")` and
`text("SELECT * FROM ...")`, commits after each call, and maps a refused
quota check to HTTP 403.  These tests do the same with the psycopg2 driver,
as a role that has only `grant_access(role, ARRAY['quota'])` (the app_role
fixture grants every domain).

The app role cannot read the tables, so a user's id is looked up with the
admin connection, as the seed's backend does through its ORM.
"""
import json
import logging
import os
import re
import uuid

import psycopg2.errors
import pytest
import sqlalchemy
import sqlalchemy.orm
from sqlalchemy import text


class HTTPError(Exception):
    """Stands in for FastAPI's HTTPException in the guide's endpoints."""

    def __init__(self, status_code, detail):
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


def engine_for(role, **options):
    url = sqlalchemy.engine.URL.create(
        "postgresql+psycopg2",
        username=role,
        host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
        database=os.environ.get("PGDATABASE"))
    return sqlalchemy.create_engine(url, **options)


# --- the guide's helpers, with the schema-qualified names -------------------

def register_user(db, email, user_name, hashed_password, name, plan_code="FREE"):
    db.execute(
        text("CALL experiments.sp_register_user("
             ":email, :user_name, :hashed_pass, :name, :plan_code)"),
        {"email": email, "user_name": user_name, "hashed_pass": hashed_password,
         "name": name, "plan_code": plan_code})
    db.commit()


def create_recording_with_quota_check(db, user_id, source, language="vi"):
    result = db.execute(
        text("SELECT * FROM experiments.sp_check_quota_and_create_recording("
             ":user_id, :source, :language)"),
        {"user_id": user_id, "source": source, "language": language})
    row = result.fetchone()
    db.commit()
    return row.recording_id, row.quota_ok, row.error_message


def start_recording(db, user_id, source):
    """The guide's endpoint: a refused quota check is an HTTP 403."""
    recording_id, quota_ok, error_msg = create_recording_with_quota_check(db, user_id, source)
    if not quota_ok:
        raise HTTPError(status_code=403, detail=error_msg)
    return recording_id


def complete_recording(db, recording_id, duration_ms, segments):
    # The guide writes ":segments::jsonb", which SQLAlchemy's text() misreads
    # as a parameter named "segment"; CAST(... AS jsonb) says the same thing.
    db.execute(
        text("CALL experiments.sp_complete_recording("
             ":recording_id, :duration_ms, CAST(:segments AS jsonb))"),
        {"recording_id": recording_id, "duration_ms": duration_ms,
         "segments": json.dumps(segments)})
    db.commit()


def get_user_dashboard_stats(db, user_id):
    row = db.execute(text("SELECT * FROM experiments.sp_get_user_stats(:user_id)"),
                     {"user_id": user_id}).fetchone()
    return {
        "total_recordings": row.total_recordings,
        "total_duration_minutes": float(row.total_duration_minutes),
        "total_segments": row.total_segments,
        "current_cycle": {
            "usage_count": row.current_cycle_usage,
            "used_seconds": row.current_cycle_seconds,
            "quota_usage_percent": float(row.quota_usage_percent),
            "quota_minutes_percent": float(row.quota_minutes_percent),
        },
    }


def change_user_plan(db, user_id, new_plan_code, prorate=False):
    result = db.execute(
        text("CALL experiments.sp_change_user_plan(:user_id, :plan_code, :prorate, NULL, NULL)"),
        {"user_id": user_id, "plan_code": new_plan_code, "prorate": prorate})
    row = result.fetchone()
    db.commit()
    return row.success, row.message


# --- fixtures ----------------------------------------------------------------

@pytest.fixture
def tag():
    return uuid.uuid4().hex[:10]


@pytest.fixture
def app_engine(app_role):
    engine = engine_for(app_role)
    yield engine
    engine.dispose()


@pytest.fixture
def cleanup(admin, tag):
    yield
    admin.execute("DELETE FROM experiments.users WHERE email LIKE %s", (f"%@{tag}.example.com",))
    admin.execute("DELETE FROM experiments.plans WHERE code = %s", (f"PY_{tag.upper()}",))


def user_id_of(admin, email):
    """The user's id, as text: either form binds as a uuid."""
    return admin.execute("SELECT id::text FROM experiments.users WHERE email = %s",
                         (email,)).fetchone()[0]


# --- tests -------------------------------------------------------------------

def test_guide_flow(admin, app_engine, tag, cleanup):
    email = f"Ana@{tag}.example.com"
    with sqlalchemy.orm.Session(app_engine) as db:
        register_user(db, email, f"ana_{tag}", "argon2-hash", "Ana")
        user_id = user_id_of(admin, email.lower())

        recording_id, quota_ok, error_msg = create_recording_with_quota_check(db, user_id, "realtime")
        assert quota_ok is True and error_msg == "" and isinstance(recording_id, uuid.UUID)

        segments = [{"idx": i, "start_ms": i * 3000, "end_ms": (i + 1) * 3000,
                     "text": f"segment {i}"} for i in range(100)]
        complete_recording(db, recording_id, 300_500, segments)

        stats = get_user_dashboard_stats(db, user_id)
        assert stats == {
            "total_recordings": 1,
            "total_duration_minutes": 5.01,
            "total_segments": 100,
            "current_cycle": {"usage_count": 1, "used_seconds": 301,
                              "quota_usage_percent": 10.0,
                              "quota_minutes_percent": 16.72},
        }

        assert change_user_plan(db, user_id, "PREMIUM", prorate=True) == \
            (True, "Successfully changed plan to PREMIUM")
        assert change_user_plan(db, user_id, "PREMIUM", prorate=True) == \
            (False, "Already on this plan")
        assert change_user_plan(db, user_id, "GOLD") == (False, "Plan GOLD not found")
        assert get_user_dashboard_stats(db, user_id)["current_cycle"]["usage_count"] == 0


def test_quota_refused_is_http_403(admin, app_engine, tag, cleanup):
    plan = f"PY_{tag.upper()}"
    admin.execute("SELECT experiments.upsert_plan(%s, 'Python test', 1, 2)", (plan,))
    email = f"bo@{tag}.example.com"
    with sqlalchemy.orm.Session(app_engine) as db:
        register_user(db, email, f"bo_{tag}", "h", "Bo", plan_code=plan)
        user_id = user_id_of(admin, email)
        start_recording(db, user_id, "upload")
        start_recording(db, user_id, "upload")
        with pytest.raises(HTTPError) as refused:
            start_recording(db, user_id, "upload")
        assert refused.value.status_code == 403
        assert refused.value.detail == "Monthly usage limit reached (2 recordings)"

    counts = admin.execute(
        "SELECT s.usage_count, count(r.id) FROM experiments.user_subscriptions s"
        "  LEFT JOIN experiments.recordings r ON r.user_id = s.user_id"
        " WHERE s.user_id = %s GROUP BY s.usage_count", (user_id,)).fetchone()
    assert counts == (2, 2)


def test_errors_carry_sqlstates(admin, app_engine, tag, cleanup):
    email = f"cy@{tag}.example.com"
    with sqlalchemy.orm.Session(app_engine) as db:
        register_user(db, email, f"cy_{tag}", "h", "Cy")
        with pytest.raises(sqlalchemy.exc.IntegrityError) as dup:
            register_user(db, email.upper(), f"cy2_{tag}", "h", "Cy")
        db.rollback()
        assert isinstance(dup.value.orig, psycopg2.errors.UniqueViolation)
        assert dup.value.orig.diag.message_primary == f'email "{email}" is already registered'

        with pytest.raises(sqlalchemy.exc.DBAPIError) as no_plan:
            register_user(db, f"cy3@{tag}.example.com", f"cy3_{tag}", "h", "Cy", "GOLD")
        db.rollback()
        assert no_plan.value.orig.pgcode == "P0002"

        with pytest.raises(sqlalchemy.exc.DBAPIError) as no_user:
            create_recording_with_quota_check(db, str(uuid.UUID(int=0)), "upload")
        db.rollback()
        assert no_user.value.orig.pgcode == "P0002"

        user_id = user_id_of(admin, email)
        recording_id = start_recording(db, user_id, "upload")
        with pytest.raises(sqlalchemy.exc.DBAPIError) as bad:
            complete_recording(db, recording_id, 1000, [{"idx": 0, "start_ms": 10, "end_ms": 5,
                                                         "text": "x"}])
        db.rollback()
        assert bad.value.orig.pgcode == "22023"
        assert bad.value.orig.diag.message_primary == "in_segments[0] ends before it starts"

    # SQLAlchemy's session runs the CALL inside a transaction, so the failure
    # rolls back with it: the recording is still processing.
    status = admin.execute("SELECT status FROM experiments.recordings WHERE id = %s",
                           (recording_id,)).fetchone()[0]
    assert status == "processing"


def test_failed_mark_sticks_in_autocommit(admin, app_role, tag, cleanup):
    """Outside a transaction block the bad completion leaves the recording 'failed'."""
    engine = engine_for(app_role, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            email = f"di@{tag}.example.com"
            conn.execute(text("CALL experiments.sp_register_user(:e, :u, 'h', 'Di', 'FREE')"),
                         {"e": email, "u": f"di_{tag}"})
            user_id = user_id_of(admin, email)
            recording_id = conn.execute(
                text("SELECT recording_id FROM experiments.sp_check_quota_and_create_recording("
                     ":u, 'upload')"), {"u": user_id}).scalar_one()
            with pytest.raises(sqlalchemy.exc.DBAPIError) as bad:
                conn.execute(text("CALL experiments.sp_complete_recording(:r, 1000, :s)"),
                             {"r": recording_id, "s": '[{"idx": 0}]'})
            assert bad.value.orig.pgcode == "22023"
            # the session is usable and still the app role
            assert conn.execute(text("SELECT current_user")).scalar_one() == app_role
    finally:
        engine.dispose()

    status, reason = admin.execute(
        "SELECT status, meta #>> '{error,message}' FROM experiments.recordings WHERE id = %s",
        (recording_id,)).fetchone()
    assert status == "failed"
    assert reason == 'in_segments[0] is missing key "start_ms"'


def test_maintenance_jobs(admin, app_engine, tag, cleanup, caplog):
    """The Celery-beat jobs of the guide: monthly reset and daily cleanup."""
    email = f"ed@{tag}.example.com"
    with sqlalchemy.orm.Session(app_engine) as db:
        register_user(db, email, f"ed_{tag}", "h", "Ed")
        user_id = user_id_of(admin, email)
        recording_id = start_recording(db, user_id, "upload")
        complete_recording(db, recording_id, 2000, [{"idx": 0, "start_ms": 0, "end_ms": 2000,
                                                     "text": "old"}])
    admin.execute(
        "UPDATE experiments.user_subscriptions"
        "   SET cycle_start = date_trunc('month', now(), 'UTC') - interval '1 month',"
        "       cycle_end = date_trunc('month', now(), 'UTC')"
        " WHERE user_id = %s", (user_id,))
    admin.execute("UPDATE experiments.recordings SET created_at = now() - interval '400 days'"
                  " WHERE id = %s", (recording_id,))

    # SQLAlchemy's psycopg2 dialect hands NOTICEs to its logger at INFO
    with caplog.at_level(logging.INFO, logger="sqlalchemy.dialects.postgresql"):
        with app_engine.begin() as conn:
            conn.execute(text("CALL experiments.sp_reset_monthly_cycles()"))
    notices = [r.getMessage() for r in caplog.records]
    assert any(re.fullmatch(
        r"NOTICE:  Reset [1-9][0-9]* subscriptions for new cycle "
        r"\d{4}-\d\d-01 00:00:00\+00 to \d{4}-\d\d-01 00:00:00\+00", n)
        for n in notices), notices

    with app_engine.begin() as conn:
        row = conn.execute(text("SELECT * FROM experiments.sp_cleanup_old_recordings("
                                ":retention_days, :batch_size)"),
                           {"retention_days": 365, "batch_size": 1000}).fetchone()
    assert row.deleted_recordings >= 1 and row.deleted_segments >= 1

    usage, = admin.execute("SELECT usage_count FROM experiments.user_subscriptions"
                           " WHERE user_id = %s", (user_id,)).fetchone()
    assert usage == 0
    assert admin.execute("SELECT count(*) FROM experiments.recordings WHERE id = %s",
                         (recording_id,)).fetchone() == (0,)
