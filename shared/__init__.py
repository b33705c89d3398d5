"""The Business Central ↔ Scend integration package (not the ../shared reference folder)."""

__version__ = "0.1.0"
