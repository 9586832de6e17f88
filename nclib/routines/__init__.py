"""The standard library: each routine is a plain Python function in one of these files, compiled
by `nclib.stdlib()`. The files are data for the compiler; they are also importable, so tests can
use the very same functions as the CPython oracle."""

ROUTINES = {
    "arithmetic": ["add", "sub", "mul", "divmod", "compare", "factorial", "gcd"],
    "fibonacci": ["fib", "fib_iter"],
    "sorting": ["insertion_sort", "bubble_sort", "binary_search"],
    "graphs": ["bfs_reachable", "dfs_reachable", "bfs_distance", "reachable"],
    "traversal": ["bfs_order", "dfs_order", "bfs_distances"],
    "digits": ["parse_digits", "render_digits"],
}

__all__ = ["ROUTINES"]
