"""Statistical division codes (统计用区划代码), written out: 6 digits for the county-level city,
9 for a town (the county's 6 + 3), 12 for a village (the town's 9 + 3)."""

#: 海安县, a retired county code still valid as an ID address prefix (rule R2).
COUNTY_HAIAN = "320621"
#: Two towns of that one county.
CHENGDONG = "320621100"
XICHENG_SAME_COUNTY = "320621101"
#: A village of CHENGDONG.
XINHUA_VILLAGE = "320621100201"
