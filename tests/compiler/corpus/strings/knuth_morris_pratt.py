"""
Knuth-Morris-Pratt string search: uses the failure function of the pattern
to never re-examine text characters. O(n + m).
"""


def get_failure_array(pattern: list[int]) -> list[int]:
    """
    Calculates the new index we should go to if we fail a comparison
    :param pattern:
    :return:

    >>> get_failure_array([1, 2, 1, 2, 3])
    [0, 0, 1, 2, 0]
    """
    failure = [0]
    i = 0
    j = 1
    while j < len(pattern):
        if pattern[i] == pattern[j]:
            i += 1
        elif i > 0:
            i = failure[i - 1]
            continue
        j += 1
        failure.append(i)
    return failure


def knuth_morris_pratt(text: list[int], pattern: list[int]) -> int:
    """
    The position of the first occurrence of pattern in text, or -1.

    >>> knuth_morris_pratt([1, 2, 1, 2, 3, 1], [1, 2, 3])
    2
    >>> knuth_morris_pratt([1, 1, 1], [2])
    -1
    >>> knuth_morris_pratt([1, 1, 1], [])
    Traceback (most recent call last):
        ...
    ValueError: pattern must not be empty
    """
    if not pattern:
        raise ValueError("pattern must not be empty")
    # 1) Construct the failure array
    failure = get_failure_array(pattern)

    # 2) Step through text searching for pattern
    i, j = 0, 0  # index into text, pattern
    while i < len(text):
        if pattern[j] == text[i]:
            if j == (len(pattern) - 1):
                return i - j
            j += 1

        # if this is a prefix in our pattern
        # just go back far enough to continue
        elif j > 0:
            j = failure[j - 1]
            continue
        i += 1
    return -1


if __name__ == "__main__":
    import doctest

    doctest.testmod()
