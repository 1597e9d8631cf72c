"""`sgz hr renewals -o FILE.xlsx`: the report's rows under Chinese headers (rules H7, H8)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from sgz_cli import hr

REPORT = {
    "parent": "towns/chengdong",
    "rows": [
        {
            "worker": "workers/w1",
            "displayName": "王芳",
            "town": "towns/chengdong",
            "contract": "workers/w1/contracts/c1",
            "endDate": {"year": 2026, "month": 6, "day": 30},
            "eligibility": "ELIGIBILITY_NOT_ELIGIBLE",
            "reasons": [
                {"code": "NO_CERTIFICATE", "rule": "H7", "blocking": True, "message": "无证书"},
                {"code": "TRAINING_SHORT", "rule": "H9", "message": "培训不足"},
            ],
            "assessmentYear": 2025,
            "trainingTenthHours": 275,
        }
    ],
    "warnings": [
        {
            "worker": "workers/w2",
            "displayName": "李四",
            "town": "towns/chengdong",
            "contract": "workers/w2/contracts/c2",
            "endDate": {"year": 2026, "month": 8, "day": 31},
            "message": "尚未取得证书",
        }
    ],
}


def test_renewals_xlsx_has_chinese_headers_and_every_reason(tmp_path: Path) -> None:
    path = tmp_path / "renewals.xlsx"
    assert hr.write_xlsx(REPORT, path) == 1
    book = openpyxl.load_workbook(path)
    rows = list(book["续签资格"].iter_rows(values_only=True))
    assert rows == [
        (
            "镇（街道）", "工作人员", "姓名", "合同", "合同到期日", "续签资格", "考核年度", "证书",
            "培训学时", "须签无固定期限合同", "原因",
        ),
        (
            "towns/chengdong", "workers/w1", "王芳", "workers/w1/contracts/c1", "2026-06-30",
            "不符合续签条件", "2025", "无", "27.5", "否", "无证书；培训不足",
        ),
    ]  # fmt: skip
    warnings = list(book["到期预警"].iter_rows(values_only=True))
    assert warnings[1] == (
        "towns/chengdong", "workers/w2", "李四", "workers/w2/contracts/c2", "2026-08-31",
        "尚未取得证书",
    )  # fmt: skip
