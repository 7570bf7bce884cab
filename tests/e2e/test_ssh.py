"""`orderdesk serve ssh` end to end, with a real SSH client (asyncssh's)."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from core.db import Database
from core.models import Order
from tests.e2e.conftest import login, session_processes
from tests.waiting import PATIENCE, await_until, wait_until


ON_HOLD_ORDER = "576060251085660067"  # aisha.johnson's newest order, on hold: cancellable at once


def run(coro):
    return asyncio.run(coro)


async def pick_a_reason(term, order_id: str) -> None:
    """Profile → menu → Settings and Privacy → Orders → the order → Cancel → a reason, by keys."""
    await term.wait_for("Aisha Johnson")
    term.press("m")
    await term.wait_for("Only Orders opens in this app")  # Settings and Privacy (the Profile names it too)
    term.press("enter")
    await term.wait_for(order_id)
    term.press("enter")
    await term.wait_for("Cancel order")
    term.press("c")
    await term.wait_for("Why do you want to cancel?")
    term.press("down", "down", "enter")
    await term.wait_for("Reason: No longer needed")


def test_stopping_the_server_ends_every_sessions_app(ssh_server, keys):
    server = ssh_server()

    async def sessions():
        terms = [await login(server, "seller-anna", keys.private["seller"]) for _ in range(3)]
        for term in terms:
            await term.wait_for("Lakehouse Home")
        assert len(session_processes(server)) == 3
        server.stop()  # SIGTERM
        await await_until(lambda: session_processes(server) == [], "every session's app ends")
        assert server.process.returncode == 0

    run(sessions())


def test_a_seller_logs_in_by_key_and_sees_only_their_shop(ssh_server, keys):
    server = ssh_server()

    async def session():
        term = await login(server, "seller-anna", keys.private["seller"])
        await term.wait_for("To Ship 11")  # the board's data: its keys work from now on (greyed before)
        assert "Open orderdesk as" not in term.text
        term.press("escape")  # locked: there is nothing behind the start screen
        term.press("?")  # keys are handled in order: the help that opens is the board's
        await term.wait_for("Keys: To Ship board")
        term.press("escape")  # closes the help
        await term.wait_for("Lakehouse Home")
        assert "Metro Kit" not in term.text and "Rosewater" not in term.text
        await term.close()

    run(session())


def test_a_buyer_cancels_an_order_over_ssh_by_keys(ssh_server, keys):
    """Profile → menu → Settings and Privacy → Orders → the order → Cancel → reason → Send."""
    server = ssh_server()
    order_id = ON_HOLD_ORDER

    async def session():
        term = await login(server, "aisha", keys.private["buyer"])
        await pick_a_reason(term, ON_HOLD_ORDER)
        term.press("s")
        await term.wait_for("Order cancelled")
        await term.close()

    run(session())
    db = Database(server.url, upgrade=False)
    with db.read() as s:
        assert s.get(Order, order_id).status == "cancelled"
    db.dispose()


@pytest.mark.parametrize("login_name, key", [("aisha", "stranger"), ("seller-anna", "buyer"),
                                             ("nobody", "buyer")])
def test_unknown_or_someone_elses_keys_are_refused(ssh_server, keys, login_name, key):
    server = ssh_server()

    async def attempt():
        with pytest.raises(asyncssh.PermissionDenied):
            await login(server, login_name, keys.private[key])

    run(attempt())


def test_passwords_are_refused_unless_allowed(ssh_server, keys):
    closed, open_ = ssh_server(), ssh_server("--allow-passwords")

    async def attempt():
        with pytest.raises(asyncssh.PermissionDenied):
            await login(closed, "seller-anna", None, password="demo-only", preferred_auth="password")
        with pytest.raises(asyncssh.PermissionDenied):
            await login(open_, "seller-anna", None, password="wrong", preferred_auth="password")
        term = await login(open_, "seller-anna", None, password="demo-only", preferred_auth="password")
        await term.wait_for("Lakehouse Home")
        await term.close()

    run(attempt())


def test_commands_and_port_forwarding_are_refused(ssh_server, keys):
    server = ssh_server()

    async def attempt():
        async with asyncssh.connect("127.0.0.1", server.port, username="aisha",
                                    client_keys=[keys.private["buyer"]], known_hosts=None) as conn:
            result = await conn.run("cat /etc/passwd")
            assert result.exit_status == 1
            assert "commands are not allowed" in result.stderr
            assert "root:" not in result.stdout
            shell = await conn.run()  # a shell without a terminal
            assert shell.exit_status == 1 and "needs a terminal" in shell.stderr
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", server.port)

    run(attempt())


def test_a_window_resize_reaches_the_app(ssh_server, keys):
    server = ssh_server()

    async def session():
        term = await login(server, "seller-anna", keys.private["seller"], width=80, height=24)
        await term.wait_for("? Help")
        assert term.screen.display[-1].endswith("? Help") and len(term.screen.display[-1]) == 80
        await term.resize(120, 36)
        await await_until(lambda: len(term.screen.display[-1].rstrip()) > 100, "the app redraws at 120 columns")
        footer = term.screen.display[-1]
        assert footer.endswith("? Help") and len(footer) == 120, footer
        await term.close()

    run(session())


def test_twenty_sessions_at_once(ssh_server, keys):
    server = ssh_server()

    async def one(n):
        term = await login(server, "seller-anna" if n % 2 else "aisha",
                           keys.private["seller" if n % 2 else "buyer"])
        await term.wait_for("Lakehouse Home" if n % 2 else "aisha", timeout=90)
        return term

    async def many():
        terms = await asyncio.gather(*(one(n) for n in range(20)))
        for term in terms:
            await term.close()

    run(many())


def test_past_the_session_cap_a_connection_is_told_the_server_is_full(ssh_server, keys):
    server = ssh_server("--max-sessions", "1")

    async def attempt():
        first = await login(server, "seller-anna", keys.private["seller"])
        await first.wait_for("Lakehouse Home")
        second = await login(server, "aisha", keys.private["buyer"])
        await second.wait_for("the server is full")
        await second.close()
        await first.close()

    run(attempt())


def test_an_idle_session_ends_and_the_server_keeps_serving(ssh_server, keys):
    server = ssh_server("--idle-timeout", "3")

    async def attempt():
        term = await login(server, "seller-anna", keys.private["seller"])
        await term.wait_for("Lakehouse Home")
        await term.wait_for("session ended after being idle", timeout=PATIENCE)
        await term.close()
        again = await login(server, "seller-anna", keys.private["seller"])
        await again.wait_for("Lakehouse Home")
        await again.close()

    run(attempt())


def test_a_walkthrough_plays_over_ssh(ssh_server, keys):
    server = ssh_server()

    async def session():
        term = await login(server, "demo", keys.private["seller"])
        await term.wait_for("A buyer cancels an order before it is packed")
        term.press(" ")
        await term.wait_for("Step 1/8")
        term.press(" ")
        await term.wait_for("Settings and Privacy")
        await term.close()

    run(session())


def test_a_disconnect_mid_action_leaves_the_database_consistent(ssh_server, keys):
    """The buyer's connection drops just as Send is pressed: the cancellation happened
    whole or not at all, and the server goes on serving others."""
    from tests.core.invariants import baseline, violations

    server = ssh_server()
    db = Database(server.url, upgrade=False)
    before = baseline(db)

    async def session():
        term = await login(server, "aisha", keys.private["buyer"])
        await pick_a_reason(term, ON_HOLD_ORDER)
        term.press("s")
        term.conn.abort()  # the network goes, mid-action
        term.reader.cancel()
        other = await login(server, "seller-anna", keys.private["seller"])
        await other.wait_for("Lakehouse Home")
        await other.close()

    run(session())
    wait_until(lambda: session_processes(server) == [], "the server ends the dropped session's app")
    assert violations(db, before) == []
    with db.read() as s:
        assert s.get(Order, ON_HOLD_ORDER).status in ("on_hold", "cancelled")
    db.dispose()
