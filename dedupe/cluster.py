"""Clustering of matched pairs into groups of records of the same person."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from dedupe.model import Candidate

__all__ = ["cluster", "cluster_edges"]


def _components(nodes: Iterable[str], edges: dict[tuple[str, str], float]) -> list[set[str]]:
    adjacency: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        adjacency[a].add(b)
        adjacency[b].add(a)
    seen: set[str] = set()
    out = []
    for start in sorted(nodes):
        if start in seen:
            continue
        stack, component = [start], {start}
        seen.add(start)
        while stack:
            for nxt in adjacency[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    component.add(nxt)
                    stack.append(nxt)
        out.append(component)
    return out


def _connected(a: str, b: str, neighbours: dict[str, set[str]]) -> bool:
    seen, stack = {a}, [a]
    while stack:
        for nxt in neighbours[stack.pop()]:
            if nxt == b:
                return True
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def cluster_edges(
    edges: Iterable[tuple[str, str, float]], threshold: float, strong: float = 0.99
) -> dict[str, str]:
    """Cluster ``(left_id, right_id, probability)`` edges; see :func:`cluster`."""
    kept: dict[tuple[str, str], float] = {}
    for a, b, p in edges:
        if p >= threshold and a != b:
            key = (a, b) if a < b else (b, a)
            kept[key] = max(p, kept.get(key, 0.0))
    nodes = {x for pair in kept for x in pair}
    result: dict[str, str] = {}
    for component in _components(nodes, kept):
        inner = {e: p for e, p in kept.items() if e[0] in component}
        if len(component) > 2:
            inner = _break_weak_bridges(inner, strong)
        for part in _components(component, inner):
            label = min(part)
            for node in part:
                result[node] = label
    return result


def _break_weak_bridges(
    edges: dict[tuple[str, str], float], strong: float
) -> dict[tuple[str, str], float]:
    """Drop weak links that alone hold a cluster together, weakest first.

    A link is *supported* when it is strong (probability >= ``strong``) or closes a triangle
    (both records are linked to a common third record). An unsupported link whose removal
    splits its cluster is a bridge that could chain unrelated records, so it is cut.
    """
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    kept = dict(edges)
    for (a, b), p in sorted(edges.items(), key=lambda item: item[1]):
        if p >= strong or neighbours[a] & neighbours[b]:
            continue
        neighbours[a].discard(b)
        neighbours[b].discard(a)
        if _connected(a, b, neighbours):
            neighbours[a].add(b)
            neighbours[b].add(a)
        else:
            del kept[(a, b)]
    return kept


def cluster(
    candidates: Iterable[Candidate], threshold: float, strong: float = 0.99
) -> dict[str, str]:
    """Group records linked by candidates at or above ``threshold``.

    Records form connected components, except that a weak link (below ``strong`` and in no
    triangle) that is the only connection between two parts of a component is cut: one
    doubtful pair does not chain two otherwise unrelated groups of records together.

    Args:
        candidates: Scored pairs (e.g. from :func:`~dedupe.find_duplicates`).
        threshold: Minimum probability of a link.
        strong: Links at or above this probability are never cut.

    Returns:
        ``{record_id: cluster_id}`` for every record in a kept link; the cluster id is the
        smallest record id of the cluster. Records absent from the result are alone.
    """
    return cluster_edges(
        ((c.left_id, c.right_id, c.probability) for c in candidates), threshold, strong
    )
