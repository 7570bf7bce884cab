"""Where the shipped data lives: `core/_data` in an installed wheel, `data/` in a checkout."""

from pathlib import Path


def data_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data", here.parent / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("orderdesk's data folder is missing; reinstall orderdesk.")
