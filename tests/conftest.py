"""Say which database the suite runs on, and clean up the PostgreSQL databases it made."""

from __future__ import annotations

from core import models  # noqa: F401  (the tables, for tests.databases.dump)
from tests import databases


def pytest_report_header(config):
    if databases.PG_URL:
        return "orderdesk: every test database is a fresh PostgreSQL database ($ORDERDESK_TEST_DATABASE_URL)"
    return ("orderdesk: tests run on SQLite; the PostgreSQL half was NOT run "
            "(set ORDERDESK_TEST_DATABASE_URL to a PostgreSQL server to run it)")


def pytest_sessionfinish(session, exitstatus):
    if databases.PG_URL:
        databases.drop_created()
