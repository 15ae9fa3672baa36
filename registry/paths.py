"""Dotted paths into nested dicts (``"child.date_of_birth"``): the one place they are walked."""

from __future__ import annotations

from typing import Any


def branch(tree: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The dict that holds the last part of ``path`` (made on the way down) and that part:
    ``node, leaf = branch(errors, "child.sex"); node[leaf] = [...]``."""
    node = tree
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    return node, leaf
