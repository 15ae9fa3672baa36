"""Where later capabilities plug into the pages. Each list is empty until its capability lands.

- ``duplicate_queue``: ``fn(session, actor) -> list[dict]`` rows for the work queue's
  "Suspected duplicates" section (keys: ``url``, ``label``, ``detail``). The dedupe capability
  appends one; until then the section says that duplicate detection is not available.
- ``record_actions``: ``fn(session, actor, record_document) -> list[dict]`` extra actions on a
  record page (keys: ``url``, ``label``, ``method`` "get" or "post"). Certificates ("Issue a
  certificate", registered records only) and dedupe ("Decide on a suspected duplicate") append
  theirs; the template marks the places with ``hook:`` comments.
- ``record_context``: ``fn(session, actor, record_document) -> dict`` extra template context for
  a record page (the certificates capability adds its ledger and issue form, dedupe the open
  suspected duplicates); ``record.html`` includes the sections that use it.
- ``home_pages``: ``{role: endpoint}`` landing pages for roles without a work queue (the
  statistics capability registers the statistician's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

duplicate_queue: list[Callable[..., list[dict[str, Any]]]] = []
record_actions: list[Callable[..., list[dict[str, Any]]]] = []
record_context: list[Callable[..., dict[str, Any]]] = []
home_pages: dict[str, str] = {}
