"""invoice-sandbox: a local sandbox for four real invoice APIs over one state machine."""

__version__ = "0.1.0"
