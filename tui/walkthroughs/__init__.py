"""Walkthroughs: scripted demos that are also the snapshot tests (one source of truth).

- `format`: the TOML file, checked with errors that carry line numbers (the format is
  documented there and in the README).
- `player`: the app driven by a walkthrough, a caption bar on every screen.
- `check`: play unattended, assert each step, compare screens with NAME.snapshots/,
  JUnit XML and an HTML report.
- `export`: SVG, PNG, GIF, asciinema cast and an HTML gallery.
- `pytest_plugin`: `pytest --walkthroughs DIR` in a team's own repository.
"""

from tui.walkthroughs.format import (  # noqa: F401
    Step,
    Walkthrough,
    WalkthroughError,
    builtin,
    builtins,
    find,
    load,
    parse,
    paths,
)
