"""The walkthrough file: a TOML file, read and checked with errors that carry line numbers.

    title = "A buyer cancels an order before it is packed"   # required
    view = "buyer"                 # buyer | seller | launcher (the default)
    identity = "aisha.johnson"     # the buyer's username or the shop's name
    app_version = "33.0.0"         # optional, as `orderdesk buyer --app-version`
    simulate = "slow-network"      # optional: slow-network | no-network | system-error

    [[step]]                       # one or more
    caption = "What this step shows, in the product's words."     # required, not empty
    keys = ["m", "down", "enter"]  # Textual key names, pressed in order
    type = "576557467139907374"    # characters typed (a barcode scanner), before `keys`
    expect = ["Settings and Privacy"]  # text the screen must show afterwards (or one string)
    station = ["pack", "115..."]   # first, another station runs this orderdesk command (a data
                                   # command on this copy: no --db, serve, walkthrough or outbox send)
    open = ["seller", "Lakehouse Home"]  # first, go to another identity's start screen
    wait = 3.0                     # seconds to wait afterwards (a timeout on screen), 0-60

Every problem in a file is reported, each as `FILE:LINE: what is wrong and what to do`:
not TOML, an unknown key (with the nearest known one), a missing or empty caption, a
value of the wrong kind, a key name Textual does not know. tomllib keeps no positions,
so a key's line is found in the text: the line where it is set inside its `[[step]]`
table (or before the first table, for the top-level keys).
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from textual.keys import REPLACED_KEYS, Keys, _get_unicode_name_from_key

from core.paths import data_dir

VIEWS = ("buyer", "seller", "launcher")
SIMULATIONS = ("slow-network", "no-network", "system-error")  # as `orderdesk buyer --simulate`
ROLES = ("buyer", "seller")  # what `open` can switch to
MAX_WAIT = 60.0  # seconds a step may hold its screen
MAX_FILE_BYTES = 1_000_000  # a walkthrough is a few kilobytes; anything far bigger is not one
SNAPSHOTS = ".snapshots"  # NAME.snapshots/ beside NAME.toml holds its screens, step-01.svg...
TOP_KEYS = ("title", "view", "identity", "app_version", "simulate", "step")
STEP_KEYS = ("caption", "keys", "type", "expect", "station", "open", "wait")
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")


class WalkthroughError(Exception):
    """A walkthrough that can't be played or found; `problems` are its lines, each saying
    where (FILE:LINE) and what to do. Bad input: exit 2."""

    def __init__(self, *problems: str):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Step:
    caption: str
    keys: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()
    station: tuple[str, ...] = ()
    open: tuple[str, ...] = ()  # (role, identity)
    wait: float = 0.0


@dataclass(frozen=True)
class Walkthrough:
    name: str
    title: str
    view: str
    identity: str | None
    steps: tuple[Step, ...]
    app_version: str | None = None
    simulate: str | None = None
    path: Path | None = field(default=None, compare=False)

    @property
    def snapshots(self) -> Path | None:
        """The folder of its screens, beside the file (it may not exist)."""
        return self.path.with_name(self.path.stem + SNAPSHOTS) if self.path else None


# -- Textual's key names --------------------------------------------------------------------------
def _named_keys() -> frozenset[str]:
    return frozenset(k.value for k in Keys) | {"space", "enter", "tab", "escape", "backspace", "delete"} \
        | {f"f{n}" for n in range(1, 25)}


def key_problem(key: str) -> str | None:
    """Why Textual would not know `key` (None: it does). A key is a character (`a`, `?`),
    a character's Unicode name in Textual's spelling (`question_mark`, `full_stop`), or a
    named key (`enter`, `pagedown`, `f5`), after any modifiers (`ctrl+`, `shift+`, `alt+`)."""
    *mods, base = key.split("+") if key != "+" else ("+",)
    if not base:
        return f"{key!r} has no key after its modifiers"
    bad_mods = [m for m in mods if m not in MODIFIERS]
    if bad_mods:
        return f"{key!r}: {bad_mods[0]!r} is not a modifier ({', '.join(MODIFIERS)})"
    named = _named_keys()
    if len(base) == 1 and base.isprintable() or base in named or key in named:
        return None
    try:
        unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(base, base)))
        return None
    except KeyError:
        pass
    near = difflib.get_close_matches(base, sorted(named | {"space", "question_mark", "full_stop", "comma"}), 1)
    return f"Textual has no key {key!r}" + (f"; did you mean {near[0]!r}?" if near else
                                            " (a character, its name such as 'question_mark', or 'enter', 'f5'...)")


# -- another station's command ---------------------------------------------------------------------
# What another station may run: commands on the walkthrough's own copy of the data. Never one
# that names another database (--db, --database-url: the copy is the only one a walkthrough
# touches), sends mail (outbox send), serves, opens an app or plays a walkthrough.
STATION_COMMANDS = ("buy-again", "cancel", "claim", "clock", "deliver", "handover", "orders", "outbox", "pack",
                    "reasons", "receive-return", "refuse", "request-cancel", "requests", "seed", "split", "worker")
STATION_REFUSED_OPTIONS = ("--db", "--database-url")


def station_problem(args: tuple[str, ...]) -> str | None:
    """Why a walkthrough may not run `orderdesk ARGS` as another station (None: it may)."""
    if args[0] not in STATION_COMMANDS:
        return (f"{args[0]!r} is not a command another station can run; "
                f"one of: {', '.join(STATION_COMMANDS)}")
    named = [a for a in args if a.split("=", 1)[0] in STATION_REFUSED_OPTIONS]
    if named:
        return (f"{named[0].split('=', 1)[0]} names another database; a walkthrough only ever changes "
                "its own copy of the demo data (drop it)")
    if args[0] == "outbox" and "send" in args[1:2]:
        return "outbox send would email the customers for real; `outbox list` shows the emails"
    if args[0] == "worker" and any(a.split("=", 1)[0] == "--every" for a in args[1:]):
        return "worker --every runs until stopped, so the step would never end; `worker` alone does the due work once"
    return None


# -- reading a file -------------------------------------------------------------------------------
class _Lines:
    """Where things are in the file's text: each [[step]]'s first line, and a key's line."""

    HEADER = re.compile(r"^\s*\[")
    STEP = re.compile(r"^\s*\[\[\s*step\s*\]\]")

    def __init__(self, text: str):
        self.lines = [line if not inside else "" for line, inside in zip(text.split("\n"), _in_strings(text))]
        self.steps = [n for n, line in enumerate(self.lines) if self.STEP.match(line)]
        headers = [n for n, line in enumerate(self.lines) if self.HEADER.match(line)]
        self.top_end = headers[0] if headers else len(self.lines)

    def step(self, index: int) -> int:
        """The 1-based line of step `index`'s [[step]] header."""
        return self.steps[index] + 1 if index < len(self.steps) else len(self.lines)

    def key(self, name: str, step: int | None = None) -> int:
        """The 1-based line where `name` is set (top level, or in step `step`)."""
        if step is None:
            start, end = 0, self.top_end
        else:
            start = self.steps[step] if step < len(self.steps) else 0
            end = self.steps[step + 1] if step + 1 < len(self.steps) else len(self.lines)
        pattern = re.compile(rf"""^\s*(["']?){re.escape(name)}\1\s*=""")
        for n in range(start, end):
            if pattern.match(self.lines[n]):
                return n + 1
        # a table of its own: [name] or [[name]] at the top level, [step.name] in a step
        within = r"step\s*\.\s*" if step is not None else ""
        table = re.compile(rf"^\s*\[+\s*{within}{re.escape(name)}\s*[\].]")
        for n in range(start, end if step is not None else len(self.lines)):
            if table.match(self.lines[n]):
                return n + 1
        return start + 1


