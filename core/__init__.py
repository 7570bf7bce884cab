"""orderdesk's core: the rules, the models and the commands; no UI.

Log lines (`logging.getLogger("orderdesk.<area>")`) never reach a terminal by themselves (a
TUI's screen, a script's stderr): they go to the log file once `core.logs.setup_logging` has
attached it (servers, background email), else nowhere.
"""

import logging

logging.getLogger("orderdesk").addHandler(logging.NullHandler())
