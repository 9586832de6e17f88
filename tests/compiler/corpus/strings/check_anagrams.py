"""
Two words are anagrams when they use the same letters the same number of
times. Letters are given as numbers 0..25 (a..z).
"""

ALPHABET_SIZE = 26


def check_anagrams(first_str: list[int], second_str: list[int]) -> bool:
    """
    >>> check_anagrams([18, 8, 11, 4, 13, 19], [11, 8, 18, 19, 4, 13])
    True
    >>> check_anagrams([0, 1], [0, 0])
    False
    >>> check_anagrams([], [])
    True
    >>> check_anagrams([26], [1])
    Traceback (most recent call last):
        ...
    ValueError: letters must be in range(26), got 26
    """
    if len(first_str) != len(second_str):
        return False

    count = [0] * ALPHABET_SIZE
    for letter in first_str + second_str:
        if not 0 <= letter < ALPHABET_SIZE:
            raise ValueError(f"letters must be in range({ALPHABET_SIZE}), got {letter}")
    for letter in first_str:
        count[letter] += 1
    for letter in second_str:
        count[letter] -= 1

    return all(c == 0 for c in count)


if __name__ == "__main__":
    from doctest import testmod

    testmod()
