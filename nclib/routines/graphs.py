"""Graph search over an undirected edge list [u0, v0, u1, v1, ...] on nodes 0..n-1."""


def bfs_reachable(edges: list[int], n: int, start: int, goal: int) -> int:
    """1 if goal can be reached from start, else 0 (breadth-first)."""
    return 1 if bfs_distance(edges, n, start, goal) < n else 0


def bfs_distance(edges: list[int], n: int, start: int, goal: int) -> int:
    """Number of edges on a shortest path from start to goal; n if goal is unreachable."""
    dist = [n] * n
    queue = [0] * n
    dist[start] = 0
    queue[0] = start
    head, tail = 0, 1
    while head < tail:
        u = queue[head]
        head += 1
        if u == goal:
            return dist[u]
        for e in range(0, len(edges), 2):
            a, b = edges[e], edges[e + 1]
            v = n
            if a == u:
                v = b
            elif b == u:
                v = a
            if v < n and dist[v] == n:
                dist[v] = dist[u] + 1
                queue[tail] = v
                tail += 1
    return n


def dfs_reachable(edges: list[int], n: int, start: int, goal: int) -> int:
    """1 if goal can be reached from start, else 0 (depth-first with an explicit stack)."""
    seen = [0] * n
    stack = [0] * n
    stack[0] = start
    seen[start] = 1
    top = 1
    while top > 0:
        top -= 1
        u = stack[top]
        if u == goal:
            return 1
        for e in range(0, len(edges), 2):
            a, b = edges[e], edges[e + 1]
            v = n
            if a == u:
                v = b
            elif b == u:
                v = a
            if v < n and not seen[v]:
                seen[v] = 1
                stack[top] = v
                top += 1
    return 0


def reachable(edges: list[int], start: int, goal: int) -> int:
    """1 if goal can be reached from start; the rooms are the ids that occur (the reader cannot
    supply a node count, so it is derived from the largest id)."""
    n = start
    if goal > n:
        n = goal
    for x in edges:
        if x > n:
            n = x
    return bfs_reachable(edges, n + 1, start, goal)
