"""
Levenshtein edit distance between two sequences: the fewest insertions,
deletions and substitutions that turn one into the other. Only two rows of
the dynamic-programming table are kept.
"""


def edit_distance(source: list[int], target: list[int]) -> int:
    """
    >>> edit_distance([1, 2, 3], [1, 3])
    1
    >>> edit_distance([], [4, 5])
    2
    >>> edit_distance([1, 2, 3, 4], [2, 3, 4, 5])
    2
    >>> edit_distance([9], [9])
    0
    """
    previous = list(range(len(target) + 1))
    for i, s in enumerate(source, start=1):
        current = [i] + [0] * len(target)
        for j, t in enumerate(target, start=1):
            cost = 0 if s == t else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        previous = current
    return previous[len(target)]


if __name__ == "__main__":
    import doctest

    doctest.testmod()
