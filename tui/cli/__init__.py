"""The `orderdesk` command line (../shared/CONTRACT.md), one module per command group.

`tui.cli.base` holds the root group, the context every command gets, and `main()`, the
one place that turns what went wrong into an exit code and a message. Importing this
package registers every group's commands on the root group.
"""

from tui.cli import (  # noqa: F401  (each module registers its commands)
    cancel, clock, config, open, orders, outbox, packages, requests, seed, serve, slip, transfer, walkthrough,
)
from tui.cli.base import Context, cli, main

__all__ = ["Context", "cli", "main"]
