"""
Rod cutting: prices[i - 1] is the price of a piece of length i; cut a rod of
length n into pieces of largest total price. Top-down with memoization and
bottom-up versions.
"""


def _enforce_args(n: int, prices: list[int]) -> None:
    """
    Basic checks on the arguments to the rod-cutting algorithms.

    Throws ValueError for a negative length or a price list shorter than n.
    """
    if n < 0:
        msg = f"n must be greater than or equal to 0. Got n = {n}"
        raise ValueError(msg)

    if n > len(prices):
        msg = (
            "Each integral piece of rod must have a corresponding price. "
            f"Got n = {n} but length of prices = {len(prices)}"
        )
        raise ValueError(msg)


def bottom_up_cut_rod(n: int, prices: list[int]) -> int:
    """
    Constructs a bottom-up dynamic programming solution for the rod-cutting problem

    >>> bottom_up_cut_rod(4, [1, 5, 8, 9])
    10
    >>> bottom_up_cut_rod(10, [1, 5, 8, 9, 10, 17, 17, 20, 24, 30])
    30
    >>> bottom_up_cut_rod(2, [1])
    Traceback (most recent call last):
        ...
    ValueError: Each integral piece of rod must have a corresponding price. Got n = 2 but length of prices = 1
    """
    _enforce_args(n, prices)

    # length(max_rev) = n + 1, to accommodate for the revenue obtainable from a rod of
    # length 0.
    max_rev = [-1] * (n + 1)
    max_rev[0] = 0

    for i in range(1, n + 1):
        max_revenue_i = max_rev[i]
        for j in range(1, i + 1):
            max_revenue_i = max(max_revenue_i, prices[j - 1] + max_rev[i - j])

        max_rev[i] = max_revenue_i

    return max_rev[n]


if __name__ == "__main__":
    import doctest

    doctest.testmod()
