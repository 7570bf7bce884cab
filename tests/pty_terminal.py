"""A command on a local pseudo-terminal, its screen read through a terminal emulator
(pyte) as a person would read it. Used by the terminal tests and bench/first_frame.py.

Textual repaints only what changed, in pieces, so text is looked for on the emulated
screen, never in the raw bytes.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pyte

from tests.waiting import PATIENCE

ROOT = Path(__file__).resolve().parents[1]


class PtyTerminal:
    def __init__(self, argv: list[str], *, columns: int = 100, lines: int = 32, env: dict | None = None):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        os.set_blocking(master, False)
        self.master = master
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines),
                 **(env or {})})
        os.close(slave)
        self.closed = False
        self.output = b""

    @property
    def after_app(self) -> str:
        """What was printed after the app left the alternate screen (pyte does not keep
        the two screens apart), without escape sequences."""
        tail = self.output.rpartition(b"\x1b[?1049l")[2].decode(errors="replace")
        return re.sub(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[=>])", "", tail).replace("\r", "")

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def _read(self, wait: float) -> bool:
        """Feed what the process wrote within `wait` seconds; False once it has closed the terminal."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every copy of the terminal is closed
            return False
        self.output += data
        self.stream.feed(data)
        return bool(data)

    def wait_for(self, text: str, timeout: float = PATIENCE) -> float:
        """Seconds from the start until `text` shows on the screen (at most `timeout`
        seconds from the start)."""
        while text not in self.text:
            if time.perf_counter() - self.started > timeout:
                raise AssertionError(f"{text!r} never showed; the screen shows:\n{self.text}")
            if not self._read(0.05):
                raise AssertionError(f"the program ended before {text!r} showed; the screen shows:\n{self.text}")
        return time.perf_counter() - self.started

    def wait_exit(self, timeout: float = PATIENCE) -> int:
        """Read until the program ends; its exit status."""
        deadline = time.perf_counter() + timeout
        while self._read(0.05) and self.process.poll() is None:
            if time.perf_counter() > deadline:
                raise AssertionError(f"the program did not end; the screen shows:\n{self.text}")
        return self.process.wait(max(0.1, deadline - time.perf_counter()))

    def press(self, *keys: str) -> None:
        codes = {"enter": "\r", "escape": "\x1b", "down": "\x1b[B", "up": "\x1b[A", "ctrl+q": "\x11"}
        for key in keys:
            os.write(self.master, codes.get(key, key).encode())

    def hang_up(self) -> None:
        """Close the terminal under the program, as a dropped connection does."""
        if not self.closed:
            os.close(self.master)
            self.closed = True

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.hang_up()

    def __enter__(self) -> PtyTerminal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
