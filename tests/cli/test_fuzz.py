"""Fuzz every command's options (issue 13, class 5): whatever a person types, orderdesk
ends with 0, 1 or 2 and a message, never a traceback.

The commands come from walking click's command tree, so a new command is fuzzed without
touching this file; only those that open the app, start a server or block are left out
(SKIPPED). Each command gets the demo data as time left it at the demo clock (a copy of its
own once an earlier command changed it) and a bounded, derandomized run of hypothesis (the
same examples every run, so CI is reproducible; no shrinking, so a failure costs no more
time: it shows the command line and the earlier ones of that run that changed data). About
30 s on SQLite and 90 s on PostgreSQL on a loaded 2-core machine. The values are
what people and scripts really pass, and worse: IDs, reasons and names from the demo data,
huge and negative numbers, instants and durations at and past the edges, unicode, CR/LF,
empty strings, /dev/full, /dev/zero, a folder, a FIFO.

Each run must end with exit 0, 1 or 2 (70 is orderdesk's internal error: a failure here),
print no traceback, print JSON with --json (on exit 1 or 2 the error object), and on exit
1 or 2 leave every row of the database as it was.
"""

from __future__ import annotations

import json
import os
import resource
import signal
from contextlib import contextmanager
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from core import rules
from tests.core import tiktok_samples as samples
from tests.databases import clone_url, drop, dump
from tui.cli import cli, main

SKIPPED = {
    ("demo",): "opens the app",
    ("buyer",): "opens the app",
    ("seller",): "opens the app",
    ("serve",): "starts a server",
    ("walkthrough",): "plays in the app, or every step (tests/tui/test_walkthrough_cli.py covers check and export)",
}
SKIPPED_OPTIONS = {"--every": "keeps going until Ctrl+C"}  # on whichever command has it
EXAMPLES = 25  # per command: about a minute for all of them on a loaded 2-core machine
RUN_TIMEOUT = 120  # seconds: a command blocked (on a FIFO, say) fails the run instead of hanging it
MEMORY_HEADROOM = 2 << 30  # bytes: a command reading without bound fails instead of taking the machine


def commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        here = path + (name,)
        if here in SKIPPED:
            continue
        if isinstance(command, click.Group):
            yield from commands(command, here)
        else:
            yield here, command


COMMANDS = dict(commands())


def test_the_skipped_commands_exist():
    """A renamed command must not leave the fuzzer by accident."""
    for path in SKIPPED:
        group = cli
        for name in path:
            group = group.commands[name]
    options = {opt for command in COMMANDS.values() for param in command.params for opt in param.opts}
    assert set(SKIPPED_OPTIONS) <= options
    assert len(COMMANDS) >= 20


# -- values --------------------------------------------------------------------------------
ODD_TEXT = ["", " ", "\r\n", "a\r\nBcc: evil@example.com", "\t", "é", "Ω≈ç√", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u202e",
            "\udcff", "%", "_", "'", '"', "\\", "-", "--", "null", "NaN", "../../etc/passwd",
            "x" * 300, "9" * 5000, "0", "-1", "1e309"]
def mostly(plausible: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """Three in four plausible (so examples get past parsing, into the commands), one hostile.
    (Hypothesis favours 0: it picks plausible.)"""
    return st.integers(0, 3).flatmap(lambda n: hostile if n == 3 else plausible)


TEXT = st.one_of(st.sampled_from(ODD_TEXT),
                 st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30))
INSTANTS = mostly(st.datetimes().map(lambda d: d.isoformat()), st.one_of(
    st.sampled_from([
        "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z", "9000-01-01T00:00:00Z", "9000-01-01T00:00:01Z", "2026-11-20",
        "2026-11-20T12:00:00Z", "2026-11-20T12:00:00+05:45", "2026-02-30", "yesterday", "",
        "２０２６-１１-２０", "2026-11-20T25:00:00Z", "2026-11-20T12:00:00+24:00",
    ]),
    st.builds(lambda d, h: f"{d.isoformat()}{h:+03d}:00", st.datetimes(), st.integers(-23, 23)),
    TEXT,
))
DURATIONS = mostly(st.builds(lambda n, u: f"{n}{u}", st.integers(0, 100), st.sampled_from("smhd")), st.one_of(
    st.sampled_from(["3000000d", "36500d", "36501d", "0s", "1h", "90m", "-1h", "1.5h", "1e3s", "",
                     "99999999999999999999999d", "9" * 5000 + "s", "١٠h", " 2 h ", "2H"]),
    st.builds(lambda n, u: f"{n}{u}", st.integers(-10, 10**12), st.sampled_from("smhdw")),
    TEXT,
))
VERSIONS = mostly(st.sampled_from(["33.0.0", "36.2.1", "99.0.0"]),
                  st.one_of(st.sampled_from(["1", "1.2.x", "9" * 400, "..", "35.1.0-beta"]), TEXT))
