"""The console's sentences: every `t("...")` of its scripts is a catalog msgid listed in
gateway/console/texts.py (so the catalog test asks for its Chinese), and the gateway serves
them in the reader's language. No browser, no stack."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import httpx

from gateway.app import create_app
from gateway.console.texts import TEXTS
from gateway.console.web import STATIC_DIR, messages
from sgz_runtime.config import Settings

#: t("...") with a literal first argument, as the scripts write every sentence.
_CALL = re.compile(r'\bt\(\s*"((?:[^"\\]|\\.)*)"')


def _sentences_of_the_scripts() -> set[str]:
    found: set[str] = set()
    for script in STATIC_DIR.rglob("*.js"):
        found.update(m.group(1).replace('\\"', '"') for m in _CALL.finditer(script.read_text()))
    return found


def test_every_sentence_of_the_scripts_is_in_the_list_and_nothing_else() -> None:
    listed = {text.msgid for text in TEXTS}
    used = _sentences_of_the_scripts()
    assert len(used) > 100  # the pattern still finds the calls
    assert sorted(used - listed) == [], "add these to gateway/console/texts.py and console.po"
    assert sorted(listed - used) == [], "no script uses these any more"


def test_no_script_builds_a_sentence_the_catalog_cannot_see() -> None:
    # t(variable) or t(`template`) would escape the extraction above.
    loose = [
        f"{script.name}: {m.group(0)}"
        for script in STATIC_DIR.rglob("*.js")
        for m in re.finditer(r"(?<!function )\bt\(\s*[^\s\")]", script.read_text())
    ]
    assert loose == []


def test_the_pages_read_chinese_from_the_catalog_and_english_on_request() -> None:
    zh = messages("zh-CN")
    assert zh["Save the visit"] == "保存探访记录"
    assert zh["Week {week}"] == "周次：{week}"  # placeholders left for the page to fill
    assert messages("en")["Save the visit"] == "Save the visit"


def test_the_gateway_serves_the_console_and_its_messages(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), backends=[])  # type: ignore[call-arg]

    async def check() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            page = await client.get("/")
            assert page.status_code == 200
            assert '<script type="module" src="/console/js/app.js">' in page.text
            script = await client.get("/console/js/app.js")
            assert script.status_code == 200
            assert "javascript" in script.headers["content-type"]
            assert (await client.get("/console/messages.json")).json()["Log in"] == "登录"
            english = await client.get("/console/messages.json", headers={"Accept-Language": "en"})
            assert english.json()["Log in"] == "Log in"
            listed = (await client.get("/console/operations.json")).json()
            assert listed == {"operations": {}, "bodies": {}}
            assert (await client.get("/console/nothing.js")).status_code == 404
            worker = await client.get("/sw.js")
            assert '"/console/pages/worker.js"' in worker.text  # kept for an offline start
            assert "/v1/" not in worker.text  # never the API
            gzip = {"Accept-Encoding": "gzip"}
            packed = await client.get("/console/pages/worker.js", headers=gzip)
            assert packed.headers["content-encoding"] == "gzip"  # small pages on a slow phone

    anyio.run(check)
