"""core.output: a file the user named is written whole or not at all (issue 13, class 5)."""

from __future__ import annotations

import os
import stat

import pytest

from core.output import OutputError, output_file


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_a_new_file_appears_complete_with_the_usual_mode(tmp_path):
    target = tmp_path / "out.csv"
    old = os.umask(0o022)
    try:
        with output_file(target) as out:
            out.write("a,b\n")
            assert not target.exists()  # nothing at the name until it is complete
    finally:
        os.umask(old)
    assert target.read_text() == "a,b\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_a_secret_file_is_created_0600_from_the_start(tmp_path):
    target = tmp_path / "key"
    with output_file(target, mode=0o600) as out:
        part = next(tmp_path.glob(".key.*.part"))
        assert stat.S_IMODE(part.stat().st_mode) == 0o600
        out.write("secret")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failure_half_way_leaves_the_old_file_and_no_part_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("the earlier export\n")
    with pytest.raises(OutputError, match="No space left on device.*left as it was"):
        with output_file(target) as out:
            out.write("half")
            raise OSError(28, "No space left on device")
    assert target.read_text() == "the earlier export\n"
    assert leftovers(tmp_path) == []


def test_any_other_failure_in_the_block_also_removes_the_part_file(tmp_path):
    with pytest.raises(KeyError):
        with output_file(tmp_path / "out.csv") as out:
            out.write("half")
            raise KeyError("a bug")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where, words", [
    ("/dev/full", "No space left on device"),
    ("{tmp}/missing/out.csv", "check that the folder exists"),
    ("{tmp}", "it is a folder"),
    ("{tmp}/fifo", "nobody is reading it"),
])
def test_what_cannot_be_written_says_where_and_why(tmp_path, where, words):
    os.mkfifo(tmp_path / "fifo")
    path = where.format(tmp=tmp_path)
    with pytest.raises(OutputError, match=words) as failed:
        with output_file(path) as out:
            out.write("x" * 100_000)
    assert path in str(failed.value)
    assert leftovers(tmp_path) == []


def test_a_device_is_written_in_place(tmp_path):
    with output_file("/dev/null") as out:
        out.write("anything")
    assert os.path.exists("/dev/null") and stat.S_ISCHR(os.stat("/dev/null").st_mode)
