"""In a real browser (Playwright driving Debian's Chromium, 390 px wide): a worker signs in with the demo's code,
opens October, taps 投诉 and sends the complaint; an official of the labour inspection sees it with its screening.

Chromium comes from Debian (`apt-get install chromium`; `.ci/run` installs it under CI); never downloaded by
Playwright. Without it the test is skipped locally and fails under CI=true."""
import os
import re
import shutil

import pytest

from wageguard.complaints.models import Complaint
from wageguard.registry import services as registry_services
from tests.factories import Machine, api_client, punch, system_admin

pytestmark = pytest.mark.django_db(transaction=True)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PHONE = "13912345678"
OCTOBER = "2026-10"


@pytest.fixture
def chromium(monkeypatch):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread: Django would take the test's own ORM calls
    # for calls from async code. They are not (the live server answers in its own thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def test_a_worker_complains_from_a_phone_and_an_official_sees_the_screening(world, live_server, chromium):
    worker = registry_services.worker_set_contact(actor=system_admin(), worker=world.sub_worker_emp.worker, phone=PHONE)
    gate = Machine(*api_client(project_codes=[world.jinan_building.code]))
    records = []
    for day in (12, 13, 14):
        records += [punch(world.sub_worker_emp, at=f"{OCTOBER}-{day}T07:30:00+08:00", record_id=f"oct-{day}"),
                    punch(world.sub_worker_emp, at=f"{OCTOBER}-{day}T17:30:00+08:00", direction="out", record_id=f"oct-{day}-o")]
    assert gate.post("/api/v1/attendance/batches", {"batch_id": "october", "records": records}).status_code == 200

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{live_server.url}/login/worker/")
    page.fill("input[name=phone]", PHONE)
    page.click("button[value=send]")
    code = re.search(r"验证码为 (\d{6})", page.content()).group(1)
    page.fill("input[name=code]", code)
    page.click("button[value=verify]")
    page.wait_for_url(f"{live_server.url}/me/")
    page.goto(f"{live_server.url}/me/?month={OCTOBER}")
    assert page.locator("table.calendar td.on").count() == 3
    page.get_by_role("link", name="投诉").first.click()
    assert "900.00" in page.content()  # 3 days × 300, estimated from the contract
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_url(re.compile(r".*/complaints/\d+/$"))
    complaint = Complaint.objects.get(worker=worker)
    assert complaint.months == [OCTOBER] and complaint.screening[0]["verdict"] == "supported"
    assert page.viewport_size["width"] == 390 and "已提交" in page.content()

    desk = chromium.new_context(locale="zh-CN").new_page()
    desk.goto(f"{live_server.url}/login/")
    desk.fill("input[name=username]", world.users["hrss_jinan"].username)
    desk.fill("input[name=password]", "pw")
    desk.click("button[type=submit]")
    desk.goto(f"{live_server.url}/complaints/")
    desk.click(f"a[href='/complaints/{complaint.pk}/']")
    body = desk.content()
    assert "记录核对结果" in body and "记录支持" in body and "考勤3天" in body


def test_an_official_drills_down_from_the_province_to_a_city_on_the_map(world, live_server, chromium):
    """The statistics page draws the province's map; a click on 济南 opens the city, whose county outlines load."""
    from wageguard.stats import rollup

    rollup.rebuild()
    page = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.users["hrss_province"].username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/stats/")
    page.wait_for_selector("#stats-map canvas")
    page.get_by_role("link", name="济南市").first.click()  # the ranking's link, as the map's click does
    page.wait_for_url(re.compile(r".*region=370100.*"))
    with page.expect_response(re.compile(r".*/maps/counties/370100\.json$")) as county_map:
        page.reload()
    assert county_map.value.ok and "历下区" in page.content()
    page.wait_for_selector("#stats-map canvas")
