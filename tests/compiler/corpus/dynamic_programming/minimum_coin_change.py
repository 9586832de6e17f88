"""
Minimum number of coins that make up an amount, or -1 when the amount cannot
be made from the given denominations.
"""


def min_coins(coins: list[int], amount: int) -> int:
    """
    >>> min_coins([1, 2, 5], 11)
    3
    >>> min_coins([2], 3)
    -1
    >>> min_coins([1], 0)
    0
    >>> min_coins([3, 7], 15)
    5
    >>> min_coins([0, 1], 2)
    Traceback (most recent call last):
        ...
    ValueError: coin values must be positive
    """
    if any(coin <= 0 for coin in coins):
        raise ValueError("coin values must be positive")
    if amount < 0:
        raise ValueError("amount must be non-negative")
    dp = [float("inf")] * (amount + 1)
    dp[0] = 0
    for i in range(1, amount + 1):
        for coin in coins:
            if coin <= i and dp[i - coin] + 1 < dp[i]:
                dp[i] = dp[i - coin] + 1
    return -1 if dp[amount] == float("inf") else int(dp[amount])


if __name__ == "__main__":
    import doctest

    doctest.testmod()
