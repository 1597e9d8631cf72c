"""Towns and villages in bulk, matched by their statistical division codes (统计用区划代码):
9 digits for a town, 12 for a village (the town's 9 and 3 more). Importing the same file again
changes nothing; a batch with a bad row writes nothing and reports every problem at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from roster_svc.domain.places import (
    Town,
    TownKind,
    Village,
    VillageKind,
    check_town,
    check_village,
)
from roster_svc.service_layer.office import OfficeUnitOfWork
from roster_svc.service_layer.office_commands import ImportPlaces, PlaceRow
from sgz_runtime import names
from sgz_runtime.errors import InvalidArgument, PermissionDenied
from sgz_runtime.i18n import Text, as_text, tr
from sgz_runtime.identity import Caller, ScopeLevel

MAX_ROWS = 5000
_TOWN_CODE = re.compile(r"^\d{9}$")
_VILLAGE_CODE = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class PlaceProblem:
    row_number: int
    field: str
    reason: Text


@dataclass
class PlacesResult:
    towns_created: int = 0
    towns_updated: int = 0
    villages_created: int = 0
    villages_updated: int = 0
    unchanged: int = 0
    errors: list[PlaceProblem] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


def town_kind_of(display_name: str) -> TownKind:
    """街道 -> subdistrict, 区 -> district, otherwise a town (镇, 乡)."""
    name = display_name.strip()
    if name.endswith("街道") or name.endswith("办事处"):
        return TownKind.SUBDISTRICT
    if name.endswith("区"):
        return TownKind.DISTRICT
    return TownKind.TOWN


def village_kind_of(display_name: str) -> VillageKind:
    """社区 or 居委会 -> community, otherwise a village (村)."""
    name = display_name.strip()
    if name.endswith("社区") or name.endswith("居委会") or name.endswith("居民委员会"):
        return VillageKind.COMMUNITY
    return VillageKind.VILLAGE


def _town_of(code: str) -> str:
    return code[:9]


def import_places(cmd: ImportPlaces, uow: OfficeUnitOfWork, *, caller: Caller) -> PlacesResult:
    """Creates or updates every town and village of the rows, all or nothing."""
    if not cmd.rows:
        raise InvalidArgument.field("rows", tr("give at least one row: a town or a village"))
    if len(cmd.rows) > MAX_ROWS:
        raise InvalidArgument.field(
            "rows",
            tr(
                "has {count} rows: send at most {most} per call (sgz places import splits a file)",
                count=len(cmd.rows),
                most=MAX_ROWS,
            ),
        )
    if caller.scope_level not in (ScopeLevel.CITY, ScopeLevel.TOWN):
        raise PermissionDenied(
            tr("only the city or a town's staff load places: ask the station chief")
        )
    result = PlacesResult()
    problems = result.errors

    def bad(row: PlaceRow, field_name: str, reason: Text) -> None:
        problems.append(PlaceProblem(row.row_number, field_name, reason))

    towns_in_file: dict[str, PlaceRow] = {}
    villages_in_file: dict[str, PlaceRow] = {}
    for row in cmd.rows:
        code = row.administrative_code.strip()
        if not row.display_name.strip():
            bad(row, "display_name", tr("enter the place's name, e.g. 城东镇 or 新华村"))
        if _TOWN_CODE.match(code):
            if isinstance(row.kind, VillageKind):
                bad(
                    row,
                    "kind",
                    tr(
                        "a 9-digit code is a town's: give a town kind, or the "
                        "village's 12-digit code"
                    ),
                )
            seen = towns_in_file.setdefault(code, row)
        elif _VILLAGE_CODE.match(code):
            if isinstance(row.kind, TownKind):
                bad(
                    row,
                    "kind",
                    tr(
                        "a 12-digit code is a village's: give a village kind, or "
                        "the town's 9-digit code"
                    ),
                )
            seen = villages_in_file.setdefault(code, row)
        else:
            bad(
                row,
                "administrative_code",
                tr(
                    "enter the 9-digit code of a town or the 12-digit code of a village "
                    "(统计用区划代码), e.g. 320621100 or 320621100201"
                ),
            )
            continue
        if seen is not row:
            bad(
                row,
                "administrative_code",
                tr(
                    "{code} is also on row {other}: keep one row per place",
                    code=code,
                    other=seen.row_number,
                ),
            )
        if row.place_id:
            try:
                names.check_id("place_id", row.place_id)
            except InvalidArgument:
                bad(
                    row,
                    "place_id",
                    tr(
                        "use lowercase letters, digits and hyphens, starting with a letter, "
                        "or leave it empty"
                    ),
                )

    with uow:
        known_towns = uow.office.towns_by_code(sorted(towns_in_file))
        parents = sorted({_town_of(c) for c in villages_in_file} - set(towns_in_file))
        known_towns.update(uow.office.towns_by_code(parents))
        known_villages = uow.office.villages_by_code(sorted(villages_in_file))
        town_ids = sorted({t.id for t in known_towns.values()})
        all_towns = {t.id: t for t in uow.towns.list(None, 100_000)}
        by_name: dict[str, list[Town]] = {}
        for t in all_towns.values():
            by_name.setdefault(t.display_name.strip(), []).append(t)
        codeless: dict[tuple[str, str], Village] = {
            (v.town_id, v.display_name.strip()): v
            for v in uow.office.villages_of(town_ids)
            if not v.administrative_code
        }

        village_names: dict[str, str] = {}
        # Towns first: the villages hang from them.
        town_by_code: dict[str, Town] = dict(known_towns)
        for code, row in towns_in_file.items():
            kind = row.kind if isinstance(row.kind, TownKind) else town_kind_of(row.display_name)
            town = known_towns.get(code)
            if town is None:
                # A town made before the codes were known: the same name, no one else's code.
                same = by_name.get(row.display_name.strip(), [])
                if len(same) == 1 and not _TOWN_CODE.match(same[0].administrative_code):
                    town = same[0]
            if caller.scope_level is not ScopeLevel.CITY and (
                town is None or not caller.sees_town(town.name)
            ):
                bad(
                    row,
                    "administrative_code",
                    tr(
                        "only the city civil-affairs bureau adds towns: leave this row out, "
                        "or ask them to load it"
                    ),
                )
                continue
            if town is None:
                town_id = row.place_id or f"t{code}"
                if town_id in all_towns:
                    bad(
                        row,
                        "place_id",
                        tr("{name} is taken: give another id", name="towns/" + town_id),
                    )
                    continue
                town = Town(
                    id=town_id,
                    display_name=row.display_name.strip(),
                    administrative_code=code,
                    kind=kind,
                )
                _check(partial(check_town, town), row, problems)
                all_towns[town_id] = town
                if not cmd.validate_only:
                    uow.towns.add(town)
                result.towns_created += 1
            else:
                changed = (town.display_name, town.administrative_code, town.kind) != (
                    row.display_name.strip(),
                    code,
                    kind,
                )
                if changed and caller.scope_level is not ScopeLevel.CITY:
                    bad(
                        row,
                        "display_name",
                        tr(
                            "only the city civil-affairs bureau changes a town: leave the "
                            "row as the roster has it"
                        ),
                    )
                    continue
                if changed:
                    if not cmd.validate_only:
                        town.display_name = row.display_name.strip()
                        town.administrative_code = code
                        town.kind = kind
                    result.towns_updated += 1
                else:
                    result.unchanged += 1
            town_by_code[code] = town

        for code, row in villages_in_file.items():
            kind_v = (
                row.kind if isinstance(row.kind, VillageKind) else village_kind_of(row.display_name)
            )
            town = town_by_code.get(_town_of(code))
            if town is None:
                bad(
                    row,
                    "administrative_code",
                    tr(
                        "its town {town_code} is neither in the file nor on the roster: add the "
                        "town's row (its 9-digit code) to the file",
                        town_code=_town_of(code),
                    ),
                )
                continue
            if not caller.sees_town(town.name):
                bad(
                    row,
                    "administrative_code",
                    tr(
                        "{town} is not your town: load only your own town's villages",
                        town=town.display_name,
                    ),
                )
                continue
            village = known_villages.get(code) or codeless.get((town.id, row.display_name.strip()))
            if village is not None and village.town_id != town.id:
                bad(
                    row,
                    "administrative_code",
                    tr("the code belongs to a village of another town on the roster: check it"),
                )
                continue
            if village is None:
                village_id = row.place_id or f"v{code}"
                if uow.villages.get(town.id, village_id) is not None:
                    bad(
                        row,
                        "place_id",
                        tr(
                            "{name} is taken: give another id",
                            name=town.name + "/villages/" + village_id,
                        ),
                    )
                    continue
                village = Village(
                    town_id=town.id,
                    id=village_id,
                    display_name=row.display_name.strip(),
                    kind=kind_v,
                    contact_name=row.contact_name.strip(),
                    contact_phone=row.contact_phone.strip(),
                    administrative_code=code,
                )
                if _check(partial(check_village, village), row, problems) and not cmd.validate_only:
                    uow.villages.add(village)
                result.villages_created += 1
            else:
                wanted = Village(
                    town_id=town.id,
                    id=village.id,
                    display_name=row.display_name.strip(),
                    kind=kind_v,
                    contact_name=row.contact_name.strip() or village.contact_name,
                    contact_phone=row.contact_phone.strip() or village.contact_phone,
                    administrative_code=code,
                )
                if not _check(partial(check_village, wanted), row, problems):
                    continue
                now = (
                    village.display_name,
                    village.kind,
                    village.contact_name,
                    village.contact_phone,
                    village.administrative_code,
                )
                then = (
                    wanted.display_name,
                    wanted.kind,
                    wanted.contact_name,
                    wanted.contact_phone,
                    wanted.administrative_code,
                )
                if now != then:
                    if not cmd.validate_only:
                        village.display_name, village.kind = wanted.display_name, wanted.kind
                        village.contact_name = wanted.contact_name
                        village.contact_phone = wanted.contact_phone
                        village.administrative_code = code
                    result.villages_updated += 1
                else:
                    result.unchanged += 1
            village_names[code] = village.name

        if problems:
            # One problem per field of a row: the first found says what to do.
            first = {(p.row_number, p.field): p for p in reversed(problems)}
            return PlacesResult(errors=[first[k] for k in sorted(first)])
        if not cmd.validate_only:
            uow.commit()
    name_of = {code: t.name for code, t in town_by_code.items()}
    name_of.update({code: name for code, name in village_names.items()})
    result.places = [
        name_of[row.administrative_code.strip()]
        for row in cmd.rows
        if row.administrative_code.strip() in name_of
    ]
    return result


def _check(check: Callable[[], None], row: PlaceRow, problems: list[PlaceProblem]) -> bool:
    """Runs a domain check; its violations become the row's problems (field names of a row)."""
    try:
        check()
    except InvalidArgument as exc:
        for v in exc.violations:
            field_name = v.field.split(".", 1)[-1].replace("contact.phone", "contact_phone")
            problems.append(PlaceProblem(row.row_number, field_name, as_text(v.description)))
        return False
    return True
