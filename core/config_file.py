"""The settings file: `config.toml` in the user's configuration folder (XDG:
~/.config/orderdesk/config.toml), or the file $ORDERDESK_CONFIG names.

Reading and writing it lives here, apart from the settings model (core/settings.py),
because the app's first frame needs two of its keys, `theme` and `keymap`, and must
not wait the 75 ms that importing pydantic costs: `appearance()` looks those two up
as core/settings.py would (the environment, then the file), unvalidated; the app
checks them itself (a theme must be one Textual has, a keymap's ids those of its
bindings) and the whole file is validated after the first frame.

Decisions:
- The file is read whole, at most MAX_BYTES (a settings file is a few hundred bytes;
  anything larger is a mistake, refused without reading it all).
- A missing file is no settings; a file that cannot be read or parsed is a
  ConfigError naming the file (and the line, for bad TOML).
- `remember(key, value)` changes one key and keeps the user's other keys and comments
  (tomlkit), writing a new file beside the old and renaming it over (core.output): a
  crash never leaves half a file. A new file is 0600 from its first byte (it may hold
  a database URL with a password) and a folder made for it 0700.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from core.output import OutputError, output_file
from core.paths import config_dir

CONFIG_ENV = "ORDERDESK_CONFIG"
ENV_PREFIX = "ORDERDESK_"
MAX_BYTES = 64 * 1024


class ConfigError(ValueError):
    """A settings file (or setting) that cannot be used; the message says which and why."""


def path() -> Path:
    """The settings file: $ORDERDESK_CONFIG, else config.toml in the configuration folder."""
    if env := os.environ.get(CONFIG_ENV):
        return Path(env).expanduser()
    return config_dir() / "config.toml"


def read(file: Path | None = None) -> dict[str, Any]:
    """The file's table ({} when there is no file), or ConfigError."""
    file = path() if file is None else file
    try:
        with open(file, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read the settings file {file}: {exc.strerror}.") from exc
    if len(data) > MAX_BYTES:
        raise ConfigError(f"The settings file {file} is larger than {MAX_BYTES // 1024} KB; "
                          "a settings file is a few lines: check that it is the right file.")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The settings file {file} is not UTF-8 text (byte {exc.start}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The settings file {file} is not valid TOML: {exc}. "
                          "Fix it, or move it away to start from the defaults.") from exc


def appearance() -> tuple[str | None, dict[str, str]]:
    """`theme` and `keymap` for the first frame: $ORDERDESK_THEME, else the file's; the file's
    keymap with $ORDERDESK_KEYMAP's entries (JSON) over it; unvalidated; a file that cannot be read gives none here (the app
    reports it once the whole file is checked)."""
    try:
        file = read()
    except ConfigError:
        file = {}
    theme = os.environ.get(f"{ENV_PREFIX}THEME") or file.get("theme")
    keymap = _text_items(file.get("keymap"))
    if env := os.environ.get(f"{ENV_PREFIX}KEYMAP"):  # its entries over the file's, as pydantic-settings merges
        try:
            keymap.update(_text_items(json.loads(env)))
        except ValueError:
            pass
    return theme if isinstance(theme, str) else None, keymap


def _text_items(table: Any) -> dict[str, str]:
    return {str(k): v for k, v in table.items() if isinstance(v, str)} if isinstance(table, dict) else {}


def remember(key: str, value: str, file: Path | None = None) -> Path:
    """Set `key` in the file (made if missing), keeping everything else in it; return the
    file. ConfigError when the file cannot be read or written."""
    import tomlkit  # optional on the way to the first frame (24 ms): only when a setting is remembered

    file = path() if file is None else file
    read(file)  # a file that is not valid TOML is not overwritten
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    document = tomlkit.parse(text)
    document[key] = value
    if not file.parent.is_dir():
        try:
            file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"Cannot make the folder {file.parent}: {exc.strerror}.") from exc
    try:
        with output_file(file, mode=0o600) as out:
            out.write(tomlkit.dumps(document))
    except OutputError as exc:
        raise ConfigError(str(exc)) from exc
    return file
