"""`lazy_import` for the app and the CLI: core.lazy's (the first frame imports no
SQLAlchemy; see there); and `keep_loaded`, for after such imports."""

import gc

from core.lazy import lazy_import

__all__ = ["keep_loaded", "lazy_import"]


_KEPT: set[str] = set()


def keep_loaded(what: str) -> None:
    """What is loaded now (modules, their classes, SQLAlchemy's and Textual's tables)
    lives as long as the app: move it out of the garbage collector's sight (gc.freeze), so
    a full collection walks only what came after. Without it, the first full collection
    after the database opened froze the screen for about 150 ms, in the middle of a key
    (bench/latency.py: opening the cancel wizard). On the UI thread, once a burst of
    imports is done: it only moves the collector's lists, no collection. Once per `what`
    and process: a freeze also keeps what is garbage by then (a board left before), so
    freezing again each time a screen opens would keep every screen ever left."""
    if what not in _KEPT:
        _KEPT.add(what)
        gc.freeze()
