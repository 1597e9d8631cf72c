"""A generated, realistic Jiangsu roster for the import benchmark: towns with their villages,
and persons with valid resident ID numbers (real Jiangsu county codes, GB 11643 check digits),
Chinese names, addresses, phones and self-care answers. Seeded: every run makes the same data."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Real county-level address codes of Jiangsu (GB/T 2260), a retired one (320621) included.
COUNTIES: dict[str, str] = {
    "320102": "玄武区", "320104": "秦淮区", "320105": "建邺区", "320106": "鼓楼区",
    "320111": "浦口区", "320113": "栖霞区", "320114": "雨花台区", "320115": "江宁区",
    "320116": "六合区", "320117": "溧水区", "320118": "高淳区", "320205": "锡山区",
    "320206": "惠山区", "320211": "滨湖区", "320213": "梁溪区", "320214": "新吴区",
    "320281": "江阴市", "320282": "宜兴市", "320302": "鼓楼区", "320303": "云龙区",
    "320305": "贾汪区", "320311": "泉山区", "320312": "铜山区", "320321": "丰县",
    "320322": "沛县", "320324": "睢宁县", "320381": "新沂市", "320382": "邳州市",
    "320402": "天宁区", "320404": "钟楼区", "320411": "新北区", "320412": "武进区",
    "320413": "金坛区", "320481": "溧阳市", "320505": "虎丘区", "320506": "吴中区",
    "320507": "相城区", "320508": "姑苏区", "320509": "吴江区", "320581": "常熟市",
    "320582": "张家港市", "320583": "昆山市", "320585": "太仓市", "320612": "通州区",
    "320613": "崇川区", "320614": "海门区", "320621": "海安县", "320623": "如东县",
    "320681": "启东市", "320682": "如皋市", "320685": "海安市", "320703": "连云区",
    "320706": "海州区", "320707": "赣榆区", "320722": "东海县", "320723": "灌云县",
    "320724": "灌南县", "320803": "淮安区", "320804": "淮阴区", "320812": "清江浦区",
    "320813": "洪泽区", "320826": "涟水县", "320830": "盱眙县", "320831": "金湖县",
    "320902": "亭湖区", "320903": "盐都区", "320904": "大丰区", "320921": "响水县",
    "320922": "滨海县", "320923": "阜宁县", "320924": "射阳县", "320925": "建湖县",
    "320981": "东台市", "321002": "广陵区", "321003": "邗江区", "321012": "江都区",
    "321023": "宝应县", "321081": "仪征市", "321084": "高邮市", "321102": "京口区",
    "321111": "润州区", "321112": "丹徒区", "321181": "丹阳市", "321182": "扬中市",
    "321183": "句容市", "321202": "海陵区", "321203": "高港区", "321204": "姜堰区",
    "321281": "兴化市", "321282": "靖江市", "321283": "泰兴市", "321302": "宿城区",
    "321311": "宿豫区", "321322": "沭阳县", "321323": "泗阳县", "321324": "泗洪县",
}  # fmt: skip

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
_GIVEN = "秀英桂兰玉珍凤芳淑华美云花梅莲翠琴玉兰德明建国志强永福宝根金山海林文春生荣祥发贵庆有才忠義仁长顺正平和成友家红英德兴"  # noqa: E501
_PLACE = "东西南北新中大小高长青白黄红金石马王李张周刘陈杨朱徐孙胡何沙桥河湾港塘湖庄集店坝墩圩沟庙楼园营堡岗坪浦泾渡"  # noqa: E501
_ASSESSORS = (
    "江苏省民康社会工作服务中心",
    "南通市爱德社会工作服务社",
    "如皋市惠民养老服务评估中心",
    "苏州市社会福利评估所",
    "徐州市康宁第三方评估中心",
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Mainland mobile prefixes in use (13x, 147, 15x, 166, 17x, 18x, 19x).
_MOBILE_PREFIXES = tuple(
    f"1{d}"
    for d in (
        *range(30, 40), 47, *(50, 51, 52, 53, 55, 56, 57, 58, 59), 66,
        *(70, 71, 72, 73, 75, 76, 77, 78), *range(80, 90), *(90, 91, 93, 95, 96, 97, 98, 99),
    )
)  # fmt: skip

#: The header of a city-wide file, as towns write it.
HEADER = (
    "乡镇（街道）", "姓名", "身份证号", "村（社区）", "地址", "联系电话",
    "自主吃饭", "自主穿衣", "自主上下床", "自主如厕", "室内自主行走", "自主洗澡",
    "评估机构", "评估日期",
)  # fmt: skip


def check_digit(first17: str) -> str:
    """GB 11643-1999, rule R2: "10X98765432"[sum(a_i * w_i) mod 11]."""
    return "10X98765432"[sum(int(a) * w for a, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class TownSpec:
    id: str
    code: str
    display_name: str
    county_code: str
    villages: tuple[tuple[str, str], ...]  # (id, display name)


def _place_name(rng: random.Random) -> str:
    return "".join(rng.choice(_PLACE) for _ in range(2))


def towns(count: int = 1240, villages: int = 21000, seed: int = 11643) -> list[TownSpec]:
    """`count` towns spread over the Jiangsu counties, `villages` villages among them."""
    rng = random.Random(seed)
    counties = list(COUNTIES)
    made: list[TownSpec] = []
    codes: set[str] = set()
    per_town = [villages // count + (1 if i < villages % count else 0) for i in range(count)]
    for i in range(count):
        county = counties[i % len(counties)]
        code = county
        while code in codes or code in COUNTIES:
            code = f"32{rng.randrange(10000):04d}"
        codes.add(code)
        kind = rng.choices(("镇", "街道", "乡"), (70, 25, 5))[0]
        town_name = f"{_place_name(rng)}{kind}"
        names: set[str] = set()
        village_list = []
        for v in range(per_town[i]):
            name = f"{_place_name(rng)}{rng.choices(('村', '社区'), (80, 20))[0]}"
            while name in names:
                name = f"{_place_name(rng)}{'村'}"
            names.add(name)
            village_list.append((f"v{v:03d}", name))
        made.append(TownSpec(f"t{i:04d}", code, town_name, county, tuple(village_list)))
    return made


def persons(
    specs: list[TownSpec], count: int = 150_000, seed: int = 2022
) -> Iterator[tuple[str, ...]]:
    """`count` rows in HEADER's order, each with a unique valid ID number."""
    rng = random.Random(seed)
    counties = list(COUNTIES)
    seen: set[str] = set()
    start = dt.date(1930, 1, 1).toordinal()
    span = dt.date(1975, 12, 31).toordinal() - start
    for n in range(count):
        town = specs[n * len(specs) // count]
        _village_id, village = rng.choice(town.villages)
        county = town.county_code if rng.random() < 0.92 else rng.choice(counties)
        while True:
            born = dt.date.fromordinal(start + rng.randrange(span))
            first17 = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
            number = first17 + check_digit(first17)
            if number not in seen:
                seen.add(number)
                break
        name = rng.choice(_SURNAMES) + "".join(
            rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2)))
        )
        address = f"{COUNTIES[town.county_code]}{town.display_name}{village}{rng.randrange(1, 20)}组{rng.randrange(1, 80)}号"  # noqa: E501
        roll = rng.random()
        if roll < 0.7:
            phone = f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        elif roll < 0.8:
            phone = f"0513-{rng.randrange(8, 9)}{rng.randrange(10**7):07d}"
        else:
            phone = ""
        if rng.random() < 0.6:
            able = rng.random() < 0.7
            answers = tuple("是" if (able or rng.random() < 0.5) else "否" for _ in range(6))
            assessor = rng.choice(_ASSESSORS)
            when = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        else:
            answers, assessor, when = ("",) * 6, "", ""
        yield (town.code, name, number, village, address, phone, *answers, assessor, when)


def write_csv(path: Path, rows: Iterator[tuple[str, ...]], *, bom: bool = True) -> int:
    written = 0
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for row in rows:
            out.writerow(row)
            written += 1
    return written


def write_xlsx(path: Path, rows: Iterator[tuple[str, ...]]) -> int:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    sheet.write_row(0, 0, HEADER)
    written = 0
    for written, row in enumerate(rows, start=1):
        sheet.write_row(written, 0, row)
    book.close()
    return written
