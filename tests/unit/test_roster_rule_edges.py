"""Edges of the roster's rules that mutation testing found untested: substitutions (V9, R6),
assignment order (R6), the worker's town (R5), status changes (R6), the import's dates and town
names (R1), and the assessment's checks (R3). Expected values written out."""

from __future__ import annotations

import datetime as dt

import pytest

from roster_svc.domain.assessments import Assessment, check_assessment
from roster_svc.domain.assignments import (
    Assignment,
    Substitution,
    check_assignment_order,
    check_substitution,
    check_substitution_overlap,
    check_worker_name,
    check_worker_town,
)
from roster_svc.domain.person_import import TownIndex, parse_date
from roster_svc.domain.persons import PersonStatus, StatusChange, check_status_change
from sgz_runtime.errors import FailedPrecondition, InvalidArgument

D = dt.date


def _sub(
    start: dt.date, end: dt.date, worker: str = "workers/a", sub: str = "workers/s"
) -> Substitution:
    return Substitution("s1", "chengdong", worker, sub, start, end)


def test_v9_a_substitution_ends_after_it_starts_and_names_another_worker() -> None:
    check_substitution(_sub(D(2026, 11, 16), D(2026, 11, 17)))  # one day is fine
    with pytest.raises(InvalidArgument) as info:
        check_substitution(_sub(D(2026, 11, 16), D(2026, 11, 16), sub="workers/a"))
    assert [v.field for v in info.value.violations] == [
        "substitution.end_date",
        "substitution.substitute",
    ]
    with pytest.raises(InvalidArgument) as info:
        check_substitution(_sub(D(2026, 11, 17), D(2026, 11, 16)))
    assert [v.field for v in info.value.violations] == ["substitution.end_date"]


def test_r6_substitutions_of_one_worker_may_touch_but_not_overlap() -> None:
    existing = [_sub(D(2026, 11, 16), D(2026, 11, 20))]
    check_substitution_overlap(existing, _sub(D(2026, 11, 20), D(2026, 11, 25)))  # touches
    check_substitution_overlap(existing, _sub(D(2026, 11, 10), D(2026, 11, 16)))  # touches
    for start, end in ((D(2026, 11, 19), D(2026, 11, 25)), (D(2026, 11, 10), D(2026, 11, 17))):
        with pytest.raises(FailedPrecondition) as info:
            check_substitution_overlap(existing, _sub(start, end))
        assert info.value.rule == "R6" and "2026-11-16" in info.value.message


def test_r6_a_new_assignment_starts_after_the_latest() -> None:
    history = [
        Assignment("a1", "p", "workers/a", D(2026, 1, 1)),
        Assignment("a2", "p", "workers/b", D(2026, 6, 1)),
    ]
    check_assignment_order(history, Assignment("a3", "p", "workers/c", D(2026, 6, 2)))
    check_assignment_order([], Assignment("a3", "p", "workers/c", D(2020, 1, 1)))
    for day in (D(2026, 6, 1), D(2026, 3, 1)):
        with pytest.raises(FailedPrecondition) as info:
            check_assignment_order(history, Assignment("a3", "p", "workers/c", day))
        assert info.value.rule == "R6" and "2026-06-01" in info.value.message


def test_r5_the_worker_belongs_to_the_persons_town() -> None:
    check_worker_town("agreement.worker", "workers/a", "towns/t", "towns/t")
    with pytest.raises(InvalidArgument) as unknown:
        check_worker_town("agreement.worker", "workers/a", None, "towns/t")
    assert unknown.value.rule == "R5"
    assert [v.field for v in unknown.value.violations] == ["agreement.worker"]
    with pytest.raises(FailedPrecondition) as other:
        check_worker_town("agreement.worker", "workers/a", "towns/u", "towns/t")
    assert other.value.rule == "R5" and "towns/u" in other.value.message


