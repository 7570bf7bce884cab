"""`orderdesk config path|show`: where the settings file is, and what the settings are."""

from __future__ import annotations

from core import config_file
from tui.cli.base import Context, cli, with_json


@cli.group()
def config():
    """The settings (core/settings.py): the file, the environment, the command line."""


@config.command("path")
@with_json
def config_path(ctx: Context):
    """Print the settings file's path (it may not exist yet): $ORDERDESK_CONFIG, else
    config.toml in the user's configuration folder."""
    file = config_file.path()
    ctx.emit({"path": str(file), "exists": file.is_file()}, str(file))


@config.command("show")
@with_json
def config_show(ctx: Context):
    """Print the effective settings and where each came from (the command line, an
    environment variable, the file, the default); passwords are shown as ***."""
    loaded = ctx.settings
    loaded.mail()  # a mail setting that cannot be used is an error here too (ConfigError: exit 2)
    shown = loaded.shown()
    width = max(map(len, shown))
    lines = [f"# {loaded.file}{'' if loaded.file.is_file() else ' (no such file yet)'}"]
    for name, item in shown.items():
        value = item["value"]
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
        lines.append(f"{name:<{width}}  {'(unset)' if value is None else value}  [{item['from']}]")
    ctx.emit({"file": str(loaded.file), "settings": shown}, "\n".join(lines))

