"""
Caesar cipher over letters numbered 0..25: every letter is shifted by the key,
wrapping around the alphabet.
"""

ALPHABET_SIZE = 26


def encrypt(letters: list[int], key: int) -> list[int]:
    """
    >>> encrypt([7, 4, 11, 11, 14], 3)
    [10, 7, 14, 14, 17]
    >>> encrypt([25], 1)
    [0]
    >>> encrypt([0, 1], -1)
    [25, 0]
    """
    result = []
    for letter in letters:
        if letter < 0 or letter >= ALPHABET_SIZE:
            raise ValueError(f"not a letter index: {letter}")
        result.append((letter + key) % ALPHABET_SIZE)
    return result


def decrypt(letters: list[int], key: int) -> list[int]:
    """
    >>> decrypt(encrypt([2, 0, 4, 18, 0, 17], 13), 13)
    [2, 0, 4, 18, 0, 17]
    """
    return encrypt(letters, -key)


if __name__ == "__main__":
    import doctest

    doctest.testmod()
