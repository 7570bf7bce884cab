"""Messages the app sends to its screens."""

from textual.message import Message


class DataChanged(Message):
    """Something was committed (by this station or another): show the new state."""
