"""Settings (core/settings.py, core/config_file.py): the command line over the environment
over the file over the defaults; a file that cannot be used says which file and key; a
remembered setting keeps the rest of the file."""

from __future__ import annotations

import json
import os
import stat

import pytest

from core import config_file, settings
from core.config_file import ConfigError


@pytest.fixture
def config(tmp_path, monkeypatch):
    """A settings file of the test's own (absent until written), and no $ORDERDESK_* settings."""
    for name in ("DATABASE_URL", "STATION", "THEME", "KEYMAP", "SMTP", "SMTP_SECURITY", "SMTP_USER",
                 "SMTP_SENDER", "SMTP_PASSWORD", "PRINTER"):
        monkeypatch.delenv(f"ORDERDESK_{name}", raising=False)
    file = tmp_path / "conf" / "config.toml"
    monkeypatch.setenv("ORDERDESK_CONFIG", str(file))
    return file


def write(file, text: str) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")


def test_the_file_is_where_orderdesk_config_says_else_in_the_xdg_config_folder(config, monkeypatch, tmp_path):
    assert config_file.path() == config
    monkeypatch.delenv("ORDERDESK_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_file.path() == tmp_path / "xdg" / "orderdesk" / "config.toml"


def test_command_line_over_environment_over_file_over_default(config, monkeypatch):
    assert settings.load().origins["station"] == "default"
    write(config, 'station = "from-file"\ndatabase_url = "sqlite:////file.db"\n')
    loaded = settings.load()
    assert (loaded.settings.station, loaded.origins["station"]) == ("from-file", "file")
    monkeypatch.setenv("ORDERDESK_STATION", "from-env")
    monkeypatch.setenv("ORDERDESK_DATABASE_URL", "sqlite:////env.db")
    loaded = settings.load()
    assert (loaded.settings.station, loaded.origins["station"]) == ("from-env", "$ORDERDESK_STATION")
    assert loaded.settings.database_url == "sqlite:////env.db"
    loaded = settings.load(database_url="sqlite:////given.db")
    assert (loaded.settings.database_url, loaded.origins["database_url"]) == ("sqlite:////given.db", "command line")


def test_the_defaults(config):
    loaded = settings.load()
    assert loaded.settings.database_url.endswith("orderdesk.db")
    assert loaded.settings.station  # the host name
    assert loaded.settings.theme == "textual-dark" and loaded.settings.keymap == {}
    assert loaded.mail() is None  # no `smtp`: no email is sent


@pytest.mark.parametrize("text, names", [
    ("station = \"x\"\ntheme = \n", ["is not valid TOML", "line 2"]),
    ("colour = \"red\"\n", ["colour", "no such setting", "station"]),
    ("station = 3\n", ["station", "valid string"]),
    ("[keymap]\n\"board.search\" = 1\n", ["keymap.board.search", "valid string"]),
    ("smtp_security = \"ssl\"\n", ["smtp_security", "'none', 'starttls' or 'tls'"]),
    ("smtp_password = \"hunter2\"\n", ["smtp_password", "$ORDERDESK_SMTP_PASSWORD"]),
])
def test_a_file_that_cannot_be_used_names_the_file_and_the_key(config, text, names):
    write(config, text)
    with pytest.raises(ConfigError) as caught:
        settings.load()
    message = str(caught.value)
    assert str(config) in message
    for name in names:
        assert name in message
    assert "hunter2" not in message


def test_a_mail_setting_that_cannot_be_used_names_where_it_came_from(config, monkeypatch):
    write(config, 'smtp = "mail.example.com"\n')
    with pytest.raises(ConfigError, match=rf"{config}: smtp: 'mail.example.com' is not HOST:PORT"):
        settings.load().mail()
    monkeypatch.setenv("ORDERDESK_SMTP_SENDER", "two@example.com, three@example.com")
    write(config, 'smtp = "mail.example.com:587"\n')
    with pytest.raises(ConfigError, match=r"smtp_sender \(\$ORDERDESK_SMTP_SENDER\)"):
        settings.load().mail()


def test_the_mail_settings_keep_their_environment_names_and_the_password_comes_from_the_environment(
        config, monkeypatch):
    write(config, 'smtp_user = "shop"\nsmtp_sender = "Shop <orders@example.com>"\n')
    monkeypatch.setenv("ORDERDESK_SMTP", "mail.example.com:587")
    monkeypatch.setenv("ORDERDESK_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("ORDERDESK_SMTP_PASSWORD", "s3cret-Pa55")
    loaded = settings.load()
    mail = loaded.mail()
    assert (mail.host, mail.port, mail.security, mail.user, mail.sender, mail.password) == (
        "mail.example.com", 587, "starttls", "shop", "Shop <orders@example.com>", "s3cret-Pa55")
    shown = loaded.shown()
    assert shown["smtp_password"] == {"value": "***", "from": "$ORDERDESK_SMTP_PASSWORD"}
    assert "s3cret" not in repr(shown) and "s3cret" not in repr(loaded.settings)


def test_a_database_urls_password_is_never_shown(config, monkeypatch):
    monkeypatch.setenv("ORDERDESK_DATABASE_URL", "postgresql+psycopg://orders:pa55word@db.example.com/orderdesk")
    shown = settings.load().shown()
    assert shown["database_url"]["value"] == "postgresql+psycopg://orders:***@db.example.com/orderdesk"


def test_the_file_is_read_with_a_size_bound(config):
    write(config, "# " + "x" * (config_file.MAX_BYTES + 10) + "\n")
    with pytest.raises(ConfigError, match="larger than 64 KB"):
        settings.load()


def test_a_file_that_is_not_text_is_a_clear_error(config):
    config.parent.mkdir(parents=True)
    config.write_bytes(b'theme = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        settings.load()


def test_a_folder_in_place_of_the_file_is_a_clear_error(config):
    config.mkdir(parents=True)
    with pytest.raises(ConfigError, match=f"Cannot read the settings file {config}"):
        settings.load()


def test_remembering_a_setting_keeps_the_other_keys_and_the_comments(config):
    write(config, '# my station\nstation = "packing-1"  # by the door\ntheme = "nord"\n\n'
                  '[keymap]\n"board.search" = "f"\n')
    config_file.remember("theme", "gruvbox")
    text = config.read_text()
    assert "# my station" in text and "# by the door" in text
    loaded = settings.load()
    assert loaded.settings.theme == "gruvbox"
    assert loaded.settings.station == "packing-1" and loaded.settings.keymap == {"board.search": "f"}


def test_a_remembered_setting_makes_a_private_file_in_a_private_folder(config):
    previous = os.umask(0o022)
    try:
        config_file.remember("theme", "nord")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert settings.load().settings.theme == "nord"
    assert [p.name for p in config.parent.iterdir()] == ["config.toml"]  # no temporary file left


def test_a_file_that_is_not_toml_is_not_overwritten(config):
    write(config, "theme = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config_file.remember("theme", "nord")
    assert config.read_text() == "theme = [\n"


def test_the_first_frames_theme_and_keymap_come_from_the_environment_then_the_file(config, monkeypatch):
    assert config_file.appearance() == (None, {})
    write(config, 'theme = "nord"\n[keymap]\n"board.search" = "f"\n"board.pack" = "k"\n')
    assert config_file.appearance() == ("nord", {"board.search": "f", "board.pack": "k"})
    monkeypatch.setenv("ORDERDESK_THEME", "gruvbox")
    monkeypatch.setenv("ORDERDESK_KEYMAP", '{"board.search": "g"}')
    assert config_file.appearance() == ("gruvbox", {"board.search": "g", "board.pack": "k"})
    assert settings.load().settings.keymap == {"board.search": "g", "board.pack": "k"}  # the same merge


def test_the_first_frame_does_not_stop_on_a_bad_file(config):
    """The app reports a bad file once the whole file is checked (tests/tui); its first frame
    comes anyway."""
    write(config, "theme = [\n")
    assert config_file.appearance() == (None, {})


@pytest.mark.parametrize("value, expected", [
    ("", "From-File"),  # an empty variable is not set
    ("  ", None),  # blanks: set, to no printer
    ("Station-2", "Station-2"), (" Zebra_ZD421 ", "Zebra_ZD421"),
])
def test_the_printer_comes_from_orderdesk_printer_over_the_file(config, monkeypatch, value, expected):
    assert settings.load().settings.printer is None  # the default: no printer
    write(config, 'printer = "From-File"\n')
    loaded = settings.load()
    assert (loaded.settings.printer, loaded.origins["printer"]) == ("From-File", "file")
    monkeypatch.setenv("ORDERDESK_PRINTER", value)
    loaded = settings.load()
    assert loaded.settings.printer == expected
    assert loaded.shown()["printer"]["value"] == loaded.settings.printer


@pytest.mark.parametrize("value", ["two words", "a/b", "x" * 128, "tab\there", "quote'd", "new\nline"])
def test_a_printer_name_cups_would_not_take_is_refused_naming_where_it_came_from(config, monkeypatch, value):
    monkeypatch.setenv("ORDERDESK_PRINTER", value)
    with pytest.raises(ConfigError, match=r"printer \(\$ORDERDESK_PRINTER\): .*not a printer name"):
        settings.load()
    monkeypatch.delenv("ORDERDESK_PRINTER")
    write(config, f"printer = {json.dumps(value)}\n")  # a TOML basic string
    with pytest.raises(ConfigError, match=rf"{config}: printer: .*not a printer name"):
        settings.load()
