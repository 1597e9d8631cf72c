"""The web console in a real headless Chromium against the whole stack as `sgz up` starts it:
a worker on a phone records visits (online and with the network cut), a chief reads the board,
the ledger and a person, and a worker is kept out of another town (rules V1-V7, R2).
Screenshots of every page are kept under var/test-artifacts/console-<db>/; every page passes
axe-core with no serious or critical finding."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e import console_browser as cb
from tests.e2e.conftest import RunningStack
from tests.e2e.console_city import City, bearer, build, fund_period, ok

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest) -> str:
    """The stack the pages run against: started here as `sgz up` starts it, or one already
    running at SGZ_CONSOLE_TEST_URL (with SGZ_GATEWAY_DEV_AUTH=1, while working on the pages)."""
    given = os.environ.get("SGZ_CONSOLE_TEST_URL")
    if given:
        return given.rstrip("/")
    stack: RunningStack = request.getfixturevalue("stack")
    return stack.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from cb.launch()


@pytest.fixture(scope="module")
def city(base_url: str, browser: Browser, pytestconfig: pytest.Config) -> Iterator[City]:
    shots = cb.fresh_shots()
    yield build(base_url)
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nconsole screenshots: {shots}")


def _worker_page(browser: Browser, base_url: str, city: City) -> Page:
    page = cb.new_context(browser, cb.PHONE).new_page()
    account = city.accounts["worker"] if city.accounts else None
    cb.sign_in(page, base_url, account, "station_worker", city.worker)
    if page.locator("#town-form").count():  # HR did not tell the worker's town: given once
        page.fill("#my-town", city.town)
        page.click("#town-form button[type=submit]")
        page.wait_for_selector("#todo, #done")
    return page


def _visits_of(base_url: str, person: str) -> list[dict[str, Any]]:
    with httpx.Client(base_url=base_url, timeout=15.0) as client:
        visits: list[dict[str, Any]] = ok(client.get("/v1/visits", params={"person": person}))[
            "visits"
        ]
        return visits


def _fill_visit(page: Page, problem: str, note: str) -> None:
    """Answers every check: `problem` has a problem with its note, the others are fine."""
    page.check(f"fieldset[data-check={problem}] input[value=CHECK_RESULT_PROBLEM]")
    page.fill(f"#{problem}-note", note)
    page.click("#all-fine")


def test_a_worker_records_an_unsafe_house_on_a_phone_and_sees_the_immediate_escalation(
    browser: Browser, base_url: str, city: City
) -> None:
    page = _worker_page(browser, base_url, city)
    cb.look(page, "01-worker-week")
    # Only the worker's pages are offered (the roles each RPC declares).
    assert page.locator("#nav a").all_inner_texts() == ["本周探访", "我的上报事项", "待发送"]
    todo = page.locator("#todo")
    assert todo.locator("li").count() == 3
    assert "李四" in todo.inner_text()
    todo.locator(f"li[data-person='{city.persons['李四']}'] a.button").click()
    page.wait_for_selector("#visit-form")
    _fill_visit(page, "houseSafety", "房屋漏雨，墙体开裂")
    # Rules V4, V6: shown before saving: a move to an institution, contact immediately, 2 hours.
    preview = page.locator("#escalation-preview")
    assert "转入集中供养机构" in preview.inner_text()
    assert "立即" in preview.inner_text()
    cb.look(page, "02-worker-visit-form")
    page.click("#save-visit")
    page.wait_for_selector("#visit-recorded")
    opened = page.locator("#opened-escalations li")
    assert opened.count() == 1
    assert opened.first.get_attribute("data-urgency") == "URGENCY_IMMEDIATE"
    text = opened.first.inner_text()
    assert "转入集中供养机构" in text and "联系村（社区）时限" in text
    cb.look(page, "03-worker-visit-recorded")
    assert len(_visits_of(base_url, city.persons["李四"])) == 1
    page.goto(base_url + "/#/my-escalations")
    page.wait_for_selector("#my-escalations")
    assert "下一步：联系村（社区）民政工作人员" in page.inner_text("#my-escalations")
    cb.look(page, "04-worker-my-escalations")
    # The next step from the phone: the village contact notified (rules V4, V6).
    page.locator("#my-escalations details summary").first.click()
    page.locator("#my-escalations input[type=text]").first.fill("村民政专干 周红")
    page.locator("#my-escalations form button[type=submit]").first.click()
    page.wait_for_selector("#my-escalations >> text=已联系村（社区）")
    assert "下一步：请村（社区）安排处置" in page.inner_text("#my-escalations")
    page.click("#logout")  # the session ends cleanly: back to the login, nothing kept
    page.wait_for_selector("#login-form")
    assert page.evaluate("() => localStorage.getItem('sgz.session')") is None
    page.context.close()


def test_a_visit_made_without_a_connection_is_kept_and_recorded_once_when_it_returns(
    browser: Browser, base_url: str, city: City
) -> None:
    page = _worker_page(browser, base_url, city)
    person = city.persons["张三"]
    page.locator(f"#todo li[data-person='{person}'] a.button").click()
    page.wait_for_selector("#visit-form")
    page.context.set_offline(True)  # the signal is lost in the village
    _fill_visit(page, "houseSafety", "屋顶塌了一角")
    page.click("#save-visit")
    page.wait_for_selector("#visit-kept")
    assert "立即" in page.inner_text("main")  # the escalation it will open, shown offline too
    cb.shot(page, "05-worker-visit-kept-offline")
    page.goto(base_url + "/#/outbox")
    page.wait_for_selector("#waiting li")
    kept = page.evaluate(
        """() => new Promise((resolve) => {
             const open = indexedDB.open("sgz-console");
             open.onsuccess = () => {
               const get = open.result.transaction("outbox").objectStore("outbox").getAll();
               get.onsuccess = () => resolve(get.result);
             };
           })"""
    )
    assert len(kept) == 1 and kept[0]["visit"]["person"] == person
    assert "离线" in page.inner_text("#net")
    cb.look(page, "06-worker-waiting-to-be-sent")
    assert _visits_of(base_url, person) == []
    page.context.set_offline(False)  # back in range: sent by itself
    page.wait_for_selector("#nothing-waiting")
    cb.look(page, "07-worker-sent")
    (visit,) = _visits_of(base_url, person)
    # The answer could have been lost on the way back: the phone sends the same request again.
    with httpx.Client(base_url=base_url, timeout=15.0) as client:
        headers = bearer(client, city.accounts["worker"]) if city.accounts else {}
        shape = ok(client.get("/console/operations.json"))["bodies"]["VisitService_CreateVisit"]
        request_id, body = kept[0]["requestId"], kept[0]["visit"]
        again = ok(
            client.post(
                "/v1/visits", json={"visit": body, "requestId": request_id}, headers=headers
            )
            if shape == "*"
            else client.post(
                "/v1/visits", params={"requestId": request_id}, json=body, headers=headers
            )
        )
    assert again["name"] == visit["name"]
    assert [v["name"] for v in _visits_of(base_url, person)] == [visit["name"]]
    # The next morning, still without a signal: the console opens from the phone (service worker).
    ready = "() => Promise.race([navigator.serviceWorker.ready.then(() => true),"
    ready += " new Promise((resolve) => setTimeout(() => resolve(false), 15000))])"
    assert page.evaluate(ready), "the service worker did not start"
    page.context.set_offline(True)
    page.goto(base_url + "/#/week")
    opened = page.reload()  # the page itself fetched again, without a network
    assert opened is not None and opened.from_service_worker
    page.wait_for_selector("#todo, #done")
    assert "无网络连接：显示本机保存的名单" in page.inner_text("main")
    cb.look(page, "08-worker-opened-offline")
    page.context.set_offline(False)
    page.context.close()


def test_the_chief_sees_the_escalation_on_the_board_the_ledger_and_the_person(
    browser: Browser, base_url: str, city: City
) -> None:
    if not _visits_of(base_url, city.persons["李四"]):
        pytest.skip("needs the worker's visit of the first test")
    page = cb.new_context(browser, cb.DESK).new_page()
    account = city.accounts["chief"] if city.accounts else None
    cb.sign_in(page, base_url, account, "station_chief", city.town)
    page.goto(base_url + "/#/board")
    page.wait_for_selector("#column-notified")
    notified = page.locator("#column-notified").inner_text()
    assert "李四" in notified and "立即" in notified
    cb.look(page, "09-chief-board")
    # The village arranged the move: the chief records it from the board (rule V4).
    card = page.locator("#column-notified li", has_text="李四")
    card.locator("summary").click()
    card.locator("form button[type=submit]").click()
    page.wait_for_selector("#column-arranged li >> text=李四")
    assert "下一步：记录协助办理手续情况" in page.inner_text("#column-arranged")
    page.goto(base_url + "/#/dashboard")
    page.wait_for_selector("#charts figure")
    assert page.locator("#charts svg.chart").count() == 2  # coverage, response times
    assert page.inner_text("#overdue") != ""
    cb.look(page, "10-chief-dashboard")
    page.goto(base_url + "/#/ledger")
    page.wait_for_selector("#ledger")
    page.click("#verify-ledger")
    page.wait_for_selector("#verification p")
    assert "台账校验通过" in page.inner_text("#verification")
    with page.expect_download() as download:
        page.click("#export-ledger")
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith('"台账序号"')
    assert city.persons["李四"] in exported
    cb.look(page, "11-chief-ledger")
    page.goto(base_url + f"/#/person/{city.persons['李四']}")
    page.wait_for_selector("#id-masked")
    masked = page.inner_text("#id-masked")
    assert "*" in masked and masked.startswith("320621")  # rule R2: the number is never shown
    assert "李四" in page.inner_text("#person-escalations")  # the open escalation, one call
    cb.look(page, "12-chief-person")
    for route, marker, name in (
        ("hr", "#staffing", "15-chief-hr"),
        ("pay", "#pay-period", "16-chief-pay"),
        ("finance", "#period", "17-chief-finance"),
    ):
        page.goto(base_url + f"/#/{route}")
        cb.ready(page, route)
        if page.locator("#nav a[href='#/" + route + "']").count():
            page.wait_for_selector(marker)
            cb.look(page, name)
    page.context.close()


def test_a_worker_cannot_open_a_person_of_another_town(
    browser: Browser, base_url: str, city: City
) -> None:
    if city.accounts is None:
        pytest.skip("the gateway has no login yet: its development caller sees every town")
    page = _worker_page(browser, base_url, city)
    page.goto(base_url + f"/#/person/{city.other_person}")
    page.wait_for_selector("#person-refused")
    assert "周六" not in page.inner_text("main")
    cb.look(page, "13-worker-other-town-refused")
    page.context.close()


def test_finance_tries_to_close_a_period_with_a_balance_and_reads_the_refusal(
    browser: Browser, base_url: str, city: City
) -> None:
    if city.accounts is None:
        pytest.skip("the gateway has no login yet: finance needs two officers (rule F1)")
    with httpx.Client(base_url=base_url, timeout=15.0) as client:
        if (
            ok(client.get("/console/operations.json"))["operations"].get(
                "FinanceService_ClosePeriod"
            )
            is None
        ):
            pytest.skip("finance has not landed")
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()  # China Standard Time
    period = f"{today.year}H{1 if today.month <= 6 else 2}"  # the page opens on this half
    amount = fund_period(base_url, city, period)
    assert amount == 3 * 6 * 15000  # rule F2: three self-care persons, six months, 150.00 each
    page = cb.new_context(browser, cb.DESK).new_page()
    cb.sign_in(page, base_url, city.accounts["finance"], "", "")
    page.goto(base_url + "/#/finance")
    page.wait_for_selector("#town-picker")
    page.select_option("#town-picker", city.town)
    page.wait_for_selector("#close-period")
    assert page.input_value("#period") == period
    assert page.inner_text("#station-balance") == "¥2700.00"
    with cb.kept_on_failure(page, "14-finance-close"):
        page.click("#close-period")
        page.wait_for_selector("#close-refused")
    refusal = page.inner_text("#close-refused")
    # Rule F4: a period closes only at a zero balance; the refusal says how much is left.
    assert "不能结账" in refusal and "F4" in refusal and "2700.00" in refusal
    cb.look(page, "14-finance-close-refused")
    page.context.close()


def test_the_pages_count_weeks_money_and_deadlines_as_the_services_do(
    browser: Browser, base_url: str
) -> None:
    """The console's own arithmetic, with answers worked out by hand (rules V1, V3-V6, F2)."""
    page = cb.new_context(browser, cb.PHONE).new_page()
    page.goto(base_url + "/console/")
    found = page.evaluate(
        """async () => {
          const time = await import('/console/js/time.js');
          const policy = await import('/console/js/policy.js');
          const money = await import('/console/pages/services.js');
          const rules = [
            {finding: 'CHECK_ITEM_RESIDENCE_HYGIENE', urgency: 'URGENCY_PROMPT',
             action: 'ESCALATION_ACTION_CLEANING', contactWithin: '86400s',
             actionWithin: '259200s'},
            {finding: 'CHECK_ITEM_HOUSE_SAFETY', urgency: 'URGENCY_IMMEDIATE',
             action: 'ESCALATION_ACTION_INSTITUTION_ADMISSION', contactWithin: '7200s',
             actionWithin: '604800s', assistanceRequired: true},
            {finding: 'CHECK_ITEM_REGULAR_DIET', urgency: 'URGENCY_PROMPT',
             action: 'ESCALATION_ACTION_INSTITUTION_ADMISSION', contactWithin: '86400s',
             actionWithin: '1209600s'},
          ];
          const opens = policy.preview({rules},
            ['CHECK_ITEM_REGULAR_DIET', 'CHECK_ITEM_HOUSE_SAFETY', 'CHECK_ITEM_RESIDENCE_HYGIENE'],
            new Date('2026-11-26T02:00:00Z'));
          return {
            sundayNight: time.isoWeek(new Date('2026-11-29T15:30:00Z')),
            mondayMorning: time.isoWeek(new Date('2026-11-29T16:30:00Z')),
            newYear: time.isoWeek(new Date('2027-01-01T04:00:00Z')),
            opens: opens.map((e) => [e.action, e.urgency, e.contactDeadline.toISOString(),
                                     e.actionDeadline.toISOString(), e.assistanceRequired]),
            fen: [money.fenOf('700'), money.fenOf('700.1'), money.fenOf('0.05'),
                  money.fenOf('1.005'), money.fenOf('-1')],
            yuan: [money.yuan({fen: '70010'}), money.yuan({fen: '-5'}), money.yuan(undefined)],
          };
        }"""
    )
    # V1: ISO weeks in China Standard Time: Sunday 23:30 CST is still 2026-W48.
    assert found["sundayNight"] == "2026-W48"
    assert found["mondayMorning"] == "2026-W49"
    assert found["newYear"] == "2026-W53"
    # V3-V6: one escalation per action; the institution takes the immediate urgency and the
    # tightest deadlines of its two findings (2 h and 7 days from 10:00 CST on 26 November).
    assert found["opens"] == [
        [
            "ESCALATION_ACTION_INSTITUTION_ADMISSION",
            "URGENCY_IMMEDIATE",
            "2026-11-26T04:00:00.000Z",
            "2026-12-03T02:00:00.000Z",
            True,
        ],
        [
            "ESCALATION_ACTION_CLEANING",
            "URGENCY_PROMPT",
            "2026-11-27T02:00:00.000Z",
            "2026-11-29T02:00:00.000Z",
            False,
        ],
    ]
    # Money is integer fen: never a float, never a third decimal.
    assert found["fen"] == [{"fen": "70000"}, {"fen": "70010"}, {"fen": "5"}, None, None]
    assert found["yuan"] == ["¥700.10", "-¥0.05", "¥0.00"]
    page.context.close()