def _in_strings(text: str) -> list[bool]:
    """For each line of `text`, whether it starts inside a multi-line string (a "[[step]]"
    or "keys =" there is text, not TOML). Only a multi-line string spans lines; the others
    and comments are followed so that their quotes are not taken for one."""
    starts, state, i, n = [False], None, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            starts.append(state in ('"""', "'''"))
            if state in ('"', "'", "#"):
                state = None
        elif state is None:
            if text.startswith(('"""', "'''"), i):
                state = text[i:i + 3]
                i += 2
            elif c in "\"'#":
                state = c
        elif state in ('"', '"""') and c == "\\":
            i += 1  # an escaped character
        elif state in ('"', "'") and c == state:
            state = None
        elif state in ('"""', "'''") and text.startswith(state, i):
            while text.startswith(state[0], i + 3):  # up to two quotes just before the end are content
                i += 1
            state = None
            i += 2
        i += 1
    return starts


def _unknown(key: str, known: tuple[str, ...], where: str) -> str:
    near = difflib.get_close_matches(key, known, 1)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return f"unknown key {key!r} {where}; {hint}the keys are: {', '.join(known)}"


def _strings(value, allow_one: bool = False) -> tuple[str, ...] | None:
    if allow_one and isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def parse(text: str, path: Path) -> Walkthrough:
    """A walkthrough from its file's text; every problem at once in a WalkthroughError."""
    label = str(path)
    try:
        spec = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = found.group(1) if found else "1"
        why = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise WalkthroughError(f"{label}:{line}: not valid TOML: {why}.") from None
    at = _Lines(text)
    problems: list[str] = []

    def problem(line: int, message: str) -> None:
        problems.append(f"{label}:{line}: {message}")

    for key in spec:
        if key not in TOP_KEYS:
            problem(at.key(key), _unknown(key, TOP_KEYS, "at the top of the file"))
    title = spec.get("title")
    if not isinstance(title, str) or not title.strip():
        problem(at.key("title") if "title" in spec else 1, "the walkthrough needs a title: title = \"...\"")
    view = spec.get("view", "launcher")
    if view not in VIEWS:
        problem(at.key("view"), f"view must be one of {', '.join(VIEWS)}, not {view!r}")
    if view in ROLES and "identity" not in spec:
        whose = "USERNAME\" (a buyer's username)" if view == "buyer" else "SHOP\" (the shop's name)"
        problem(at.key("view"), f"view = \"{view}\" needs whose: identity = \"{whose}")
    for key in ("identity", "app_version"):
        if key in spec and not isinstance(spec[key], str):
            problem(at.key(key), f"{key} must be a string")
    if "simulate" in spec and spec["simulate"] not in SIMULATIONS:
        problem(at.key("simulate"), f"simulate must be one of {', '.join(SIMULATIONS)}, not {spec['simulate']!r}")
    raw_steps = spec.get("step")
    if not isinstance(raw_steps, list) or not raw_steps or not all(isinstance(s, dict) for s in raw_steps):
        problem(len(at.lines) or 1, "the walkthrough has no steps: add at least one [[step]] with a caption")
        raw_steps = []
    steps = [_step(raw, n, at, problem) for n, raw in enumerate(raw_steps)]
    if problems:
        raise WalkthroughError(*problems)
    return Walkthrough(name=path.stem, title=title, view=view, identity=spec.get("identity"),
                       steps=tuple(steps), app_version=spec.get("app_version"),
                       simulate=spec.get("simulate"), path=path)


