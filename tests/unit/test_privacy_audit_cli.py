"""`sgz audit list` (issue 11 item 4): the auditor reads both trails through the gateway, page by
page, and is told, with exit code 2, when a chain does not hold."""

from __future__ import annotations

import json

import httpx
import pytest
import typer
from typer.testing import CliRunner

from sgz_cli import audit, login
from sgz_runtime.i18n import use_locale

# The sub-app as `sgz` mounts it (sgz_cli/main.py).
app = typer.Typer()
app.add_typer(audit.app, name="audit")

ENTRY = {
    "sequence": "1",
    "createTime": "2026-11-20T08:00:00Z",
    "actor": "users/chief",
    "role": "station_chief",
    "action": "id_number_revealed",
    "resource": "persons/7",
    "purpose": "核对补贴发放",
}


def _gateway(holds: dict[str, bool]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        service = request.url.path.split("/")[2]
        token = request.url.params.get("pageToken", "")
        page: dict[str, object] = {
            "auditEntries": [{**ENTRY, "sequence": "2" if token else "1"}],
            "nextPageToken": "" if token else "next",
            "verification": {"holds": holds[service], "entriesChecked": "2"}
            if holds[service]
            else {"holds": False, "firstBrokenSequence": "2", "problem": "changed"},
        }
        return httpx.Response(200, text=json.dumps(page))

    return httpx.MockTransport(answer)


def test_list_reads_both_trails_page_by_page(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = _gateway({"roster": True, "visit": True})
    monkeypatch.setattr(
        login, "client", lambda gateway=None: httpx.Client(base_url="http://g", transport=transport)
    )
    with use_locale("en"):
        result = CliRunner().invoke(app, ["audit", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "roster: the chain holds (2 entries checked)" in result.output
    assert "visit: the chain holds" in result.output
    assert "核对补贴发放" in result.output


def test_a_chain_that_does_not_hold_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = _gateway({"roster": False, "visit": True})
    monkeypatch.setattr(
        login, "client", lambda gateway=None: httpx.Client(base_url="http://g", transport=transport)
    )
    with use_locale("en"):
        result = CliRunner().invoke(app, ["audit", "list", "--service", "roster"])
    assert result.exit_code == 2, result.output
    assert "does not hold from entry 2: changed" in result.output


def test_entries_stop_at_the_limit() -> None:
    transport = _gateway({"roster": True, "visit": True})
    with httpx.Client(base_url="http://g", transport=transport) as client:
        found, verification = audit.entries(client, "roster", {}, 1)
    assert [e["sequence"] for e in found] == ["1"] and verification["holds"]
