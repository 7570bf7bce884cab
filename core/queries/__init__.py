"""The read side: what screens and the command line show, read from the database.

Each module answers one kind of question (`orders`, `board`, ...); `cards` holds the
board's plain read models, importable before SQLAlchemy is (the app's first frame).
Nothing here writes, and nothing here imports `core.services`: commands live there.
"""
