"""Clustering of matched pairs into groups of records of the same person.

The work is linear in the number of links: one pass of Tarjan's bridge search over the graph
of links, then one union-find pass over the links that are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dedupe.model import Candidate

__all__ = ["cluster", "cluster_edges"]


def _find(parent: list[int], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def _union(parent: list[int], a: int, b: int) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        # The smaller index becomes the root: nodes are numbered in id order, so a root is
        # the smallest id of its set.
        parent[max(ra, rb)] = min(ra, rb)


def _bridges(adjacency: list[list[tuple[int, int]]]) -> set[int]:
    """Return the indices of the edges whose removal disconnects their component.

    Iterative Tarjan: ``low[v]`` is the earliest discovery time reachable from the subtree of
    ``v`` without the edge that discovered it; that edge is a bridge when ``low[v]`` is later
    than its parent's discovery time.
    """
    n = len(adjacency)
    discovered = [-1] * n
    low = [0] * n
    found: set[int] = set()
    clock = 0
    for root in range(n):
        if discovered[root] >= 0:
            continue
        discovered[root] = low[root] = clock
        clock += 1
        stack: list[tuple[int, int, Iterator[tuple[int, int]]]] = [
            (root, -1, iter(adjacency[root]))
        ]
        while stack:
            node, via, pending = stack[-1]
            for nxt, edge in pending:
                if edge == via:
                    continue
                if discovered[nxt] < 0:
                    discovered[nxt] = low[nxt] = clock
                    clock += 1
                    stack.append((nxt, edge, iter(adjacency[nxt])))
                    break
                low[node] = min(low[node], discovered[nxt])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > discovered[parent]:
                        found.add(via)
    return found


def cluster_edges(
    edges: Iterable[tuple[str, str, float]], threshold: float, strong: float = 0.99
) -> dict[str, str]:
    """Cluster ``(left_id, right_id, probability)`` edges; see :func:`cluster`."""
    kept: dict[tuple[str, str], float] = {}
    for a, b, p in edges:
        if p >= threshold and a != b:
            key = (a, b) if a < b else (b, a)
            if p > kept.get(key, -1.0):
                kept[key] = p
    ids = sorted({x for pair in kept for x in pair})
    index = {x: i for i, x in enumerate(ids)}
    pairs = [(index[a], index[b], p) for (a, b), p in kept.items()]
    adjacency: list[list[tuple[int, int]]] = [[] for _ in ids]
    parent = list(range(len(ids)))
    for edge, (i, j, _) in enumerate(pairs):
        adjacency[i].append((j, edge))
        adjacency[j].append((i, edge))
        _union(parent, i, j)
    size = [0] * len(ids)
    for i in range(len(ids)):
        size[_find(parent, i)] += 1
    # A weak link that is a bridge of a component of three or more records is cut. Cutting a
    # bridge leaves every cycle intact, so the bridges of the original graph are exactly the
    # links that the one-at-a-time rule (weakest first, cut when it alone holds its cluster
    # together) would cut; a link in a triangle is never a bridge.
    cut = {
        edge
        for edge in _bridges(adjacency)
        if pairs[edge][2] < strong and size[_find(parent, pairs[edge][0])] > 2
    }
    parent = list(range(len(ids)))
    for edge, (i, j, _) in enumerate(pairs):
        if edge not in cut:
            _union(parent, i, j)
    return {x: ids[_find(parent, i)] for i, x in enumerate(ids)}


def cluster(
    candidates: Iterable[Candidate], threshold: float, strong: float = 0.99
) -> dict[str, str]:
    """Group records linked by candidates at or above ``threshold``.

    Records form connected components, except that a weak link (below ``strong`` and in no
    triangle) that is the only connection between two parts of a component is cut: one
    doubtful pair does not chain two otherwise unrelated groups of records together.

    The time is linear in the number of candidates (a bridge search and a union-find), so a
    component of any size is clustered without pairwise work.

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
