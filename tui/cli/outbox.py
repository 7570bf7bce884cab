"""`orderdesk outbox list|send|retry|discard`: the customer emails."""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import TYPE_CHECKING

import click

from core import rules
from core.clock import BadTime, parse_instant
from core.results import Refusal
from tui.lazy import lazy_import

if TYPE_CHECKING:
    pass

emails = lazy_import("core.queries.outbox")
mail = lazy_import("core.outbox")

from tui.cli.base import Context, Seconds, cli, report, with_json

# -- outbox --------------------------------------------------------------------------------------
_MAIL_SETTINGS = {"address": "--smtp", "host": "--smtp", "port": "--smtp", "security": "--security",
                  "user": "--user", "sender": "--sender"}  # core.outbox.SettingError.setting -> the option to fix
_EMAIL_ID = click.IntRange(1, 2**63 - 1)


def _mail_now(ctx: Context) -> datetime | None:
    """Email runs on the real clock (None), not a demo database's: only --now fixes it."""
    try:
        return parse_instant(ctx.now_text) if ctx.now_text else None
    except BadTime as exc:
        ctx.fail("bad_input", f"--now / ORDERDESK_NOW: {exc}")


@cli.group()
@click.pass_context
def outbox(click_ctx):
    """The customer emails: list them, send them, retry or discard one."""
    if click_ctx.invoked_subcommand == "send":  # background work: it logs
        click_ctx.obj.start_log()


@outbox.command("list")
@click.option("--status", type=click.Choice(rules.EMAIL_STATUSES),
              help="Only these; `sending` includes those whose sender stopped mid-send (unknown).")
@with_json
def outbox_list(ctx: Context, status):
    """Emails, newest first; a failed or unknown one says why and what to do."""
    with ctx.db.read() as session:
        found = emails.emails(session, status=status, now=_mail_now(ctx))
    ctx.emit([e.as_dict() for e in found],
             "\n".join(f"{e.id:>5}  {e.shown_status:<9} {e.to:<28} {e.subject}"
                       + (f"\n       {e.problem}" if e.problem else "") for e in found) or "The outbox is empty.")


@outbox.command("send")
@click.option("--smtp", "address", metavar="HOST:PORT",
              help="Default: the `smtp` setting ($ORDERDESK_SMTP, the settings file), else localhost:25.")
@click.option("--security", type=click.Choice(["none", "starttls", "tls"]),
              help="Default: the `smtp_security` setting ($ORDERDESK_SMTP_SECURITY), else none.")
@click.option("--user", help="SMTP login (default: the `smtp_user` setting, $ORDERDESK_SMTP_USER); the "
              "password comes from $ORDERDESK_SMTP_PASSWORD.")
@click.option("--password", hidden=True, help="Refused: a password in the command line shows in `ps`.")
@click.option("--sender", help="Default: the `smtp_sender` setting ($ORDERDESK_SMTP_SENDER), else "
              "orderdesk@localhost.")
@click.option("--force", is_flag=True, help="Try every pending email now, ignoring the backoff after failures.")
@click.option("--every", type=Seconds(1, 86_400), metavar="SECONDS",
              help="Keep sending: look for due emails every SECONDS until Ctrl+C.")
@with_json
def outbox_send(ctx: Context, address, security, user, password, sender, force, every):
    """Deliver the due emails over SMTP, each at most once. A refused email (5xx, or an
    address that can never work) becomes `failed`; one the server asks to retry stays
    pending and is tried after a backoff (30 s, doubling, at most an hour). If the server
    cannot be reached nothing changes and the command exits 1 (with --every: waits and
    tries again)."""
    if password is not None:
        ctx.fail("bad_input", "--password would show the password to everyone on this machine (ps, shell "
                              "history): set $ORDERDESK_SMTP_PASSWORD instead.")
    configured = ctx.settings.settings  # core/settings.py: what the command line leaves out
    address, security = address or configured.smtp or "localhost:25", security or configured.smtp_security
    user, sender = user or configured.smtp_user, sender or configured.smtp_sender
    try:
        settings = mail.SmtpSettings.parse_address(address, security=security, user=user, sender=sender,
                                              password=os.environ.get("ORDERDESK_SMTP_PASSWORD"))
    except mail.SettingError as exc:
        ctx.fail("bad_input", f"{_MAIL_SETTINGS[exc.setting]}: {exc}")
    mailer, now = mail.Mailer(settings), _mail_now(ctx)
    if not every:
        done = mailer.send(ctx.db, ignore_backoff=force, now=now)
        if done["error"] and not done["recorded"]:
            details = {k: done[k] for k in ("pending", "waiting")}
            report(ctx.as_json, Refusal("mail_server", f"Sent nothing: {done['error']} No email was "
                                        "changed; they go out with the next `outbox send`.", details), 1)
        ctx.emit(done, _sent_text(done, None))
        return
    try:  # until Ctrl+C, which ends it cleanly wherever it lands (an email mid-send stays unknown)
        while True:
            done = mailer.send(ctx.db, ignore_backoff=force, now=now)
            ctx.emit(done, _sent_text(done, mailer.wait()))
            time.sleep(max(every, mailer.wait()))
    except KeyboardInterrupt:
        return


def _sent_text(done: dict, retry_in: float | None) -> str:
    text = f"Sent {done['sent']} email(s)"
    if done["failed"]:
        text += f"; {done['failed']} not delivered"
        if done["permanent"]:
            text += f" ({done['permanent']} for good: see `orderdesk outbox list --status failed`)"
    if done["unknown"]:
        text += f"; {done['unknown']} unknown (see `orderdesk outbox list --status sending`)"
    text += f"; {done['pending']} still pending" + (
        f" ({done['waiting']} waiting after a failure)" if done["waiting"] else "") + "."
    if done["error"]:
        text += f"\nStopped: {done['error']}" + (f" Trying again in {retry_in:.0f} s." if retry_in else "")
    return text


@outbox.command("retry")
@click.argument("email_id", metavar="ID", type=_EMAIL_ID)
@with_json
def outbox_retry(ctx: Context, email_id: int):
    """Send a failed, unknown or discarded email again (a waiting one: now). Exits 1 for
    a sent email, or one a sender is sending right now."""
    _change_email(ctx, email_id, "retry")


@outbox.command("discard")
@click.argument("email_id", metavar="ID", type=_EMAIL_ID)
@with_json
def outbox_discard(ctx: Context, email_id: int):
    """Never send this email (failed, unknown or pending). Exits 1 for a sent email, or
    one a sender is sending right now."""
    _change_email(ctx, email_id, "discard")


def _change_email(ctx: Context, email_id: int, action: str) -> None:
    ctx.finish(mail.change(ctx.db, email_id, action, now=_mail_now(ctx)))


# -- importing and exporting ----------------------------------------------------------------------
