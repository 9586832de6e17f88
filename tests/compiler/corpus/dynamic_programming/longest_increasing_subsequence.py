"""
Length of the longest strictly increasing subsequence, O(n^2) dynamic
programming: lis[i] is the length of the longest one ending at i.
"""


def longest_increasing_subsequence_length(array: list[int]) -> int:
    """
    >>> longest_increasing_subsequence_length([10, 22, 9, 33, 21, 50, 41, 60, 80])
    6
    >>> longest_increasing_subsequence_length([])
    0
    >>> longest_increasing_subsequence_length([5, 4, 3])
    1
    >>> longest_increasing_subsequence_length([1, 1, 1])
    1
    """
    n = len(array)
    if n == 0:
        return 0
    lis = [1] * n
    for i in range(1, n):
        for j in range(i):
            if array[j] < array[i] and lis[j] + 1 > lis[i]:
                lis[i] = lis[j] + 1
    return max(lis)


if __name__ == "__main__":
    import doctest

    doctest.testmod()
