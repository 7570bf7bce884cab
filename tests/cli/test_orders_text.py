"""`orderdesk orders show` without --json (also what the failed-cancel screen shows): the
order in words, whole titles, no internal keys (issue 17: "seller may: cancel_order")."""

from __future__ import annotations

import re

INTERNAL = re.compile(r"\b(?:cancel_order|cancel_package|cancel_items|request_cancel|refuse_delivery|buy_again|"
                      r"handover|request_pending|success)\b|may:")


def test_orders_show_says_what_each_side_can_do_in_words(od):
    for order in od.orders():
        run = od("orders", "show", order["id"])
        assert run.code == 0, run.err
        assert not INTERNAL.findall(run.out), (order["id"], run.out)
        assert "The buyer can: " in run.out and "The shop can: " in run.out
        for line in order["lines"]:
            assert line["title"] in run.out  # never cut
