"""
0/1 knapsack: choose a subset of items, each with a weight and a value, of
total weight at most the capacity and largest total value.
"""


def knapsack(capacity: int, weights: list[int], values: list[int]) -> int:
    """
    Bottom-up dynamic programming over capacities, one row at a time.

    >>> knapsack(50, [10, 20, 30], [60, 100, 120])
    220
    >>> knapsack(0, [1, 2], [5, 6])
    0
    >>> knapsack(5, [], [])
    0
    >>> knapsack(5, [1, 2], [3])
    Traceback (most recent call last):
        ...
    ValueError: The number of weights must be the same as the number of values.
    But got 2 weights and 1 values
    """
    if len(weights) != len(values):
        msg = (
            "The number of weights must be the same as the number of values.\n"
            f"But got {len(weights)} weights and {len(values)} values"
        )
        raise ValueError(msg)
    if capacity < 0:
        raise ValueError("The knapsack capacity must be non-negative")
    for weight in weights:
        if weight < 0:
            raise ValueError("Weight can not be negative.")

    dp = [0] * (capacity + 1)
    for item in range(len(weights)):
        weight = weights[item]
        for w in range(capacity, weight - 1, -1):
            dp[w] = max(dp[w], dp[w - weight] + values[item])
    return dp[capacity]


if __name__ == "__main__":
    import doctest

    doctest.testmod()
