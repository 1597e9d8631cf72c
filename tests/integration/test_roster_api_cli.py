"""The `sgz` command against a running roster and gateway (uvicorn on a free port, SQLite or
PostgreSQL): places imported from a file and again with nothing changed, a roster file whose
villages are named by code, a problem every row has said once with what to do, an export read
back cell by cell; Chinese by default, English with `sgz --lang en`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import uvicorn
from typer.testing import CliRunner

from gateway.app import create_app
from roster_svc.app import build
from sgz_cli.main import app
from sgz_runtime.i18n import bind_locale

TOWN = "towns/t320621100"
#: Valid resident ID numbers (rule R2): weighted sums 140 and 159 give check digits 4 and 7.
IDS = ("320621194001010014", "320621194102020027")
PLACES = (
    "区划代码,名称,类型,联系人,联系电话\n"
    "320621100,城东镇,镇,,\n"
    "320621100201,新华村,村,王主任,13812345678\n"
    "320621100202,东风村,,,\n"
)


@pytest.fixture
def gateway(start_service: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server, _channel = start_service("roster", build)
    config = uvicorn.Config(
        create_app(settings.model_copy(update={"roster_port": server.port})),
        host="127.0.0.1",
        port=0,
        log_config=None,
    )
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not http.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = http.servers[0].sockets[0].getsockname()[1]
    # No saved session: the test gateway lets such calls in as its development caller.
    monkeypatch.setenv("SGZ_CLI_CREDENTIALS", str(settings.data_dir / "none.json"))
    yield f"http://127.0.0.1:{port}"
    http.should_exit = True
    thread.join(10)
    bind_locale(None)


def _sgz(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _flat(text: str) -> str:
    """The output without the line breaks and spaces a terminal's width put in."""
    return "".join(text.split())


def test_places_are_imported_from_a_file_and_again_with_nothing_changed(
    gateway: str, tmp_path: Path
) -> None:
    places = tmp_path / "places.csv"
    places.write_text(PLACES, encoding="utf-8")
    first = _sgz("places", "import", str(places), "--gateway", gateway)
    assert first.exit_code == 0, first.output
    assert _flat("新增乡镇 1 个、村（社区）2 个，更新 0 个，0 个无变化") in _flat(first.output)
    again = _sgz("--lang", "en", "places", "import", str(places), "--gateway", gateway)
    assert again.exit_code == 0, again.output
    assert _flat("0 town(s) and 0 village(s) created, 0 updated, 3 unchanged") in _flat(
        again.output
    )


def test_a_roster_file_names_villages_by_code_and_is_exported_again(
    gateway: str, tmp_path: Path
) -> None:
    places = tmp_path / "places.csv"
    places.write_text(PLACES, encoding="utf-8")
    assert _sgz("places", "import", str(places), "--gateway", gateway).exit_code == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "姓名,身份证号,村（社区）,联系电话\n"
        f"李秀英,{IDS[0]},320621100201,13812345678\n"
        f"张建国,{IDS[1]},东风村,\n",
        encoding="utf-8",
    )
    imported = _sgz("roster", "import", str(roster), "--town", TOWN, "--gateway", gateway)
    assert imported.exit_code == 0, imported.output
    assert _flat("共 2 行：新增 2 人，更新 0 人，0 人无变化") in _flat(imported.output)
    out = tmp_path / "out.xlsx"
    exported = _sgz(
        "roster", "export", "--town", TOWN, "-o", str(out), "--purpose", "年度复核",
        "--gateway", gateway,
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert _flat(f"已将 2 人写入 {out}") in _flat(exported.output)
    rows = list(openpyxl.load_workbook(out)["花名册"].iter_rows(values_only=True))
    assert rows[0][:5] == ("姓名", "身份证号", "村（社区）", "地址", "联系电话")
    assert sorted(r[:5] for r in rows[1:]) == [
        ("张建国", IDS[1], "东风村", None, None),
        ("李秀英", IDS[0], "新华村", None, "13812345678"),
    ]
    # As CSV, the export imports back with nothing changed.
    again = tmp_path / "again.csv"
    assert (
        _sgz("roster", "export", "--town", TOWN, "-o", str(again), "--gateway", gateway).exit_code
        == 0
    )
    assert (
        again.read_text(encoding="utf-8-sig").splitlines()[0].startswith("姓名,身份证号,村（社区）")
    )
    back = _sgz("roster", "import", str(again), "--town", TOWN, "--gateway", gateway)
    assert back.exit_code == 0, back.output
    assert _flat("共 2 行：新增 0 人，更新 0 人，2 人无变化") in _flat(back.output)


def test_a_problem_every_row_has_is_said_once_with_what_to_do(gateway: str, tmp_path: Path) -> None:
    places = tmp_path / "places.csv"
    places.write_text(PLACES.splitlines()[0] + "\n320621100,城东镇,镇,,\n", encoding="utf-8")
    assert _sgz("places", "import", str(places), "--gateway", gateway).exit_code == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"姓名,身份证号,村（社区）\n李秀英,{IDS[0]},新华村\n张建国,{IDS[1]},新华村\n",
        encoding="utf-8",
    )
    refused = _sgz("roster", "import", str(roster), "--town", TOWN, "--gateway", gateway)
    assert refused.exit_code == 1
    assert _flat(refused.output).count("全部2个有误的行") == 1
    assert _flat("处理办法：请先导入乡镇和村（社区）（sgz places import") in _flat(refused.output)
    assert _flat("未导入任何内容：2 行有误") in _flat(refused.output)


def test_the_help_is_chinese_by_default() -> None:
    shown = _sgz("--help")
    assert _flat("乡镇社会工作服务站") in _flat(shown.output)
    assert _flat("花名册：导入、导出乡镇的花名册文件。") in _flat(shown.output)


def test_the_gateways_answers_come_in_the_language_asked_for(gateway: str, tmp_path: Path) -> None:
    """`sgz --lang en` sends Accept-Language: the roster's reasons come back in English."""
    places = tmp_path / "places.csv"
    places.write_text("区划代码,名称\n3206211,城东镇\n", encoding="utf-8")
    chinese = _sgz("places", "import", str(places), "--gateway", gateway)
    english = _sgz("--lang", "en", "places", "import", str(places), "--gateway", gateway)
    assert chinese.exit_code == english.exit_code == 1
    assert _flat("请填写乡镇的 9 位或村（社区）的 12 位统计用区划代码") in _flat(chinese.output)
    assert _flat("enter the 9-digit code of a town or the 12-digit code") in _flat(english.output)
