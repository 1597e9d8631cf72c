"""Rules V1, V6, V9: the visit day and week in China Standard Time (UTC+8), written out.

China has one time zone and no daylight saving: 16:00 UTC is midnight in Beijing.
"""

import datetime as dt

UTC = dt.UTC
D = dt.date

#: (instant, the day in China, ISO week): 15:59 UTC on Sunday 15 Nov is 23:59 Sunday in China
#: (week 46); one minute later it is Monday 16 Nov, 00:00 (week 47).
VISIT_DAYS = (
    (dt.datetime(2026, 11, 15, 15, 59, tzinfo=UTC), D(2026, 11, 15), (2026, 46)),
    (dt.datetime(2026, 11, 15, 16, 0, tzinfo=UTC), D(2026, 11, 16), (2026, 47)),
    (dt.datetime(2026, 12, 31, 16, 0, tzinfo=UTC), D(2027, 1, 1), (2026, 53)),
    (dt.datetime(2027, 1, 3, 16, 0, tzinfo=UTC), D(2027, 1, 4), (2027, 1)),
)

#: Week 2026-W47 is Monday 16 Nov to Sunday 22 Nov. It is over at 16:00 UTC on 22 Nov
#: (midnight in China), not at 15:59, and not a day early.
WEEK_47 = (2026, 47)
WEEK_47_MONDAY = D(2026, 11, 16)
WEEK_47_SUNDAY = D(2026, 11, 22)
WEEK_47_NOT_OVER = (
    dt.datetime(2026, 11, 21, 16, 0, tzinfo=UTC),  # Sunday 00:00 in China: a day early
    dt.datetime(2026, 11, 22, 15, 59, tzinfo=UTC),  # Sunday 23:59 in China
)
WEEK_47_OVER = dt.datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Monday 23 Nov 00:00 in China

#: Rule V6 (Default): contact and action windows, in hours, by urgency and action.
CONTACT_HOURS = {"immediate": 2, "prompt": 24}
ACTION_HOURS = {"cleaning": 72, "hospital_admission": 24, "institution_admission": 168}

#: A visit at 09:00 China time on Monday 16 Nov 2026 (01:00 UTC) and its deadlines, in UTC.
VISIT_AT = dt.datetime(2026, 11, 16, 1, 0, tzinfo=UTC)
DEADLINES = {
    # finding: (urgency, action, contact deadline, action deadline)
    "house_safety": (
        "immediate",
        "institution_admission",
        dt.datetime(2026, 11, 16, 3, 0, tzinfo=UTC),  # 11:00 in China
        dt.datetime(2026, 11, 23, 1, 0, tzinfo=UTC),  # a week later, 09:00
    ),
    "residence_hygiene": (
        "prompt",
        "cleaning",
        dt.datetime(2026, 11, 17, 1, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 19, 1, 0, tzinfo=UTC),
    ),
    "illness": (
        "prompt",
        "hospital_admission",
        dt.datetime(2026, 11, 17, 1, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 17, 1, 0, tzinfo=UTC),
    ),
}
