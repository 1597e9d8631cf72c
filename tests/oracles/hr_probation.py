"""Known answers of the Labour Contract Law art. 19 (rule H6), worked out by hand from the text:
劳动合同期限三个月以上不满一年的，试用期不得超过一个月；一年以上不满三年的，不得超过二个月；三年以上
固定期限和无固定期限的，不得超过六个月；不满三个月的，不得约定试用期。"以上" includes the bound.

(start, last day of the term or None for open-ended, longest probation in months)
"""

from __future__ import annotations

from datetime import date

ART_19 = [
    # under 3 months: none
    (date(2026, 1, 1), date(2026, 3, 30), 0),
    # exactly 3 months (1 Jan to 31 Mar) is "3 months or more": 1 month
    (date(2026, 1, 1), date(2026, 3, 31), 1),
    (date(2026, 1, 1), date(2026, 12, 30), 1),
    # exactly 1 year: 2 months
    (date(2026, 1, 1), date(2026, 12, 31), 2),
    (date(2026, 1, 1), date(2028, 12, 30), 2),
    # exactly 3 years: 6 months
    (date(2026, 1, 1), date(2028, 12, 31), 6),
    (date(2026, 3, 1), date(2031, 2, 28), 6),
    # open-ended: 6 months
    (date(2026, 1, 1), None, 6),
]
