"""Flows: async functions run as workers (`tui.work.flow`) that push screens, await
their answers (`tui.work.ask`), read and write through `tui.work`, and decide which
screen comes next. Screens never import one another; flows import screens."""
