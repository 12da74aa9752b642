"""User Editor: fix a learning platform's user download before it goes back."""

__version__ = "0.1.0"
