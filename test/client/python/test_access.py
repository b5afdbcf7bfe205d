"""The extension-wide routines as Python applications call them."""
import asyncio
import os

import asyncpg
import psycopg
import pytest
import sqlalchemy
from psycopg import errors

from conftest import conninfo


def test_version_reports_library_and_sql(admin):
    row = admin.execute(
        "SELECT library_version, extension_version, versions_match"
        "  FROM experiments.version()").fetchone()
    assert row == ("1.0", "1.0", True)


def test_granted_role_calls_routines_but_not_tables(app_role):
    with psycopg.connect(conninfo(user=app_role)) as conn:
        assert conn.execute("SELECT versions_match FROM experiments.version()").fetchone() == (True,)
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM experiments.api_routines")


def test_errors_carry_sqlstates(admin):
    with pytest.raises(errors.InvalidParameterValue) as bad_domain:
        admin.execute("SELECT * FROM experiments.grant_access('postgres', ARRAY['billing'])")
    assert bad_domain.value.sqlstate == "22023"
    assert bad_domain.value.diag.message_primary == 'invalid domain "billing"'
    assert "experiments, orchestration, quota, campaigns" in bad_domain.value.diag.message_hint

    with pytest.raises(errors.NullValueNotAllowed) as null_role:
        admin.execute("SELECT * FROM experiments.grant_access(NULL)")
    assert null_role.value.diag.message_primary == "p_role must not be null"


def test_only_the_owner_may_grant(admin, app_role):
    admin.execute(
        "GRANT EXECUTE ON FUNCTION experiments.grant_access(regrole, text[], boolean) TO "
        + f'"{app_role}"')
    try:
        with psycopg.connect(conninfo(user=app_role)) as conn:
            with pytest.raises(errors.InsufficientPrivilege) as refused:
                conn.execute("SELECT * FROM experiments.grant_access(%s::regrole)", (app_role,))
            assert "permission denied to grant access" in str(refused.value)
    finally:
        admin.execute(
            "REVOKE EXECUTE ON FUNCTION experiments.grant_access(regrole, text[], boolean) FROM "
            + f'"{app_role}"')


def test_asyncpg_maps_errors_to_exceptions():
    async def run():
        conn = await asyncpg.connect(
            host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
            user=os.environ.get("PGUSER", "postgres"), database=os.environ.get("PGDATABASE"))
        try:
            row = await conn.fetchrow("SELECT * FROM experiments.version()")
            assert row["versions_match"] is True
            with pytest.raises(asyncpg.exceptions.InvalidParameterValueError):
                await conn.fetch("SELECT * FROM experiments.grant_access('-')")
        finally:
            await conn.close()

    asyncio.run(run())


def test_sqlalchemy_text_queries():
    url = sqlalchemy.engine.URL.create(
        "postgresql+psycopg2",
        username=os.environ.get("PGUSER", "postgres"),
        host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
        database=os.environ.get("PGDATABASE"))
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sqlalchemy.text(
                "SELECT * FROM experiments.version()")).mappings().one()
            assert row["library_version"] == row["extension_version"]
    finally:
        engine.dispose()
