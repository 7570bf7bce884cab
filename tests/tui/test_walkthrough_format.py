"""The walkthrough file: every problem found, each with its file and line, and what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.walkthroughs import WalkthroughError, builtins, find, parse
from tui.walkthroughs.format import key_problem

GOOD = '''\
title = "Aisha opens the menu"
view = "buyer"
identity = "aisha.johnson"

[[step]]
caption = "Her profile."
expect = "Aisha Johnson"

[[step]]
caption = "The menu."
type = "ab"
keys = ["m", "question_mark", "ctrl+q", "shift+tab", "f5", "pagedown", "?", "space"]
expect = ["Settings and Privacy", "Orders"]
wait = 0.5
'''


def problems(text: str) -> list[str]:
    with pytest.raises(WalkthroughError) as raised:
        parse(text, Path("mine.toml"))
    return list(raised.value.problems)


def test_a_good_file_reads_as_written():
    w = parse(GOOD, Path("team/mine.toml"))
    assert (w.name, w.title, w.view, w.identity) == ("mine", "Aisha opens the menu", "buyer", "aisha.johnson")
    assert w.steps[0].expect == ("Aisha Johnson",)
    assert w.steps[1].keys[:3] == ("a", "b", "m")  # typed characters first, then the keys
    assert w.steps[1].wait == 0.5
    assert w.snapshots == Path("team/mine.snapshots")


@pytest.mark.parametrize("edit, line, words", [
    (("keys = [", "kyes = ["), 12, ["unknown key 'kyes' in step 2", "did you mean 'keys'?"]),
    (('view = "buyer"', 'veiw = "buyer"'), 2, ["unknown key 'veiw' at the top", "did you mean 'view'?"]),
    (('caption = "The menu."\n', ""), 9, ["step 2 has no caption"]),
    (('caption = "The menu."', 'caption = "  "'), 10, ["step 2 has no caption"]),
    (('"pagedown"', '"page_down"'), 12, ["Textual has no key 'page_down'", "did you mean 'pagedown'?"]),
    (('"ctrl+q"', '"crtl+q"'), 12, ["'crtl' is not a modifier"]),
    (('view = "buyer"', 'view = "admin"'), 2, ["view must be one of buyer, seller, launcher"]),
    (("wait = 0.5", "wait = 600"), 14, ["wait in step 2 must be a number of seconds from 0 to 60"]),
    (('expect = "Aisha Johnson"', "expect = 3"), 7, ["expect in step 1 must be a text or a list"]),
    (('title = "Aisha opens the menu"', 'title = "Aisha'), 1, ["not valid TOML"]),
])
def test_each_mistake_is_told_with_its_line(edit, line, words):
    found = problems(GOOD.replace(*edit))
    assert len(found) == 1, found
    assert found[0].startswith(f"mine.toml:{line}: "), found[0]
    for word in words:
        assert word in found[0]


def test_every_problem_of_a_file_is_told_at_once():
    text = GOOD.replace('"pagedown"', '"pgdn"').replace('caption = "Her profile."', 'captoin = "x"')
    found = problems(text)
    assert [p.split(":")[1] for p in found] == ["6", "5", "12"], found  # a missing caption: its [[step]]
    assert "unknown key 'captoin'" in found[0] and "step 1 has no caption" in found[1] and "'pgdn'" in found[2]


def test_a_file_without_steps_or_title_says_what_to_add():
    found = problems('view = "buyer"\n')
    assert any("needs a title" in p for p in found) and any("add at least one [[step]]" in p for p in found)


@pytest.mark.parametrize("key", ["enter", "escape", "a", "A", "1", "?", "+", "question_mark", "full_stop",
                                 "ctrl+p", "shift+tab", "alt+left", "f12", "space", "backspace", "home"])
def test_textual_keys_are_known(key):
    assert key_problem(key) is None


@pytest.mark.parametrize("key", ["entr", "Enter", "ctrl+", "super_key", "f99", "wait:500", ""])
def test_keys_textual_does_not_know_are_refused(key):
    assert key_problem(key)


def test_a_name_that_is_neither_a_file_nor_a_built_in_lists_the_built_ins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WalkthroughError, match="There is no walkthrough file or built-in walkthrough 'nope'. "
                                               "Built-in: 1-buyer-cancels-before-packing, "):
        find("nope")


def test_the_built_in_walkthroughs_read_without_a_problem_and_speak_of_the_product():
    walkthroughs = builtins()
    assert len(walkthroughs) >= 7
    for w in walkthroughs:
        for step in w.steps:
            assert not any(source in step.caption.lower() for source in ("seed", "issue", "spec", "fixture")), \
                (w.name, step.caption)


def test_a_fifo_or_a_device_is_refused_at_once_never_read(tmp_path):
    """A walkthrough path that is a FIFO (a folder can hold one) or a device is no file to
    read: opening a FIFO would wait for a writer forever, /dev/zero never ends."""
    fifo = tmp_path / "team" / "pipe.toml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    (tmp_path / "team" / "good.toml").write_text(GOOD)
    for where in (fifo, Path("/dev/zero")):
        with pytest.raises(WalkthroughError, match="not a regular file"):
            find(str(where))
    # `check DIR` reads every *.toml of the folder: the FIFO among them is told, not waited on
    run = subprocess.run([sys.executable, "-m", "tui.cli", "walkthrough", "check", str(tmp_path / "team")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{fifo}: not a regular file" in run.stderr


@pytest.mark.parametrize("station, words", [
    ('["pack", "115245255553322312", "--db", "/home/me/shop.db"]', "--db names another database"),
    ('["cancel", "--database-url=postgresql://shop/real"]', "--database-url names another database"),
    ('["--db", "shop.db", "pack", "1"]', "'--db' is not a command another station can run"),
    ('["serve", "ssh"]', "'serve' is not a command another station can run"),
    ('["walkthrough", "check", "."]', "'walkthrough' is not a command"),
    ('["outbox", "send"]', "outbox send would email the customers for real"),
    ('["worker", "--every", "5"]', "worker --every runs until stopped"),
])
def test_a_station_command_never_leaves_the_walkthroughs_own_copy_of_the_data(station, words):
    found = problems(GOOD.replace('wait = 0.5', f"wait = 0.5\nstation = {station}"))
    assert len(found) == 1 and found[0].startswith("mine.toml:15: station in step 2: "), found
    assert words in found[0]


def test_the_built_in_walkthroughs_stations_run_data_commands():
    assert all(not step.station or step.station[0] in ("pack", "handover", "requests")
               for w in builtins() for step in w.steps)


def test_a_table_of_the_wrong_name_is_told_at_its_own_line():
    assert problems(GOOD.replace("[[step]]\ncaption = \"Her", "[steps]\ncaption = \"Her"))[0].startswith(
        "mine.toml:5: unknown key 'steps' at the top of the file; did you mean 'step'?")
    assert problems(GOOD + "\n[step.extra]\nx = 1\n")[0].startswith("mine.toml:16: unknown key 'extra' in step 2")


def test_a_buyer_or_seller_view_needs_its_identity():
    found = problems(GOOD.replace('identity = "aisha.johnson"\n', ""))
    assert found == ["mine.toml:2: view = \"buyer\" needs whose: identity = \"USERNAME\" (a buyer's username)"]


def test_a_multi_line_caption_that_looks_like_toml_does_not_move_the_lines():
    text = GOOD.replace('caption = "Her profile."', 'caption = """Her profile.\n[[step]]\nkeys = ["x"]\n"""')
    found = problems(text.replace('"pagedown"', '"pgdn"'))
    assert found == ["mine.toml:15: Textual has no key 'pgdn'; did you mean 'pagedown'? (in step 2)"]
