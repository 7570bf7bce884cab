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
- `flow(node, journey)` runs a flow as a worker (group FLOW); in it, `ask(app, screen)`
  pushes a screen and awaits its answer. A flow counts as work in progress (`running`:
  tests wait for it) except while it waits for a person's answer.
- `hold(app, key)`: a key that comes while a flow is between two screens (the one
  that answered is gone, the next is not up yet) is held by the app, and given to the
  next screen once that one is up (or to the screen below when the flow ends), one key
  at a time, each once the one before it has been handled whole: a person typing ahead
  (Enter right after m, keys batched by an SSH connection) loses no key, and no key
  acts on a screen that has already answered.

Each job runs in the worker group `data:KEY`, exclusive within it: a newer read of the
same kind (a filter changed twice) supersedes an older one, whose result is dropped.
A result reaches `then` only while `node` is still mounted (a screen may have been left
meanwhile). A database that cannot answer is told on screen (a notification saying
what to do) instead of crashing the app; anything else is logged with its traceback
and told as an internal error. Tests wait for every `data:` worker to finish before
they look (tests/waiting.py: `settled`), and for every flow to be waiting on a screen
that is on screen: a flow lives as long as the journey, so "all workers finished"
would never come.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events
from textual.dom import DOMNode
from textual.screen import Screen
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
FLOW = "flow"  # the worker group of flows (a journey through several screens)
log = logging.getLogger("orderdesk.app")
_asked: weakref.WeakKeyDictionary[Worker, tuple[Screen, asyncio.Future]] = weakref.WeakKeyDictionary()
_ended: weakref.WeakSet[Worker] = weakref.WeakSet()  # flows past their last screen
_held: weakref.WeakKeyDictionary[Any, list[tuple[str, str | None]]] = weakref.WeakKeyDictionary()
_giving: weakref.WeakKeyDictionary[Any, asyncio.Task] = weakref.WeakKeyDictionary()  # app -> its key giver


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


def flow(node: DOMNode, journey: Coroutine[Any, Any, Any], *, name: str = FLOW) -> Worker | None:
    """Run `journey` (a flow: it asks screens and decides which comes next) as a worker
    of `node` (it ends when `node` goes), unless another flow is between two screens
    (reading, writing, its next screen not up yet): a second key that starts a flow
    before the first one's screen is up is dropped. A flow that fails is told on screen
    like any job (`tell_failure`), never a crash."""
    app = node.app
    if _between_screens(app):
        journey.close()
        return None

    async def guarded() -> Any:
        try:
            return await journey
        except Exception as exc:  # told on screen, never a crash
            tell_failure(app, exc)
        finally:
            _ended.add(get_current_worker())
            _give_held_keys(app)

    return node.run_worker(guarded(), group=FLOW, name=name, exit_on_error=False)


async def ask(app, screen: Screen[T]) -> T | None:
    """For a flow: push `screen` and await its answer (the screen leaves with it,
    `tui.active.leave`). None when it was left without one (Escape)."""
    # As Textual's push_screen_wait does: the screen before it finishes leaving first (its
    # removal waits in the app's next callbacks); pushed in between, the new screen may
    # never be painted.
    await app._flush_next_callbacks()
    answer = app.push_screen(screen, wait_for_dismiss=True)
    _asked[get_current_worker()] = (screen, answer)
    await screen._mounted_event.wait()  # Textual's own mount awaits this (no public way)
    _give_held_keys(app)  # up: the keys typed ahead are its
    return await asyncio.shield(answer)


def hold(node: DOMNode, event: events.Key) -> bool:
    """Hold `event` while a flow is between two screens, or while keys held before it wait
    their turn; False if it goes on now. The app asks it of every key twice
    (`OrderDeskApp.on_event`): as the key arrives, so no key reaches a screen a flow has
    pushed but not yet mounted; and as it comes back from the screen it was passed to,
    before the bindings act on it, for the keys passed on before the one ahead of them
    took the flow between screens (a screen that answered must not take them)."""
    app = node.app
    given = getattr(event, "held", False)  # held before, and given to the screen on top
    if not (_between_screens(app) or (_held.get(app) and not given)):
        return False
    event.stop()
    event.prevent_default()
    held = _held.setdefault(app, [])
    held.insert(0 if given else len(held), (event.key, event.character))  # a given one, first again
    return True


def journeying(worker: Worker | None) -> bool:
    """Whether `worker` is a flow still on its way (not past its last screen)."""
    return worker is not None and not worker.is_finished and worker not in _ended


def _between_screens(app) -> bool:
    return any(worker.group == FLOW and not worker.is_finished and worker not in _ended
               and not _waiting(worker) for worker in app.workers)


def _give_held_keys(app) -> None:
    """Give the held keys to the screen on top (one task per app at a time)."""
    if _held.get(app) and app not in _giving:
        _giving[app] = asyncio.create_task(_give(app))


async def _give(app) -> None:
    """The keys held, one at a time, to the screen on top, each once the one before it has
    been handled whole (the screen's widgets and the app have nothing left of it to do: a
    menu's Enter is a key, then an action, then a message, then the answer); they wait
    again whenever a key took a flow between screens, for its next screen to be up."""
    try:
        await _handled(app)  # the screen's own mounting done: focus, first draw
        held = _held.get(app)
        while held and not _between_screens(app):
            key, character = held.pop(0)
            event = events.Key(key, character)
            event.held = True  # given now: not held again, unless a flow is between screens when it arrives
            event.set_sender(app)
            app.post_message(event)
            await _handled(app)
    finally:
        _giving.pop(app, None)
    if _held.get(app) and not _between_screens(app):  # held while this one was finishing
        _give_held_keys(app)


async def _handled(app, hops: int = 50) -> None:
    """Until the app and the screen on top have handled every message they were sent, and
    those these sent on (at most `hops` times): as Textual's Pilot waits after a key, by
    a callback queued behind them in each. A widget taken down meanwhile (a screen that
    answered) is not waited for: its queue is dropped."""
    for _ in range(hops):
        pumps = [app, *app.screen.walk_children(with_self=True)]
        if all(pump._message_queue.empty() for pump in pumps):
            return
        marks = []
        for pump in pumps:
            mark = asyncio.Event()
            if pump.call_later(mark.set):
                marks.append((pump, asyncio.ensure_future(mark.wait())))
        try:
            while pending := [mark for pump, mark in marks if not mark.done() and not pump._closing]:
                await asyncio.wait(pending, timeout=0.05)  # a pump closing drops its callback
        finally:
            for _, mark in marks:
                mark.cancel()


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
    """Whether any database job is still running, a flow is between two screens
    (deciding, reading, or its screen not mounted yet) or keys typed ahead wait to be
    given: tests wait for none."""
    return bool(_held.get(app)) or app in _giving or any(
        not worker.is_finished and (str(worker.group).startswith(GROUP) or worker.group == FLOW and not _waiting(worker))
        for worker in app.workers)


def _waiting(worker: Worker) -> bool:
    """Whether a flow waits for a person: its screen is up (mounted) and has not answered.
    A screen taken away without answering (a walkthrough starting over) leaves its flow
    waiting for good; the app ends it when it ends."""
    asked = _asked.get(worker)
    if asked is None:
        return False
    screen, answer = asked
    return not answer.done() and (screen.is_mounted or screen not in screen.app.screen_stack)
