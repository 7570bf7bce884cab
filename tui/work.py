"""Database work off the UI thread: every read and command of the app goes through here.

The UI thread only draws and takes keys; a database across a network (20 ms a round
trip) or a busy SQLite file must never freeze it. So a screen never opens a session:

- `read(node, query, then)` runs `query(session, now)` in a thread worker, in one read
  transaction at the app's clock, and hands what it returns to `then` on the UI thread.
- `run(node, command, then)` runs a `core.services` command, `command(db, now)`, the
  same way; `busy` (a widget, usually the screen's main one) shows Textual's loading
  indicator from the moment the command is asked for (the next frame, well within
  100 ms) until its result is shown.
- `fetch(app, query)` and `perform(app, command)` are the same for a flow (an async
  worker that awaits screens): they await the thread and return the result.
- `flow(app, coroutine)` starts a flow (worker group `flow`); `ask(app, screen)` is how
  it pushes a screen and awaits its answer. A flow counts as work in progress (tests
  wait for it) except while it waits for a person's answer.

Each job runs in the worker group `data:KEY`, exclusive within it: a newer read of the
same kind (a filter changed twice) supersedes an older one, whose result is dropped.
A result reaches `then` only while `node` is still mounted (a screen may have been left
meanwhile). A database that cannot answer is told on screen (a notification saying
what to do) instead of crashing the app; anything else is logged with its traceback
and told as an internal error. Tests wait for every `data:` worker to finish before
they look (tests/waiting.py: `settled`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from textual.dom import DOMNode
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from core.clock import current_time
from tui.lazy import lazy_import

if TYPE_CHECKING:
    from sqlmodel import Session

    from core.db import Database

core_db = lazy_import("core.db")  # SQLAlchemy: not before the first frame

T = TypeVar("T")
GROUP = "data"  # every database job's worker group starts with this
FLOW = "flow"  # the worker group of flows
_asking: weakref.WeakSet[Worker] = weakref.WeakSet()  # flows waiting for a person's answer
log = logging.getLogger("orderdesk.app")


def in_session(app, query: Callable[[Session, datetime], T]) -> T:
    """`query(session, now)` in one read transaction at the app's clock (on this thread)."""
    with app.db.read() as session:
        return query(session, current_time(session, app.now_text))


def with_now(app, command: Callable[[Database, datetime], T]) -> T:
    """`command(db, now)` at the app's clock (on this thread)."""
    return command(app.db, in_session(app, lambda session, now: now))


def read(node: DOMNode, query: Callable[[Session, datetime], T], then: Callable[[T], Any], *,
         key: str = "read") -> Worker:
    """Run `query(session, now)` off the UI thread; `then(result)` on it."""
    return _start(node, lambda: in_session(node.app, query), then, key, busy=None)


def run(node: DOMNode, command: Callable[[Database, datetime], T], then: Callable[[T], Any], *,
        key: str = "command", busy: Widget | None = None) -> Worker:
    """Run a command, `command(db, now)`, off the UI thread; `then(result)` on it. `busy`
    shows the loading indicator until then."""
    return _start(node, lambda: with_now(node.app, command), then, key, busy=busy)


async def fetch(app, query: Callable[[Session, datetime], T]) -> T:
    """For a flow: `query(session, now)` on a thread, awaited."""
    return await asyncio.to_thread(in_session, app, query)


async def perform(app, command: Callable[[Database, datetime], T]) -> T:
    """For a flow: `command(db, now)` on a thread, awaited."""
    return await asyncio.to_thread(with_now, app, command)


def flow(app, coroutine: Coroutine[Any, Any, Any], *, name: str = FLOW) -> Worker | None:
    """Start a flow, unless another is busy (reading, writing, between two screens):
    a second key that starts one before the first flow's screen is up is dropped.
    A flow that fails is told on screen like any job (`tell_failure`)."""
    if any(w.group == FLOW and not w.is_finished and w not in _asking for w in app.workers):
        coroutine.close()
        return None

    async def guarded() -> None:
        try:
            await coroutine
        except Exception as exc:  # told on screen, never a crash
            tell_failure(app, exc)

    return app.run_worker(guarded(), group=FLOW, name=name, exit_on_error=False)


async def ask(app, screen):
    """For a flow: push `screen` and await its answer (what it leaves with)."""
    worker = get_current_worker()
    answer = app.push_screen(screen, wait_for_dismiss=True)
    _asking.add(worker)
    answer.add_done_callback(lambda _: _asking.discard(worker))
    return await answer


def _start(node: DOMNode, job: Callable[[], T], then: Callable[[T], Any], key: str,
           busy: Widget | None) -> Worker:
    app = node.app
    if busy is not None:
        busy.loading = True

    def deliver(result: T) -> None:
        if busy is not None and busy.is_attached:
            busy.loading = False
        if node.is_attached:
            then(result)

    def failed(exc: Exception) -> None:
        if busy is not None and busy.is_attached:
            busy.loading = False
        tell_failure(app, exc)

    def work() -> None:
        try:
            result = job()
        except Exception as exc:  # told on screen, never a crash
            if not get_current_worker().is_cancelled:
                app.call_from_thread(failed, exc)
            return
        if not get_current_worker().is_cancelled:
            app.call_from_thread(deliver, result)

    return node.run_worker(work, thread=True, exclusive=True, group=f"{GROUP}:{key}",
                           name=f"{GROUP}:{key}", exit_on_error=False)


def tell_failure(app, exc: Exception) -> None:
    """A job that failed, told as a person can act on it."""
    if isinstance(exc, core_db.DatabaseBusy):
        app.notify(f"{exc} The screen shows what it last read; try again in a moment.",
                   title="Database busy", severity="warning", timeout=10)
    elif isinstance(exc, core_db.DatabaseError):
        app.notify(f"{exc} The screen shows what it last read.", title="Database not answering",
                   severity="error", timeout=10)
    else:
        log.error("a background job failed", exc_info=exc)
        app.notify(f"orderdesk hit an internal error ({type(exc).__name__}); it is in the log. "
                   "The screen shows what it last read.", title="Internal error", severity="error", timeout=10)


def running(app) -> bool:
    """Whether any database job or busy flow is still running (tests wait for none). A flow
    waiting for a person's answer is not busy: one that asked through `ask`, or any flow
    while a screen on the stack is awaited (`push_screen_wait` called directly)."""
    waiting = None
    for worker in app.workers:
        if worker.is_finished:
            continue
        if str(worker.group).startswith(GROUP):
            return True
        if worker.group == FLOW and worker not in _asking:
            if waiting is None:
                waiting = _awaited_screen(app)
            if not waiting:
                return True
    return False


def _awaited_screen(app) -> bool:
    """Is a screen on the stack awaited by a flow (its result's future pending)? Textual
    keeps that future in the screen's result callbacks (Textual 8.2)."""
    return any(callback.future is not None and not callback.future.done()
               for screen in app.screen_stack for callback in getattr(screen, "_result_callbacks", ()))
