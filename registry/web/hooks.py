"""Where capabilities plug into the shared pages. ``registry.web.register_web`` fills these
collections in one call to ``plug``, so every plug-in is listed where the pages are wired:

- ``duplicate_queue``: ``fn(session, actor) -> list[dict]`` rows for the work queue's
  "Suspected duplicates" section (keys: ``url``, ``label``, ``detail``). Without one the
  section says that duplicate detection is not available.
- ``record_actions``: ``fn(session, actor, record_document) -> list[dict]`` extra actions on a
  record page (keys: ``url``, ``label``, ``method`` "get" or "post"), listed in this order;
  the template marks the place with a ``hook:`` comment.
- ``record_context``: ``fn(session, actor, record_document) -> dict`` extra template context for
  a record page (the ledger and issue form of certificates, the open suspected duplicates, the
  corrections waiting); ``record.html`` includes the sections that use it.
- ``home_pages``: ``{role: endpoint}`` landing pages for roles without a work queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

QueueRows = Callable[..., list[dict[str, Any]]]
RecordActions = Callable[..., list[dict[str, Any]]]
RecordContext = Callable[..., dict[str, Any]]

duplicate_queue: list[QueueRows] = []
record_actions: list[RecordActions] = []
record_context: list[RecordContext] = []
home_pages: dict[str, str] = {}


def plug(
    *,
    queue: Iterable[QueueRows] = (),
    actions: Iterable[RecordActions] = (),
    context: Iterable[RecordContext] = (),
    homes: Mapping[str, str] | None = None,
) -> None:
    """Set what the capabilities add to the pages (it replaces, so each app may call it)."""
    duplicate_queue[:] = queue
    record_actions[:] = actions
    record_context[:] = context
    home_pages.clear()
    home_pages.update(homes or {})
