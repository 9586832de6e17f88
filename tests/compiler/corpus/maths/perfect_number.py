"""
Perfect number: a positive integer equal to the sum of its proper divisors,
for example 6 = 1 + 2 + 3 and 28 = 1 + 2 + 4 + 7 + 14.
"""


def perfect(number: int) -> bool:
    """
    Check if a number is a perfect number.

    >>> perfect(27)
    False
    >>> perfect(28)
    True
    >>> perfect(29)
    False
    >>> perfect(6)
    True
    >>> perfect(0)
    False
    >>> perfect(-1)
    False
    """
    if number <= 0:
        return False
    return sum(i for i in range(1, number // 2 + 1) if number % i == 0) == number


if __name__ == "__main__":
    from doctest import testmod

    testmod()
    print("Program to check whether a number is a Perfect number or not...")
    number = int(input("Enter a positive integer: ").strip())
    print(f"{number} is {'' if perfect(number) else 'not '}a Perfect Number.")