SMTP = st.sampled_from(["127.0.0.1:1", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1", ":25", "",
                        "127.0.0.1:-1", "[::1]:1", "localhost:abc", "127.0.0.1:1\r\n", "a b:25"])
EMAILS = mostly(st.just("orderdesk@localhost"),
                st.one_of(st.sampled_from(["a@b\r\nBcc: x@y", "a@b\nx", "\r", "", "<>", "a" * 1000 + "@b"]), TEXT))


def int_values(kind: click.IntRange) -> st.SearchStrategy[str]:
    low = kind.min if kind.min is not None else 0
    outside = [kind.min - 1] * (kind.min is not None) + [kind.max + 1] * (kind.max is not None)
    return mostly(
        st.integers(low, low + 3).map(str),  # valid and cheap (`seed synthetic --orders` stays small)
        st.sampled_from([*outside, 10**20, -(10**20), 2**63]).map(str)
        | st.sampled_from(["", "x", "1.5", "9" * 5000, "0x10", " 3 "]))


def seconds_values(kind: click.FloatRange) -> st.SearchStrategy[str]:
    return st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1e309", "", "x", str(kind.min), str(kind.max),
                            str((kind.max or 0) * 10)])


def values_for(param: click.Parameter, data: dict) -> st.SearchStrategy[str]:
    """What to type for `param`: by what it names (an order, a reason, a path...), else by its type."""
    name = param.opts[0] if isinstance(param, click.Option) else param.name
    named = {
        "order_id": data["orders"], "--order": data["orders"], "package_id": data["packages"],
        "--package": data["packages"], "cancel_id": data["cancellations"], "--reason": data["reasons"],
        "--item": data["items"], "--user": data["buyers"], "--buyer": data["buyers"],
        "--shop": data["shops"], "--product": data["skus"], "--since": INSTANTS, "duration": DURATIONS,
        "--app-version": VERSIONS, "--smtp": SMTP, "--sender": EMAILS,
        "file": data["paths"], "-o": data["paths"], "--export": data["paths"],
    }.get(name)
    if named is not None:
        return named if isinstance(named, st.SearchStrategy) else mostly(st.sampled_from(named), TEXT)
    if isinstance(param.type, click.IntRange):
        return int_values(param.type)
    if isinstance(param.type, click.FloatRange):
        return seconds_values(param.type)
    if isinstance(param.type, click.Choice):
        return mostly(st.sampled_from(list(param.type.choices)), TEXT)
    if isinstance(param.type, click.Path):
        return data["paths"]
    return TEXT


@st.composite
def invocations(draw, path: tuple[str, ...], command: click.Command, data: dict) -> list[str]:
    """One command line: some global options, the command, its options and arguments."""
    argv = ["--now", draw(INSTANTS)] if draw(st.booleans()) else []
    argv += path
    arguments = []
    for param in command.params:
        if param.name == "as_json" or (isinstance(param, click.Option) and param.opts[0] in SKIPPED_OPTIONS):
            continue
        n = draw(st.integers(0, 19))
        wanted = n < 19 if param.required else n >= 14  # 95% or 30% (hypothesis favours 0)
        if path == ("outbox", "send") and param.opts[0] == "--smtp":
            wanted = True  # never the default localhost:25: a real mail server might listen there
        if not wanted:
            continue
        if isinstance(param, click.Argument):
            arguments.append(draw(values_for(param, data)))
        elif param.is_flag:
            argv.append(param.opts[0])
        else:
            count = draw(st.integers(1, 3)) if param.multiple else 1
            for _ in range(count):
                argv += [param.opts[0], draw(values_for(param, data))]
    if draw(st.booleans()):
        argv.append("--json")
    return argv + arguments


