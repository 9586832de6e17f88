"""
Naive pattern search: check every shift of the pattern over the text.
Time complexity O(n * m).
"""


def naive_pattern_search(s: list[int], pattern: list[int]) -> list[int]:
    """
    Return every position where pattern occurs in s.

    >>> naive_pattern_search([1, 2, 1, 2, 1], [1, 2, 1])
    [0, 2]
    >>> naive_pattern_search([1, 2, 3], [4])
    []
    >>> naive_pattern_search([5, 5], [])
    [0, 1, 2]
    """
    pat_len = len(pattern)
    position = []
    for i in range(len(s) - pat_len + 1):
        match_found = True
        for j in range(pat_len):
            if s[i + j] != pattern[j]:
                match_found = False
                break
        if match_found:
            position.append(i)
    return position


if __name__ == "__main__":
    import doctest

    doctest.testmod()