@pytest.mark.parametrize("name", ["workers", "workers/", "people/a", "workers/a/b", ""])
def test_a_worker_is_named_workers_slash_id(name: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_worker_name("assignment.worker", name)
    assert [v.field for v in info.value.violations] == ["assignment.worker"]


def test_r6_status_changes_append_after_the_latest_and_say_why_not() -> None:
    history = [
        StatusChange("p", PersonStatus.DISPERSED, D(2026, 1, 1)),
        StatusChange("p", PersonStatus.HOSPITALISED, D(2026, 3, 1)),
    ]
    check_status_change(history, StatusChange("p", PersonStatus.DISPERSED, D(2026, 3, 2)))
    check_status_change([], StatusChange("p", PersonStatus.DISPERSED, D(2026, 1, 1)))
    with pytest.raises(FailedPrecondition) as early:
        check_status_change(history, StatusChange("p", PersonStatus.DISPERSED, D(2026, 3, 1)))
    assert early.value.rule == "R6" and "2026-03-01" in early.value.message
    with pytest.raises(FailedPrecondition) as same:
        check_status_change(history, StatusChange("p", PersonStatus.HOSPITALISED, D(2026, 4, 1)))
    assert same.value.rule == "R6" and "in hospital" in same.value.message
    dead = [*history, StatusChange("p", PersonStatus.DECEASED, D(2026, 5, 1))]
    with pytest.raises(FailedPrecondition) as after_death:
        check_status_change(dead, StatusChange("p", PersonStatus.EXITED, D(2026, 6, 1)))
    assert after_death.value.rule == "R6" and "deceased" in after_death.value.message


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-03-01", D(2026, 3, 1)),
        ("2026/3/1", D(2026, 3, 1)),
        ("2026.03.01", D(2026, 3, 1)),
        ("2026年3月1日", D(2026, 3, 1)),
        ("20260301", D(2026, 3, 1)),
        (" 2026-12-31 ", D(2026, 12, 31)),
        ("2026-03-01 00:00:00", D(2026, 3, 1)),
        ("2026-03-01T08:30:00", D(2026, 3, 1)),
    ],
)
def test_r1_import_dates_are_read_as_towns_write_them(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["三月", "2026-13-01", "202603011", "2026-02-30", ""])
def test_r1_an_unreadable_date_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_r1_a_file_names_its_towns_by_id_code_or_unshared_name() -> None:
    towns = TownIndex(
        [
            ("chengdong", "320621100", "城东镇"),
            ("xicheng", "320621101", "西城镇"),
            ("beicheng", "320621102", "西城镇"),  # the same name in one county
        ]
    )
    assert (
        towns.find("chengdong") == towns.find("320621100") == towns.find(" 城东镇 ") == "chengdong"
    )
    assert towns.find("320621101") == "xicheng" and towns.find("beicheng") == "beicheng"
    with pytest.raises(ValueError) as shared:
        towns.find("西城镇")
    assert "two towns" in str(shared.value)
    with pytest.raises(ValueError) as unknown:
        towns.find("南京")
    assert "not a town" in str(unknown.value)


def test_r3_each_unanswered_indicator_a_blank_assessor_and_a_future_date_are_named() -> None:
    today = D(2026, 11, 26)
    blank = Assessment("", "", " ", D(2026, 11, 27), True, None, True, None, True, True)
    with pytest.raises(InvalidArgument) as info:
        check_assessment(blank, today)
    assert info.value.rule == "R3"
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("assessment.dressing", "R3"),
        ("assessment.toileting", "R3"),
        ("assessment.assessor", "R3"),
        ("assessment.assessment_date", "R3"),
    ]
    whole = Assessment("", "", "评估中心", today, True, False, True, False, False, True)
    assert check_assessment(whole, today).value == "partial"  # three cannot: 部分丧失


