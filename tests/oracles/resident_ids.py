"""Rule R2: resident ID numbers (GB 11643-1999) with their check digits worked out by hand.

check digit = "10X98765432"[sum(a_i * w_i) mod 11], w = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
Each sum is written out below; the vectors cover the remainders that give 'X' (2), '1' (0) and
'0' (1), and numbers whose first two digits differ, so swapped weights change the answer.
"""

#: The weights of the first 17 digits, as GB 11643-1999 gives them.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: The check character for each remainder 0..10.
CHECK_TABLE = "10X98765432"

#: (first 17 digits, sum of a_i * w_i, remainder, check character).
WORKED = (
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2:
    # 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167 = 15*11 + 2 -> 'X'
    ("11010519491231002", 167, 2, "X"),
    # 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1:
    # 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195 = 17*11 + 8 -> '4'
    ("44052418800101001", 195, 8, "4"),
    # 3 2 0 6 2 1 1 9 4 9 1 2 3 1 0 0 0:
    # 21+18+0+30+16+4+2+9+24+27+7+18+30+5+0+0+0 = 211 = 19*11 + 2 -> 'X'
    ("32062119491231000", 211, 2, "X"),
    # ... 1 0 1 8 (last four): 211 - 0 + 0*8 + 1*4 + 8*2 = 231 = 21*11 + 0 -> '1'
    ("32062119491231018", 231, 0, "1"),
    # ... 1 0 0 5: 211 + 0 + 0 + 5*2 = 221 = 20*11 + 1 -> '0'
    ("32062119491231005", 221, 1, "0"),
)

#: Whole valid numbers: the two of DOMAIN.md and the three of the table above.
VALID = (
    "11010519491231002X",
    "440524188001010014",
    "32062119491231000X",
    "320621194912310181",
    "320621194912310050",
)

#: (number, why it is refused): each differs from a valid one in one place.
INVALID = (
    ("320621194912310180", "check digit"),  # remainder 0 needs '1', not '0'
    ("320621194912310051", "check digit"),  # remainder 1 needs '0', not '1'
    ("110105194912310021", "check digit"),  # remainder 2 needs 'X'
    # 1 1 0 1 0 5 1 9 4 9 0 2 3 0 0 0 2: 7+9+0+5+0+20+2+9+24+27+0+18+30+0+0+0+4 = 155
    # = 14*11 + 1 -> '0': the check digit is right, the date (1949-02-30) is not.
    ("110105194902300020", "impossible"),
    # 1 1 0 1 0 5 2 0 2 6 1 2 0 1 0 0 2: 7+9+0+5+0+20+4+0+12+18+7+18+0+5+0+0+4 = 109
    # = 9*11 + 10 -> '2': born 2026-12-01, after TODAY.
    ("110105202612010022", "future"),
)

#: The day the refusals above are judged on.
TODAY = "2026-11-26"

#: An address code no list knows (99....): warns, never blocks. 9 9 0 1 0 1 1 9 5 0 0 1 0 1 0 0 1:
#: 63+81+0+5+0+4+2+9+30+0+0+9+0+5+0+0+2 = 210 = 19*11 + 1 -> '0'.
UNKNOWN_ADDRESS = "990101195001010010"
#: 320621 海安县, retired, still a valid prefix: no warning (VALID[2]).
RETIRED_ADDRESS = "32062119491231000X"

#: Gender from the 17th digit: odd male, even female.
GENDERS = (
    ("440524188001010014", "male"),  # 17th digit 1
    ("11010519491231002X", "female"),  # 17th digit 2
    ("320621194912310181", "female"),  # 17th digit 8
    ("320621194912310050", "male"),  # 17th digit 5
)