def _step(raw: dict, n: int, at: _Lines, problem) -> Step | None:
    where = f"in step {n + 1}"
    for key in raw:
        if key not in STEP_KEYS:
            problem(at.key(key, n), _unknown(key, STEP_KEYS, where))
    caption = raw.get("caption")
    if not isinstance(caption, str) or not caption.strip():
        problem(at.key("caption", n) if "caption" in raw else at.step(n),
                f"step {n + 1} has no caption: say what the step shows, caption = \"...\"")
    keys = _strings(raw.get("keys", []))
    if keys is None:
        problem(at.key("keys", n), f"keys {where} must be a list of key names, as keys = [\"down\", \"enter\"]")
        keys = ()
    for key in keys:
        why = key_problem(key)
        if why:
            problem(at.key("keys", n), f"{why} ({where})")
    typed = raw.get("type", "")
    if not isinstance(typed, str):
        problem(at.key("type", n), f"type {where} must be a string of the characters to type")
        typed = ""
    expect = _strings(raw.get("expect", []), allow_one=True)
    if expect is None or any(not e for e in expect):
        problem(at.key("expect", n), f"expect {where} must be a text or a list of texts, none empty")
        expect = ()
    station = _strings(raw.get("station", []))
    if station is None or "station" in raw and not station:
        problem(at.key("station", n), f"station {where} must be an orderdesk command as a list, "
                                      "as station = [\"pack\", \"PACKAGE_ID\"]")
        station = ()
    elif station:
        why = station_problem(station)
        if why:
            problem(at.key("station", n), f"station {where}: {why}")
    opened = _strings(raw.get("open", []))
    if opened is None or opened and (len(opened) != 2 or opened[0] not in ROLES):
        problem(at.key("open", n), f"open {where} must be [ROLE, IDENTITY] with ROLE buyer or seller")
        opened = ()
    wait = raw.get("wait", 0)
    if isinstance(wait, bool) or not isinstance(wait, int | float) or not 0 <= wait <= MAX_WAIT:
        problem(at.key("wait", n), f"wait {where} must be a number of seconds from 0 to {MAX_WAIT:g}")
        wait = 0
    return Step(caption=caption if isinstance(caption, str) else "", keys=(*typed, *keys), expect=expect,
                station=station, open=opened, wait=float(wait))


