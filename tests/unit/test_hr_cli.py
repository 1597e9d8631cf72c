"""`sgz hr renewals -o FILE.xlsx`: the report's rows under Chinese headers (rules H7, H8)."""

from __future__ import annotations

import re
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


def test_the_help_of_login_accounts_finance_and_hr_is_chinese_by_default() -> None:
    # Help is rendered when the commands are defined, so each is read from a fresh process
    # on a wide terminal (rich cuts help short to fit a narrow one).
    import os
    import subprocess
    import sys

    def help_of(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "SGZ_LANG"}
        found = subprocess.run(
            [sys.executable, "-m", "sgz_cli", *args, "--help"],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": "300"},
        )
        assert found.returncode == 0, found.stderr
        # Compare the text without the frame rich draws around it.
        return re.sub(r"[\s│]+", "", found.stdout)

    top = help_of()
    assert "登录网关，并保存会话供其他sgz命令使用。" in top
    assert "账号：谁可以使用sgz，以何种角色、在何种范围内使用。" in top
    assert "人事：续签资格与人员配备。" in top
    assert "Logintothegateway" not in top
    assert "在此日期之前到期的合同（YYYY-MM-DD）。" in help_of("hr", "renewals")
    assert "乡镇：towns/{town}或其编号。" in help_of("finance", "close")
    assert "你的用户名。" in help_of("login")
    assert "towns/{t}（镇级角色）" in help_of("accounts", "create")


def test_the_help_is_english_with_the_global_lang_option() -> None:
    import os
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "sgz_cli", "--lang", "en", "hr", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**{k: v for k, v in os.environ.items() if k != "SGZ_LANG"}, "COLUMNS": "300"},
    ).stdout
    assert "HR (人事): renewal eligibility and staffing." in shown
    assert "staffing" in shown and "人事：续签资格与人员配备。" not in shown
