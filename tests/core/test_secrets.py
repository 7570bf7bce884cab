"""A database URL's password never shows: `core.paths.redacted` and the database's errors."""

from __future__ import annotations

import socket

import pytest

from core.db import Database, DatabaseError
from core.paths import redacted

SECRET = "S3cret-Pw"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("text, shown", [
    ("postgresql+psycopg://anna:S3cret-Pw@db.example/orderdesk", "postgresql+psycopg://anna:***@db.example/orderdesk"),
    ("postgresql://anna:S3cr%40t-Pw@db:5432/od", "postgresql://anna:***@db:5432/od"),  # percent-encoded
    ("postgresql://anna:S3cret@Pa55word@db/od", "postgresql://anna:***@db/od"),  # an unencoded @
    ("postgresql://:S3cret-Pw@db/od", "postgresql://:***@db/od"),  # no user name
    ("postgresql+psycopg:///od?host=db&password=S3cret-Pw&port=1", "postgresql+psycopg:///od?host=db&password=***&port=1"),
    ("host=db password='S3 cret' user=anna", "host=db password=*** user=anna"),  # a libpq DSN
    ("could not open 'mysql://root:S3cret-Pw@127.0.0.1/x': refused; also redis://:S3cret-Pw@cache:6379/0",
     "could not open 'mysql://root:***@127.0.0.1/x': refused; also redis://:***@cache:6379/0"),
])
def test_every_url_password_in_a_text_is_hidden(text, shown):
    assert redacted(text) == shown


@pytest.mark.parametrize("text", [
    "sqlite:////home/anna/orderdesk.db", "sqlite:///relative.db", "postgresql+psycopg://anna@db:5432/orderdesk",
    "postgresql://db:5432/od", "see https://sqlalche.me/e/21/e3q8", "at 12:00:00 from 10.0.0.1:2222",
    "anna@laptop: ssh-ed25519 AAAA", "--password is better given in $ORDERDESK_SMTP_PASSWORD",
])
def test_texts_without_passwords_are_left_alone(text):
    assert redacted(text) == text


def test_the_given_urls_passwords_are_hidden_wherever_they_appear():
    url = "postgresql://anna:S3cret@Pa55word@db/od"
    driver_error = "failed to resolve host 'Pa55word@db'; user anna password S3cret@Pa55word rejected"
    shown = redacted(driver_error, url)
    assert "S3cret" not in shown and "Pa55word" not in shown
    assert redacted("auth failed for S3cr@t-Pw", "postgresql://anna:S3cr%40t-Pw@db/od") == "auth failed for ***"


@pytest.mark.parametrize("url", [
    f"postgresql+psycopg://anna:{SECRET}@127.0.0.1:{{port}}/orderdesk",  # nothing listens
    f"postgresql+psycopg://anna:{SECRET}@127.0.0.1:notaport/orderdesk",  # SQLAlchemy cannot read it
    f"postgresql+psycopg:///orderdesk?host=127.0.0.1&port={{port}}&password={SECRET}",
    f"nosuchdb://anna:{SECRET}@127.0.0.1/orderdesk",  # no such driver
    f"sqlite://anna:{SECRET}@/tmp/orderdesk.db",  # SQLite takes no password
])
def test_the_database_errors_never_show_the_password(url):
    url = url.format(port=closed_port())
    with pytest.raises(DatabaseError) as refused:
        Database(url)
    message = str(refused.value)
    assert SECRET not in message
    assert "***" in message and ("Cannot use the database URL" in message or "Cannot open the database" in message)