def load(path: Path) -> Walkthrough:
    """Read and check one walkthrough file."""
    try:
        # Non-blocking: a FIFO opens at once (it is then refused below), not once a writer comes.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise WalkthroughError(f"{path}: cannot read it: {exc.strerror}.") from None
    with open(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise WalkthroughError(f"{path}: not a regular file (a pipe, a device or a socket); "
                                   "a walkthrough is a small TOML file.")
        try:
            data = file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise WalkthroughError(f"{path}: cannot read it: {exc.strerror}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise WalkthroughError(f"{path}: larger than {MAX_FILE_BYTES // 1000} kB; a walkthrough is a small TOML file.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise WalkthroughError(f"{path}:{line}: not UTF-8 text; save it as UTF-8.") from None
    return parse(text, path)


# -- finding them ---------------------------------------------------------------------------------
def builtin_dir() -> Path:
    return data_dir() / "walkthroughs"


def builtins() -> list[Walkthrough]:
    return [load(path) for path in sorted(builtin_dir().glob("*.toml"))]


def builtin(name: str) -> Walkthrough:
    path = builtin_dir() / f"{name}.toml"
    if "/" in name or not path.is_file():
        raise WalkthroughError(f"There is no walkthrough file or built-in walkthrough {name!r}. "
                               f"Built-in: {', '.join(p.stem for p in sorted(builtin_dir().glob('*.toml')))}.")
    return load(path)


def paths(where: str) -> list[Path]:
    """The walkthrough files `where` names: a file, every *.toml under a folder, or a
    built-in by name (a name that is also a file or folder here means the file or folder)."""
    path = Path(where)
    if path.is_dir():
        found = sorted(path.rglob("*.toml"))
        if not found:
            raise WalkthroughError(f"{where}: no walkthrough (*.toml) in this folder.")
        return found
    if os.path.lexists(path):
        return [path]  # also a pipe, a device or a broken link: `load` says what it is
    return [builtin(where).path]


def find(where: str) -> Walkthrough:
    """One walkthrough: a file, or a built-in by name."""
    found = paths(where)
    if len(found) != 1:
        raise WalkthroughError(f"{where} is a folder of {len(found)} walkthroughs; name one file.")
    return load(found[0])
