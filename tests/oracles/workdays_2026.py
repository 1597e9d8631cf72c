"""Rule R4: working days of 2026 from the State Council's notice (国务院办公厅关于2026年部分节假日
安排的通知, 国办发明电, 4 November 2025), and re-assessment due dates counted by hand.

The notice: 元旦 1 Jan (Thu) - 3 Jan off, 4 Jan (Sun) worked; 春节 15 Feb (Sun) - 23 Feb (Mon) off,
14 Feb (Sat) and 28 Feb (Sat) worked; 清明 4 - 6 Apr off; 劳动节 1 May (Fri) - 5 May off, 9 May
(Sat) worked; 端午 19 - 21 Jun off; 中秋 25 - 27 Sep off; 国庆 1 Oct (Thu) - 7 Oct off, 20 Sep (Sun)
and 10 Oct (Sat) worked.
"""

import datetime as dt

D = dt.date

#: Days off in 2026 that would otherwise be Monday-Friday working days.
WEEKDAYS_OFF = (
    D(2026, 1, 1), D(2026, 1, 2),
    D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20),
    D(2026, 2, 23),
    D(2026, 4, 6),
    D(2026, 5, 1), D(2026, 5, 4), D(2026, 5, 5),
    D(2026, 6, 19),
    D(2026, 9, 25),
    D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7),
)  # fmt: skip

#: Weekend days worked in 2026 (调休上班).
WEEKENDS_WORKED = (
    D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10),
)  # fmt: skip

#: (reported, working days, due): counted from the day after the report.
DUE = (
    # Feb 14 (Sat, worked) 1; 15-23 off; 24, 25, 26, 27 -> 5; 28 (Sat, worked) 6;
    # Mar 2, 3, 4, 5 -> 10.
    (D(2026, 2, 13), 10, D(2026, 3, 5)),
    # Oct 1-7 off; 8, 9 -> 2; 10 (Sat, worked) 3; 12-16 -> 8; 19, 20 -> 10.
    (D(2026, 9, 30), 10, D(2026, 10, 20)),
    # May 1-5 off; 6, 7, 8 -> 3; 9 (Sat, worked) 4; 11-15 -> 9; 18 -> 10.
    (D(2026, 4, 30), 10, D(2026, 5, 18)),
    # Jan 1-3 off; 4 (Sun, worked) 1; 5-9 -> 6; 12, 13, 14, 15 -> 10.
    (D(2025, 12, 31), 10, D(2026, 1, 15)),
    # An ordinary fortnight: Nov 2026 has no holiday. Mon 16 Nov + 10 -> Mon 30 Nov.
    (D(2026, 11, 16), 10, D(2026, 11, 30)),
    # One more working day than the rule: the 11th after 13 Feb is 6 Mar.
    (D(2026, 2, 13), 11, D(2026, 3, 6)),
)

#: The law's count (rule R4): a change is re-assessed within 10 working days.
REASSESSMENT_WORKING_DAYS = 10
