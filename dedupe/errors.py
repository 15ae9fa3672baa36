"""Exceptions raised by :mod:`dedupe`.

Every error the library raises on purpose derives from :class:`DedupeError`, so a caller can
catch the whole family in one place. The tree::

    DedupeError                 base of every error raised by dedupe
    ├── SettingsError           settings are malformed, inconsistent or unreadable
    ├── InputError              input records or files cannot be used
    │   └── MissingColumnError  a configured column is absent from an input file
    └── ModelError              a serialised model is malformed or does not fit its settings
"""

from __future__ import annotations

__all__ = ["DedupeError", "InputError", "MissingColumnError", "ModelError", "SettingsError"]


class DedupeError(Exception):
    """Base class of every error raised by :mod:`dedupe`."""


class SettingsError(DedupeError):
    """The settings are malformed, inconsistent or cannot be read."""


class InputError(DedupeError):
    """Input records or an input file cannot be used."""


class MissingColumnError(InputError):
    """A column named in the settings is absent from an input file."""


class ModelError(DedupeError):
    """A serialised model is malformed or does not fit its settings."""
