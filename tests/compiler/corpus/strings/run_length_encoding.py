"""
Run-length encoding: consecutive repeats of a value are stored as the value
followed by the length of the run.
"""


def run_length_encode(text: list[int]) -> list[int]:
    """
    Performs Run Length Encoding, flattened into [value, count, value, count, ...].

    >>> run_length_encode([1, 1, 1, 2, 2, 3])
    [1, 3, 2, 2, 3, 1]
    >>> run_length_encode([4])
    [4, 1]
    >>> run_length_encode([])
    []
    """
    encoded = []
    count = 1

    for i in range(len(text)):
        if i + 1 < len(text) and text[i] == text[i + 1]:
            count += 1
        else:
            encoded.append(text[i])
            encoded.append(count)
            count = 1

    return encoded


def run_length_decode(encoded: list[int]) -> list[int]:
    """
    >>> run_length_decode([1, 3, 2, 2, 3, 1])
    [1, 1, 1, 2, 2, 3]
    >>> run_length_decode([5])
    Traceback (most recent call last):
        ...
    ValueError: encoded data must hold (value, count) pairs
    """
    if len(encoded) % 2 != 0:
        raise ValueError("encoded data must hold (value, count) pairs")
    decoded = []
    for i in range(0, len(encoded), 2):
        for _ in range(encoded[i + 1]):
            decoded.append(encoded[i])
    return decoded


if __name__ == "__main__":
    from doctest import testmod

    testmod(name="run_length_encode", verbose=True)
