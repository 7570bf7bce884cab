"""`orderdesk config path|show`, the settings file reaching the commands, and shell completion."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli.conftest import DEMO_NOW, Run
from tests.databases import clone_url
from tests.mail import free_port
from tests.pty_terminal import ROOT
from tui.cli import main


@pytest.fixture
def config(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "STATION", "THEME", "KEYMAP", "SMTP", "SMTP_SECURITY", "SMTP_USER",
                 "SMTP_SENDER", "SMTP_PASSWORD", "NOW"):
        monkeypatch.delenv(f"ORDERDESK_{name}", raising=False)
    file = tmp_path / "config.toml"
    monkeypatch.setenv("ORDERDESK_CONFIG", str(file))
    return file


def run(capsys, *args: str) -> Run:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Run(code, out, err)


def test_config_path_prints_the_settings_files_path(config, capsys):
    done = run(capsys, "config", "path")
    assert (done.code, done.out) == (0, f"{config}\n")
    assert run(capsys, "config", "path", "--json").json == {"path": str(config), "exists": False}


def test_config_show_says_where_each_setting_came_from(config, capsys, monkeypatch, tmp_path):
    config.write_text('station = "packing-1"\ntheme = "nord"\n[keymap]\n"board.search" = "f"\n')
    monkeypatch.setenv("ORDERDESK_SMTP", "mail.example.com:587")
    shown = run(capsys, "--db", str(tmp_path / "x.db"), "config", "show", "--json").json
    assert shown["file"] == str(config)
    settings = shown["settings"]
    assert settings["station"] == {"value": "packing-1", "from": "file"}
    assert settings["keymap"] == {"value": {"board.search": "f"}, "from": "file"}
    assert settings["smtp"] == {"value": "mail.example.com:587", "from": "$ORDERDESK_SMTP"}
    assert settings["database_url"] == {"value": f"sqlite:///{tmp_path / 'x.db'}", "from": "command line"}
    assert settings["smtp_security"] == {"value": "none", "from": "default"}
    assert settings["smtp_password"] == {"value": None, "from": "not set"}
    human = run(capsys, "config", "show")
    assert human.code == 0
    assert "station        packing-1  [file]" in human.out
    assert "smtp           mail.example.com:587  [$ORDERDESK_SMTP]" in human.out


def test_config_show_never_shows_a_password(config, capsys, monkeypatch):
    config.write_text('database_url = "postgresql+psycopg://orders:Fi1e-pa55@db.example.com/orderdesk"\n')
    monkeypatch.setenv("ORDERDESK_SMTP_PASSWORD", "Env-pa55word")
    for args in (("config", "show"), ("config", "show", "--json")):
        done = run(capsys, *args)
        assert done.code == 0
        assert "pa55" not in done.out + done.err
        assert "orders:***@db.example.com" in done.out


@pytest.mark.parametrize("text, where", [
    ("theme = \n", "is not valid TOML"),
    ("colour = \"red\"\n", ": colour: no such setting"),
    ("station = 3\n", ": station: Input should be a valid string"),
    ("smtp = \"nohost\"\n", ": smtp: 'nohost' is not HOST:PORT"),
])
def test_a_settings_file_that_cannot_be_used_is_bad_input_naming_file_and_key(config, capsys, text, where):
    config.write_text(text)
    done = run(capsys, "config", "show", "--json")
    assert done.code == 2
    error = done.json["error"]
    assert error["code"] == "bad_input" and str(config) in error["message"] and where in error["message"]
    human = run(capsys, "config", "show")
    assert human.code == 2 and human.err.startswith("Error: ") and "Traceback" not in human.err


def test_a_bad_settings_file_stops_a_command_before_it_changes_anything(config, capsys, tmp_path):
    config.write_text("colour = 1\n")
    done = run(capsys, "--db", str(tmp_path / "new.db"), "seed", "demo", "--json")
    assert done.code == 2 and "colour" in done.json["error"]["message"]
    assert not (tmp_path / "new.db").exists()


def test_the_files_database_url_is_used_and_the_command_line_wins(config, capsys, demo_template, tmp_path):
    url = clone_url(demo_template, tmp_path)
    config.write_text(f'database_url = "{url}"\n')
    listed = run(capsys, "--now", DEMO_NOW, "orders", "list", "--json")
    assert listed.code == 0 and listed.json
    empty = run(capsys, "--db", str(tmp_path / "empty.db"), "orders", "list", "--json")
    assert empty.code == 0 and empty.json == []


def test_outbox_send_takes_the_mail_server_and_sender_from_the_settings(config, capsys, demo_template, tmp_path,
                                                                        mail_server):
    url = clone_url(demo_template, tmp_path)
    config.write_text(f'smtp = "{mail_server.address}"\nsmtp_sender = "Lakehouse <orders@lakehouse.example>"\n')
    closed = f"127.0.0.1:{free_port()}"
    refused = run(capsys, "--database-url", url, "--now", DEMO_NOW, "outbox", "send", "--smtp", closed, "--json")
    assert refused.code == 1 and closed in refused.json["error"]["message"]  # the option wins over the file
    done = run(capsys, "--database-url", url, "--now", DEMO_NOW, "outbox", "send", "--json")
    assert done.code == 0, done.out + done.err
    assert done.json["sent"] >= 1
    assert mail_server.accepted and all("From: Lakehouse <orders@lakehouse.example>" in message
                                        for message in map(str, mail_server.accepted))


# -- shell completion (README: "Shell completion") ---------------------------------------------
def completion(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli"], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, **env}, timeout=60)


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F _orderdesk_completion orderdesk"),
                                           ("zsh", "compdef _orderdesk_completion orderdesk"),
                                           ("fish", "complete --no-files --command orderdesk")])
def test_the_completion_script_is_printed_for_each_shell(shell, marker):
    done = completion({"_ORDERDESK_COMPLETE": f"{shell}_source"})
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout


def test_completion_completes_commands_and_their_options():
    done = completion({"_ORDERDESK_COMPLETE": "bash_complete", "COMP_WORDS": "orderdesk con", "COMP_CWORD": "1"})
    assert done.stdout.split() == ["plain,config"]
    done = completion({"_ORDERDESK_COMPLETE": "bash_complete", "COMP_WORDS": "orderdesk config ", "COMP_CWORD": "2"})
    assert sorted(done.stdout.split()) == ["plain,path", "plain,show"]

