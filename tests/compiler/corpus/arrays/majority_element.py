"""
Boyer-Moore majority vote: find the element occurring more than n / 2 times,
if there is one, in O(n) time and O(1) space.
"""


def majority_vote(votes: list[int]) -> int | None:
    """
    Return the majority element or None when no element has more than half the votes.

    >>> majority_vote([1, 2, 1, 1, 3])
    1
    >>> majority_vote([1, 2, 3]) is None
    True
    >>> majority_vote([]) is None
    True
    """
    candidate = None
    count = 0
    for vote in votes:
        if count == 0:
            candidate = vote
        count += 1 if vote == candidate else -1

    if candidate is not None and votes.count(candidate) * 2 > len(votes):
        return candidate
    return None


if __name__ == "__main__":
    import doctest

    doctest.testmod()
