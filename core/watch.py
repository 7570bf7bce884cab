"""Has anything been committed since I last looked? Cheap enough to ask twice a second.

SQLite: `PRAGMA data_version` on a connection kept for the purpose changes whenever
another connection (this process or another) commits. PostgreSQL: every write
transaction sends NOTIFY (see `Database.write`), and a connection kept for the
purpose LISTENs. Other databases: the newest order event's and email's ids, read
from their primary-key indexes.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from core.db import CHANGES_CHANNEL, Database
from core.models import OrderEvent, OutboxEmail


class ChangeWatcher:
    def __init__(self, db: Database):
        self.db = db
        self._conn = None
        self._last = self._token()

    def _token(self):
        if self.db.engine.dialect.name == "postgresql":
            return self._notifications()
        if self.db.is_sqlite:
            if self._conn is None:
                self._conn = self.db.engine.raw_connection()
            cursor = self._conn.cursor()
            try:
                cursor.execute("PRAGMA data_version")
                return cursor.fetchone()[0]
            finally:
                cursor.close()
        with self.db.read() as session:
            return (session.exec(select(func.max(OrderEvent.id))).one(),
                    session.exec(select(func.max(OutboxEmail.id))).one())

    def _notifications(self) -> int:
        """A count that grows with every NOTIFY received."""
        if self._conn is None:
            import psycopg

            url = self.db.engine.url.set(drivername="postgresql")
            self._conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            self._conn.execute(f"LISTEN {CHANGES_CHANNEL}")
            self._received = 0
        self._received += sum(1 for _ in self._conn.notifies(timeout=0))
        return self._received

    def changed(self) -> bool:
        token = self._token()
        changed, self._last = token != self._last, token
        return changed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
