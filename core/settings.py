"""orderdesk's settings, one model for the command line and the app (pydantic-settings).

Each setting comes from, first to last: the command line (--db, --database-url), the
environment ($ORDERDESK_<NAME>, e.g. $ORDERDESK_STATION; $ORDERDESK_KEYMAP is JSON), the
settings file (core/config_file.py: ~/.config/orderdesk/config.toml or $ORDERDESK_CONFIG),
the default. The file uses the same names, in lower case:

    database_url = "postgresql+psycopg://orders@db.example.com/orderdesk"
    station = "packing-1"
    theme = "nord"
    smtp = "mail.example.com:587"      # HOST:PORT; unset: the app sends no email
    smtp_security = "starttls"          # none | starttls | tls
    smtp_user = "shop"
    smtp_sender = "My Shop <orders@example.com>"
    printer = "Station-2"               # where `orderdesk slip --print` sends slips (lp -d)

    [keymap]                            # binding id = keys (comma-separated)
    "seller.board.search" = "f"

Decisions:
- The mail password is never a setting: it comes only from $ORDERDESK_SMTP_PASSWORD (a file
  is easily copied or shown); a `smtp_password` key in the file is refused saying so.
- A database URL may carry a password: it is shown only through core.paths.redacted.
- An unknown key, a value of the wrong type, or a mail setting that cannot be used is a
  ConfigError naming where it came from (the file and the key, or the variable).
- `station` (this station's name, for the people and logs that see several) defaults to
  the host name; `theme` to Textual's default; `keymap` to no change.
- `printer` (packing slips, `lp -d PRINTER`) is unset by default: no printing. A name CUPS
  would not take (spaces, quotes, / or #, over 127 characters) is refused when read, so
  it never reaches `lp`; surrounding blanks are dropped, and only blanks means unset.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from core import config_file
from core.config_file import ConfigError
from core.outbox import SettingError, SmtpSettings
from core.paths import default_sqlite_path, redacted

DEFAULT_THEME = "textual-dark"
MAIL_PASSWORD_ENV = "ORDERDESK_SMTP_PASSWORD"
# SmtpSettings' names for what it refuses -> the setting that gave it
_MAIL_FIELDS = {"address": "smtp", "host": "smtp", "port": "smtp", "security": "smtp_security",
                "user": "smtp_user", "sender": "smtp_sender"}
SECRET_FIELDS = frozenset({"database_url"})
PRINTER_NAME = re.compile(r"[^\s/#\\'\"]{1,127}")  # what CUPS accepts as a printer name


def default_database_url() -> str:
    return f"sqlite:///{default_sqlite_path()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=config_file.ENV_PREFIX, extra="forbid",
                                      env_ignore_empty=True, frozen=True)

    database_url: str = Field(default_factory=default_database_url,
                              description="Any SQLAlchemy URL; default: orderdesk.db in the user data folder")
    station: str = Field(default_factory=socket.gethostname, min_length=1,
                         description="This station's name")
    theme: str = Field(DEFAULT_THEME, min_length=1,
                       description="The app's theme (Ctrl+P, Change theme, remembers one here)")
    keymap: dict[str, str] = Field(default_factory=dict, description="Binding id = keys")
    smtp: str | None = Field(None, description="The mail server, HOST:PORT; unset: no email is sent")
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str | None = Field(None, description="The mail login; its password: $ORDERDESK_SMTP_PASSWORD")
    smtp_sender: str = "orderdesk@localhost"
    printer: str | None = Field(None, description="The printer packing slips go to (lp -d); unset: none")

    @field_validator("printer", mode="before")
    @classmethod
    def _printer_name(cls, value):
        """A printer name CUPS would take, or None (unset, or only blanks)."""
        if not isinstance(value, str):
            return value  # pydantic says what type it wants
        name = value.strip()
        if not name:
            return None
        if not PRINTER_NAME.fullmatch(name) or not name.isprintable():
            raise ValueError("not a printer name (up to 127 characters, no spaces, quotes, / or #): "
                             "set it to a name `lpstat -p` lists")
        return name

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        """The command line (init), the environment, the settings file: nothing else."""
        return init_settings, env_settings, FileSource(settings_cls)

    def mail(self) -> SmtpSettings | None:
        """The mail server to send the customer emails through, or None when `smtp` is unset."""
        if not self.smtp:
            return None
        return SmtpSettings.parse_address(self.smtp, security=self.smtp_security, user=self.smtp_user,
                                          password=os.environ.get(MAIL_PASSWORD_ENV), sender=self.smtp_sender)


class FileSource(PydanticBaseSettingsSource):
    """The settings file's keys, as they are (pydantic validates them)."""

    def get_field_value(self, field, field_name):  # not used: __call__ gives the whole file
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return config_file.read()


