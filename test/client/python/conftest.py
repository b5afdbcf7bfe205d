"""Shared fixtures for the client tests.

The test command points PGHOST/PGPORT/PGUSER/PGDATABASE at a throwaway
cluster whose database already has the extension; these fixtures only read
the environment, so the tests also run against any server by hand.
"""
import os
import uuid

import psycopg
import pytest


def conninfo(**overrides):
    params = {
        "host": os.environ.get("PGHOST", "localhost"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "postgres"),
        "dbname": os.environ.get("PGDATABASE", "postgres"),
    }
    params.update(overrides)
    return psycopg.conninfo.make_conninfo(**params)


@pytest.fixture
def admin():
    """A superuser connection in autocommit mode."""
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        yield conn


@pytest.fixture
def app_role(admin):
    """A login role with access to every domain, dropped afterwards."""
    role = "client_app_" + uuid.uuid4().hex[:8]
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    admin.execute("SELECT count(*) FROM experiments.grant_access(%s::regrole)", (role,))
    yield role
    admin.execute("SELECT count(*) FROM experiments.revoke_access(%s::regrole)", (role,))
    admin.execute(f'DROP ROLE "{role}"')
