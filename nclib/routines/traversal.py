"""Graph traversals that return their whole trace, the candidate algorithms of the AlgEval
analysis (nclib.algeval). Graphs are undirected edge lists [u0, v0, u1, v1, ...] on nodes
0..n-1 (every id must be < n), as in graphs.py.

Neighbour convention, shared by all three: the neighbours of u are the other endpoints of the
edges that touch u, in edge-list order (an edge listed twice gives the neighbour twice; a
self-loop u-u gives u itself, which is already visited).
"""


def bfs_order(edges: list[int], n: int, start: int) -> list[int]:
    """The nodes reachable from start, in the order breadth-first search dequeues them (a node is
    marked when it is enqueued, so each node is dequeued once)."""
    seen = [0] * n
    queue = [0] * n
    queue[0] = start
    seen[start] = 1
    head, tail = 0, 1
    while head < tail:
        u = queue[head]
        head += 1
        for e in range(0, len(edges), 2):
            a, b = edges[e], edges[e + 1]
            v = n
            if a == u:
                v = b
            elif b == u:
                v = a
            if v < n and not seen[v]:
                seen[v] = 1
                queue[tail] = v
                tail += 1
    order = [0] * tail
    for i in range(tail):
        order[i] = queue[i]
    return order


def dfs_order(edges: list[int], n: int, start: int) -> list[int]:
    """The nodes reachable from start in depth-first preorder: the order of the recursive search
    `visit(u): mark u; for v in neighbours(u): if v unmarked: visit(v)`. Run with an explicit
    stack: a node is marked when it is popped unmarked (seen[u] = its 1-based visit number), and
    all its unmarked neighbours are pushed in reverse edge-list order, so the first neighbour is
    popped first. The stack never holds more than 1 + len(edges) entries."""
    seen = [0] * n
    stack = [0] * (len(edges) + 1)
    stack[0] = start
    top, count = 1, 0
    while top > 0:
        top -= 1
        u = stack[top]
        if seen[u]:
            continue
        count += 1
        seen[u] = count
        for e in reversed(range(len(edges) // 2)):
            a, b = edges[2 * e], edges[2 * e + 1]
            v = n
            if a == u:
                v = b
            elif b == u:
                v = a
            if v < n and not seen[v]:
                stack[top] = v
                top += 1
    order = [0] * count
    for x in range(n):
        if seen[x]:
            order[seen[x] - 1] = x
    return order


def bfs_distances(edges: list[int], n: int, start: int) -> list[int]:
    """The number of edges on a shortest path from start to every node (n for an unreachable
    node): breadth-first search, which is Dijkstra's algorithm for unit edge weights."""
    dist = [n] * n
    queue = [0] * n
    dist[start] = 0
    queue[0] = start
    head, tail = 0, 1
    while head < tail:
        u = queue[head]
        head += 1
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
    return dist