# -- the world the commands run in ------------------------------------------------------------
@pytest.fixture(scope="module")
def catalog(demo_template, tmp_path_factory):
    """The demo data's IDs and names, and paths of every kind."""
    engine = create_engine(demo_template)
    try:
        with engine.connect() as conn:
            def column(sql):
                return [row[0] for row in conn.execute(text(sql))]

            orders = column("SELECT id FROM orders ORDER BY id")
            lines = column("SELECT id FROM order_lines ORDER BY id")
            skus = column("SELECT DISTINCT sku FROM products ORDER BY sku")
            found = {
                "orders": orders + [o[-6:] for o in orders[:5]],
                "packages": column("SELECT id FROM packages ORDER BY id"),
                "cancellations": column("SELECT id FROM cancellations ORDER BY id"),
                "buyers": column("SELECT username FROM buyers ORDER BY username"),
                "shops": column("SELECT name FROM shops ORDER BY name"),
                "skus": skus,
            }
    finally:
        engine.dispose()
    found["reasons"] = sorted({key for actor in ("buyer", "seller", "reject") for key in rules.reasons_for(actor)})
    found["items"] = mostly(
        st.builds(lambda key, qty: f"{key}={qty}", st.sampled_from(lines + skus), st.sampled_from("12")),
        st.builds(lambda key, qty: f"{key}={qty}", st.sampled_from(lines + skus) | TEXT,
                  st.sampled_from(["0", "-1", "", "x", "99999999999999999999", "1.5", "1=1"])) | TEXT)
    folder = tmp_path_factory.mktemp("paths")
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    (folder / "garbage.csv").write_bytes(os.urandom(2000))
    export = samples.write_csv(folder / "export.csv", [samples.row(samples.oid(1)), samples.row(samples.oid(2))])
    found["paths"] = st.sampled_from([
        "/dev/full", "/dev/null", "/dev/zero", str(folder), str(fifo), str(folder / "garbage.csv"),
        str(export), str(folder / "missing" / "out.csv"), str(folder / "new.csv"), "", "-",
        str(folder / "é ünï.csv"), str(folder / ("x" * 300)),
    ])
    return found


class Blocked(Exception):
    """The command ran past RUN_TIMEOUT (blocked on a FIFO, say)."""


def _blocked(signum, frame):
    raise Blocked(f"still running after {RUN_TIMEOUT} s")


@contextmanager
def guarded():
    """A command that blocks or reads without bound fails its example (an exception that
    main() reports as an internal error, exit 70): it cannot hang CI or take the memory
    of a shared machine."""
    alarm = signal.signal(signal.SIGALRM, _blocked)
    signal.setitimer(signal.ITIMER_REAL, RUN_TIMEOUT)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    limit = used + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, alarm)


def changed_tables(before: dict, after: dict) -> dict[str, str]:
    return {table: f"{len(before[table])} rows -> {len(after[table])} rows"
            for table in before if before[table] != after[table]}


@pytest.fixture(scope="module")
def settled(demo_template, tmp_path_factory):
    """The demo data after time did its work at the demo clock (the first command that
    settles would do it), and every row of it."""
    url = clone_url(demo_template, tmp_path_factory.mktemp("settled"))
    assert main(["--database-url", url, "orders", "list"]) == 0
    return url, dump(url)


@pytest.fixture(scope="module")
def pristine() -> list[str]:
    """Copies of the settled demo data that a command's examples left as they were, for the
    next command (a copy costs little, but dropping it costs seconds on PostgreSQL)."""
    return []


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_fuzz(path, catalog, settled, pristine, tmp_path, capsys, monkeypatch):
    for name in ("ORDERDESK_NOW", "ORDERDESK_DATABASE_URL", "ORDERDESK_SMTP", "ORDERDESK_SMTP_SECURITY",
                 "ORDERDESK_SMTP_USER", "ORDERDESK_SMTP_PASSWORD", "ORDERDESK_SMTP_SENDER",
                 "ORDERDESK_BUSY_TIMEOUT", "ORDERDESK_PRINTER"):  # no real paper from --print
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # a relative path such as "-" is written here, not in the checkout
    template, rows = settled
    world = {"url": pristine.pop() if pristine else clone_url(template, tmp_path), "rows": rows, "changes": []}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])  # no shrinking: bounded time
    @given(st.data())
    def run(data):
        """The examples run one after the other on one copy of the settled demo data (a fresh
        copy per example is slow on PostgreSQL); a failure lists the commands that changed it."""
        argv = data.draw(invocations(path, COMMANDS[path], catalog), label="argv")
        capsys.readouterr()
        with guarded():
            code = main(["--database-url", world["url"], *argv])
        out, err = capsys.readouterr()
        changes = "".join(f"\n  orderdesk {' '.join(map(repr, a))}" for a in world["changes"])
        shown = (f"orderdesk {' '.join(map(repr, argv))}\nexit {code}\nstdout: {out[-2000:]}\n"
                 f"stderr: {err[-2000:]}\n" + (f"(run after these, on the settled demo data:{changes})" if changes else ""))
        assert code in (0, 1, 2), shown
        assert "Traceback" not in out + err, shown
        if "--json" in argv:
            document = json.loads(out)
            if code:
                assert set(document) == {"error"} and {"code", "message"} <= set(document["error"]), shown
                assert document["error"]["message"], shown
        after = dump(world["url"])
        if after != world["rows"]:
            world["changes"].append(argv)
            assert code == 0, f"exit {code} changed {changed_tables(world['rows'], after)}\n{shown}"
            world["rows"] = after

    run()
    if world["changes"]:
        drop(world["url"])  # now rather than when the session ends
    else:
        pristine.append(world["url"])
