"""A small bundled table of address codes (GB/T 2260) for rule R2's "unknown code warns" check.

No maintained list of the codes is on PyPI (the packages there stopped in 2015-2020 or are
unofficial forks), so the roster carries what it needs: every province, the prefectures of
Jiangsu, and the county-level codes of Nantong, retired ones included (a retired code stays a
valid prefix of IDs issued before it was retired).
"""

from __future__ import annotations

#: Province-level codes (first two digits).
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip

#: Prefecture-level codes of Jiangsu (first four digits).
JIANGSU_PREFECTURES: dict[str, str] = {
    "3201": "南京市", "3202": "无锡市", "3203": "徐州市", "3204": "常州市", "3205": "苏州市",
    "3206": "南通市", "3207": "连云港市", "3208": "淮安市", "3209": "盐城市", "3210": "扬州市",
    "3211": "镇江市", "3212": "泰州市", "3213": "宿迁市",
}  # fmt: skip

#: County-level codes of Nantong, the city's prefecture, retired ones included.
NANTONG_COUNTIES: dict[str, str] = {
    "320601": "市辖区", "320602": "崇川区", "320611": "港闸区（已撤销）", "320612": "通州区",
    "320613": "崇川区", "320614": "海门区", "320621": "海安县（已撤销）", "320623": "如东县",
    "320681": "启东市", "320682": "如皋市", "320683": "通州市（已撤销）",
    "320684": "海门市（已撤销）", "320685": "海安市",
}  # fmt: skip


def address_code_warning(code: str) -> str | None:
    """Why a 6-digit address code is not recognised, or None when it is. Never refuses (R2)."""
    if code[:2] not in PROVINCES:
        return f"address code {code}: {code[:2]} is not a known province code"
    if code[:2] != "32":
        return None
    if code[:4] not in JIANGSU_PREFECTURES:
        return f"address code {code}: {code[:4]} is not a known Jiangsu prefecture code"
    if code[:4] == "3206" and code not in NANTONG_COUNTIES:
        return f"address code {code} is not a known Nantong county code"
    return None