def test_s1_s2_station_facts_are_checked_field_by_field() -> None:
    """Rules S1, S2: each malformed fact names its field and rule; a well-formed one passes."""
    from roster_svc.domain.stations import Station, check_station

    today = D(2026, 11, 26)
    good = Station(
        "chengdong",
        registered_date=today,  # today is not the future
        registration_number="52320621MJ0000000X",
        legal_representative="workers/w1",
        office_area_m2=100.0,
        projects=["探访照料"],
    )
    check_station(good, today)
    bad = Station(
        "chengdong",
        registered_date=D(2026, 11, 27),
        registration_number="52320621MJ000000OX",  # O is not in the code's alphabet
        legal_representative="w1",
        office_area_m2=0.0,
        projects=[" "],
    )
    with pytest.raises(InvalidArgument) as info:
        check_station(bad, today)
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("station.registration.registered_date", "S1"),
        ("station.registration.registration_number", "S1"),
        ("station.registration.legal_representative", "S1"),
        ("station.office_area_square_metres", "S2"),
        ("station.projects", None),
    ]
    unnamed = Station("chengdong", registered_date=today)
    with pytest.raises(InvalidArgument) as missing:
        check_station(unnamed, today)
    assert [v.field for v in missing.value.violations] == [
        "station.registration.legal_representative"
    ]
    for area in (float("nan"), -1.0, 100_001.0):
        with pytest.raises(InvalidArgument):
            check_station(Station("chengdong", office_area_m2=area), today)
    check_station(Station("chengdong", office_area_m2=100_000.0), today)


def test_s2_the_city_summary_counts_each_have_and_each_timeliness() -> None:
    """Rule S2: three towns, counted by hand."""
    from roster_svc.domain.stations import (
        Compliance,
        Have,
        HaveCheck,
        HaveState,
        Station,
        Timeliness,
        summarise,
    )

    def town(tid: str, timeliness: Timeliness, staff: HaveState, rules: HaveState) -> Compliance:
        haves = tuple(
            HaveCheck(h, staff if h is Have.STAFF else rules if h is Have.RULES else HaveState.MET)
            for h in Have
        )
        return Compliance(Station(tid), D(2026, 11, 26), timeliness, haves)

    summary = summarise(
        [
            town("a", Timeliness.ON_TIME, HaveState.MET, HaveState.MET),
            town("b", Timeliness.LATE, HaveState.UNKNOWN, HaveState.MET),
            town("c", Timeliness.ON_TIME, HaveState.NOT_MET, HaveState.NOT_MET),
        ]
    )
    assert (summary.towns, summary.compliant) == (3, 1)
    assert summary.have_met[Have.STAFF] == 1 and summary.have_unknown[Have.STAFF] == 1
    assert summary.have_met[Have.RULES] == 2 and summary.have_unknown[Have.RULES] == 0
    assert summary.have_met[Have.PREMISES] == 3
    assert summary.timeliness == {
        Timeliness.PENDING: 0,
        Timeliness.OVERDUE: 0,
        Timeliness.ON_TIME: 2,
        Timeliness.LATE: 1,
    }


def test_r6_as_of_a_day_counts_a_spans_first_day_and_not_its_end() -> None:
    """Rule R6: moved to an institution on 1 March: dispersed on 28 February, not on 1 March."""
    from roster_svc.domain.persons import Span, as_of, spans

    history_ = spans(
        [(D(2026, 1, 1), PersonStatus.DISPERSED), (D(2026, 3, 1), PersonStatus.IN_INSTITUTION)],
        lambda e: e[0],
    )
    assert [s.end for s in history_] == [D(2026, 3, 1), None]

    def status(day: dt.date) -> PersonStatus | None:
        found = as_of(history_, day)
        return None if found is None else found[1]

    assert status(D(2025, 12, 31)) is None
    assert status(D(2026, 1, 1)) is PersonStatus.DISPERSED
    assert status(D(2026, 2, 28)) is PersonStatus.DISPERSED
    assert status(D(2026, 3, 1)) is PersonStatus.IN_INSTITUTION
    march = Span("x", D(2026, 3, 1), D(2026, 4, 1))
    assert not march.overlaps(D(2026, 2, 1), D(2026, 3, 1))  # February ends where March starts
    assert not march.overlaps(D(2026, 4, 1), D(2026, 5, 1))
    assert march.overlaps(D(2026, 3, 31), D(2026, 4, 1))
