"""
Length of the longest common subsequence of two sequences, with the classic
(m + 1) x (n + 1) table flattened into one list of rows.
"""


def longest_common_subsequence(x: list[int], y: list[int]) -> int:
    """
    >>> longest_common_subsequence([1, 2, 3, 4, 1], [3, 4, 1, 2, 1, 3])
    3
    >>> longest_common_subsequence([], [1, 2])
    0
    >>> longest_common_subsequence([7, 7], [7])
    1
    """
    m = len(x)
    n = len(y)
    width = n + 1
    table = [0] * ((m + 1) * width)
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            if x[i - 1] == y[j - 1]:
                table[i * width + j] = table[(i - 1) * width + j - 1] + 1
            else:
                table[i * width + j] = max(table[(i - 1) * width + j], table[i * width + j - 1])
    return table[m * width + n]


if __name__ == "__main__":
    import doctest

    doctest.testmod()
