"""Setting up the servers: `orderdesk serve hash-password`, and the users file's mistakes and
unsafe settings, refused at start (exit 2) with a message that says what to fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from argon2 import PasswordHasher

from tests.pty_terminal import ROOT, PtyTerminal
from tui.users import User, authenticate, hash_password

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl anna@laptop"


def hash_password_cmd(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", "serve", "hash-password", *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=120)


# -- hash-password ---------------------------------------------------------------------------------
def test_hash_password_asks_twice_on_the_terminal_without_echo_and_prints_a_hash_that_logs_in():
    with PtyTerminal([sys.executable, "-m", "tui.cli", "serve", "hash-password"], columns=200) as term:
        term.wait_for("Password:")
        term.press("correct horse battery", "\r")
        term.wait_for("Again:")
        term.press("correct horse battery", "\r")
        assert term.wait_exit(120) == 0
        assert "correct horse" not in term.text
        line = next(line for line in term.text.splitlines() if line.startswith("password_hash = "))
    hashed = line.split('"')[1]
    assert hashed.startswith("$argon2id$")
    user = User("anna", "seller", "Lakehouse Home", password_hash=hashed)
    assert authenticate({"anna": user}, "anna", "correct horse battery") == user
    assert authenticate({"anna": user}, "anna", "correct horse battery!") is None


def test_hash_password_refuses_two_different_entries():
    with PtyTerminal([sys.executable, "-m", "tui.cli", "serve", "hash-password"], columns=200) as term:
        term.wait_for("Password:")
        term.press("correct horse battery", "\r")
        term.wait_for("Again:")
        term.press("correct horse batterx", "\r")
        assert term.wait_exit(120) == 2
        assert "differ" in term.text and "argon2" not in term.text


def test_hash_password_reads_the_first_line_of_stdin_when_it_is_not_a_terminal():
    done = hash_password_cmd("--json", stdin="from a password manager\nsecond line\n")
    assert done.returncode == 0, done.stderr
    import json

    hashed = json.loads(done.stdout)["password_hash"]
    assert PasswordHasher().verify(hashed, "from a password manager")
    assert "password manager" not in done.stdout + done.stderr


@pytest.mark.parametrize("stdin, problem", [("", "too short"), ("short\n", "too short"),
                                            ("x" * 5000 + "\n", "too long")])
def test_hash_password_refuses_an_empty_short_or_overlong_password(stdin, problem):
    done = hash_password_cmd(stdin=stdin)
    assert done.returncode == 2
    assert problem in done.stderr and "argon2" not in done.stdout


# -- the users file ------------------------------------------------------------------------------
def users_file(tmp_path, body: str):
    path = tmp_path / "users.toml"
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize("command", ["ssh", "web"])
@pytest.mark.parametrize("body, says", [
    ('''
     [[user]]
     login = "anna"
     role = "seller"
     identity = "Lakehouse Home"
     keys = [
       "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl anna@laptop",
       "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAbroken anna@phone",
     ]
     ''', ["User 'anna'", "line 8", "is not an SSH public key", ".pub"]),
    (f'''
     [[user]]
     login = "anna"
     role = "seller"
     identity = "Lakehouse Home"
     keys = ['from="10.0.0.0/8" {KEY}']
     ''', ["User 'anna'", "line 6", "options", "from="]),
    ('''
     [[user]]
     login = "anna"
     role = "seller"
     identity = "Lakehouse Home"
     password_hash = "$2b$12$notargon"
     ''', ["User 'anna'", "line 6", "not an argon2 hash", "hash-password"]),
    ('''
     [[user]]
     login = "anna"
     role = "seller"
     identity = "Lakehouse Home"
     password = "demo-only"
     password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
     ''', ["User 'anna'", "password_hash only"]),
    (f'''
     [[user]]
     login = "anna"
     role = "seller"
     identity = "Lakehouse Home"
     keys = ["{KEY}"]

     [[user]]
     login = "anna"
     role = "buyer"
     identity = "aisha.johnson"
     keys = ["{KEY}"]
     ''', ["'anna' twice"]),
    ('''
     [[user]]
     login = "anna"
     role = "admin"
     identity = "Lakehouse Home"
     ''', ["User 'anna'", "role must be buyer, seller or walkthrough"]),
    ('''
     [[user]]
     login = "anna"
     role = "seller"
     identity = "Lakehouse Home"
     keys = "ssh-ed25519 AAAA"
     ''', ["User 'anna'", "keys must be a list"]),
])
def test_a_mistake_in_the_users_file_stops_either_server_naming_the_user_and_line(od, tmp_path, command,
                                                                                  body, says):
    run = od("serve", command, "--users", str(users_file(tmp_path, body)), "--port", "1", "--json")
    assert run.code == 2
    message = run.json["error"]["message"]
    for text in says:
        assert text in message
    assert "Traceback" not in run.out + run.err


def test_keys_are_read_as_authorized_keys_lines(tmp_path):
    from tui.users import load_users

    users = load_users(users_file(tmp_path, f'''
        [[user]]
        login = "anna"
        role = "seller"
        identity = "Lakehouse Home"
        keys = ["  {KEY}  ", """
        # her laptop and her phone, as in an authorized_keys file
        {KEY.replace("laptop", "phone")}
        """]
        '''))
    assert users["anna"].keys == (KEY, KEY.replace("laptop", "phone"))


# -- unsafe web settings ---------------------------------------------------------------------------
@pytest.mark.parametrize("options, says", [
    (["--host", "0.0.0.0"], "needs a users file"),
    (["--host", "192.0.2.10"], "needs a users file"),
    (["--users", "{users}", "--host", "0.0.0.0"], "give --public-url"),
    (["--users", "{users}", "--public-url", "https://orders.example.com/app"], "no path"),
    (["--users", "{users}", "--public-url", "ftp://orders.example.com"], "--public-url"),
    (["--users", "{keys_only}"], "No user in the users file has a password_hash"),
])
def test_the_web_server_refuses_settings_that_would_let_anyone_in(od, tmp_path, options, says):
    users = users_file(tmp_path, f'''
        [[user]]
        login = "anna"
        role = "seller"
        identity = "Lakehouse Home"
        password_hash = "{hash_password('correct horse battery')}"
        ''')
    keys_only = tmp_path / "keys_only.toml"
    keys_only.write_text(f'[[user]]\nlogin = "anna"\nrole = "seller"\nidentity = "Lakehouse Home"\n'
                         f'keys = ["{KEY}"]\n')
    options = [o.format(users=users, keys_only=keys_only) for o in options]
    run = od("serve", "web", *options, "--port", "1", "--json")
    assert run.code == 2
    assert says in run.json["error"]["message"]
