"""A program on a pseudo-terminal of its own, as a terminal runs it: `serve ssh` runs each
session's app on one, the side-by-side view (tui/side_by_side.py) each of its two apps.

The program leads a new session with the pty as its controlling terminal, so window
changes reach it as SIGWINCH and a hang-up (or the pty's other end closing) as SIGHUP.
Sizes are clamped to MAX_COLUMNS x MAX_ROWS: a client cannot make an app draw a
65535 x 65535 screen.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import struct
import termios

MAX_COLUMNS, MAX_ROWS = 500, 200  # the largest terminal a program gets
READ_BYTES = 65536  # at most this much of a program's output is read at a time
HANG_UP_GRACE = 3.0  # seconds a program has to end after SIGHUP before SIGKILL


def clamped_size(width: int, height: int) -> tuple[int, int]:
    """The terminal size a program gets: the one asked for, at most MAX_COLUMNS x MAX_ROWS
    (80 x 24 when none is given)."""
    return min(width or 80, MAX_COLUMNS), min(height or 24, MAX_ROWS)


def set_size(fd: int, width: int, height: int) -> tuple[int, int]:
    """Give the pty `fd` this size (clamped); the size it got."""
    width, height = clamped_size(width, height)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    return width, height


def _take_terminal() -> None:
    """In the program's process: make the pty its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Program:
    """A program on a pty of its own (start it with `Program.start`).

    Window changes wait for the program's first output: SIGWINCH is ignored until a program
    handles it (Textual does so before it first writes), so a resize during its start would
    be lost and the app would draw a screen of the wrong size. The size last asked for
    meanwhile is given once it writes."""

    def __init__(self, process: asyncio.subprocess.Process, master: int, size: tuple[int, int]):
        self.process, self.master = process, master
        self.size = self.wanted = size
        self.started = False  # it has written something

    @classmethod
    async def start(cls, argv: list[str], env: dict[str, str], width: int, height: int) -> Program:
        """Start `argv` on a new pty of this size (clamped). $COLUMNS and $LINES are left out of
        its environment: they would override the pty's size (shutil.get_terminal_size)."""
        env = {name: value for name, value in env.items() if name not in ("COLUMNS", "LINES")}
        master, slave = os.openpty()
        try:
            size = set_size(master, width, height)
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                preexec_fn=_take_terminal)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        return cls(process, master, size)

    def read(self) -> bytes | None:
        """What the program wrote, at most READ_BYTES (call it when the master is readable):
        None when there is nothing yet, b"" once it has closed its terminal."""
        try:
            data = os.read(self.master, READ_BYTES)
        except BlockingIOError:
            return None
        except OSError:  # EIO: every copy of the terminal is closed
            return b""
        if data and not self.started:
            self.started = True
            self.resize(*self.wanted)
        return data

    async def send(self, data: bytes) -> None:
        """Send keys, all of them and in order, waiting while the pty is full (the program is
        not reading: the sender is held back, nothing is dropped); nothing once it is gone."""
        loop = asyncio.get_running_loop()
        rest = memoryview(data)
        while rest:
            try:
                rest = rest[os.write(self.master, rest):]
            except BlockingIOError:
                pass
            except OSError:  # the program has closed its terminal
                return
            if rest:
                writable = loop.create_future()
                loop.add_writer(self.master, lambda: writable.done() or writable.set_result(None))
                try:
                    await writable
                finally:
                    loop.remove_writer(self.master)

    def resize(self, width: int, height: int) -> tuple[int, int]:
        """Ask for this size (clamped); given at once once the program has started. The size."""
        self.wanted = clamped_size(width, height)
        if self.started and self.wanted != self.size:
            self.size = set_size(self.master, *self.wanted)
        return self.wanted

    def hang_up(self) -> None:
        """As a disconnect does: SIGHUP the program (and anything it started on its terminal)."""
        if self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGHUP)
            except ProcessLookupError:
                pass

    async def end(self) -> None:
        """Hang the program up and wait until it has ended (SIGKILL after HANG_UP_GRACE
        seconds); then close the pty."""
        if self.process.returncode is None:
            self.hang_up()
            try:
                await asyncio.wait_for(self.process.wait(), HANG_UP_GRACE)
            except asyncio.TimeoutError:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await self.process.wait()
        if self.master >= 0:
            os.close(self.master)
            self.master = -1