@dataclass(frozen=True)
class Loaded:
    """Settings and where each came from."""

    settings: Settings
    origins: dict[str, str]  # field -> "command line" | "$ORDERDESK_X" | "file" | "default"
    file: Path

    def mail(self) -> SmtpSettings | None:
        """`Settings.mail()`, or ConfigError naming the setting that cannot be used and where
        it came from (a mail setting is checked when mail is sent, not when a command that
        sends none starts)."""
        try:
            return self.settings.mail()
        except SettingError as exc:
            name = _MAIL_FIELDS[exc.setting]
            raise ConfigError(f"{_where(name, self.origins, self.file)}: {exc}") from exc

    def shown(self) -> dict[str, dict[str, Any]]:
        """Every setting as a person may see it (secrets redacted), with its origin."""
        shown = {}
        for name in Settings.model_fields:
            value = getattr(self.settings, name)
            if name in SECRET_FIELDS and isinstance(value, str):
                value = redacted(value)
            shown[name] = {"value": value, "from": self.origins[name]}
        password = os.environ.get(MAIL_PASSWORD_ENV)
        shown["smtp_password"] = {"value": "***" if password else None,
                                  "from": f"${MAIL_PASSWORD_ENV}" if password else "not set"}
        return shown


def load(**command_line: Any) -> Loaded:
    """The settings (command-line values given as keywords, None meaning not given), or
    ConfigError saying which setting, from where, and what is wrong."""
    command_line = {k: v for k, v in command_line.items() if v is not None}
    file = config_file.path()
    in_file = config_file.read(file)
    origins = {name: _origin(name, command_line, in_file) for name in Settings.model_fields}
    try:
        settings = Settings(**command_line)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origins, file)) from exc
    return Loaded(settings, origins, file)


def _origin(name: str, command_line: dict[str, Any], in_file: dict[str, Any]) -> str:
    if name in command_line:
        return "command line"
    env = f"{config_file.ENV_PREFIX}{name.upper()}"
    if os.environ.get(env):
        return f"${env}"
    return "file" if name in in_file else "default"


def _where(name: str, origins: dict[str, str], file: Path) -> str:
    origin = origins.get(name, "file")
    if origin == "file":
        return f"{file}: {name}"
    return f"{name} ({origin})" if origin != "command line" else f"--{name.replace('_', '-')}"


def _explain(exc: ValidationError, origins: dict[str, str], file: Path) -> str:
    """The first problem, as a person can fix it."""
    error = exc.errors(include_url=False)[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    where = _where(name, origins, file)
    if error["type"] == "extra_forbidden":
        if "password" in name:
            return (f"{where}: a password never goes in the settings file; set ${MAIL_PASSWORD_ENV} "
                    "in the environment instead, and remove this key.")
        known = ", ".join(Settings.model_fields)
        return f"{where}: no such setting. The settings are: {known}."
    detail = ".".join(str(part) for part in error["loc"][1:])
    return f"{where}{'.' + detail if detail else ''}: {error['msg']}."
