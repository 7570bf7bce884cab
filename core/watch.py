"""Has anything been committed since I last looked? Cheap enough to ask twice a second.

SQLite: `PRAGMA data_version` on a connection kept for the purpose changes whenever
another connection (this process or another) commits. Other databases: the newest
order event's id (every command writes one), read from its primary-key index.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from core.db import Database
from core.models import OrderEvent, OutboxEmail


class ChangeWatcher:
    def __init__(self, db: Database):
        self.db = db
        self._conn = None
        self._last = self._token()

    def _token(self):
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

    def changed(self) -> bool:
        token = self._token()
        changed, self._last = token != self._last, token
        return changed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
