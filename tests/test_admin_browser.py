"""The supervisor page in a real browser (Debian's Chromium, headless): log in by name, read the chart, unlock a number, find a call, page back, pick dates, read the audit log, log out."""

import base64
import datetime
import os
import pathlib
import shutil
import threading

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from app.storage import records, sends
from tests.conftest import CALLER

PASSWORD = "correct horse battery"
# Where the screenshots go: docs/ refreshes the README's (ADMIN_SCREENSHOTS=docs), a temporary folder otherwise.
SCREENSHOTS = os.environ.get("ADMIN_SCREENSHOTS")
DESKTOP, PHONE = (1280, 800), (390, 844)

# A day of calls: (hours ago, what the caller does), each from a number of its own.
DAY = [
    (23, "verified"), (21, "verified"), (20, "wrong then right"), (18, "verified"), (17, "silent"),
    (15, "verified"), (14, "verified"), (13, "always wrong"), (12, "verified"), (11, "verified"),
    (10, "wrong then right"), (9, "verified"), (8, "verified"), (7, "silent"), (6, "verified"),
    (5, "verified"), (4, "verified"), (3, "always wrong"), (2, "verified"), (1.5, "verified"),
]
ATTESTATIONS = ["TN-Validation-Passed-A", "TN-Validation-Passed-A", "TN-Validation-Passed-B", "No-TN-Validation", ""]


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium through chromium-driver; skipped where they are not installed, failed under CI."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (browser and driver):
        message = "Chromium is not installed: apt-get install chromium chromium-driver (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
    yield session
    session.quit()


@pytest.fixture
def clock(monkeypatch):
    """The database's clock, `clock.hours_ago` behind the real one: a day of calls placed in a moment."""

    class Clock:
        hours_ago = 0.0

        def __call__(self):
            return real() - datetime.timedelta(hours=self.hours_ago)

    real = records.now
    clock = Clock()
    monkeypatch.setattr(records, "now", clock)
    monkeypatch.setattr(sends, "now", clock)
    return clock


@pytest.fixture
def served(make_app):
    """The app with the page on, served over HTTP on 127.0.0.1 as `flask run` serves it."""
    app = make_app(ADMIN_PASSWORD_HASH=generate_password_hash(PASSWORD), LOCKOUT_MAX_FAILURES=2)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def a_day_of_calls(call, app, clock):
    """The day above, then a caller who fails twice within the hour and is locked out."""
    for index, (hours_ago, behaviour) in enumerate(DAY):
        clock.hours_ago = hours_ago
        verstat = ATTESTATIONS[index % len(ATTESTATIONS)]
        caller = call(from_=f"+141555501{index:02d}", target=app, params={"StirVerstat": verstat} if verstat else {})
        clock.hours_ago -= (20 + 3 * index) / 3600  # the time the caller takes to key the code in
        keys = {"verified": [caller.last_code], "wrong then right": ["000000", caller.last_code], "silent": ["", "", ""], "always wrong": ["000000"] * 3}
        for key in keys[behaviour]:
            caller.press(key)
    clock.hours_ago = 0.5
    for _ in range(2):
        caller = call(from_=CALLER, target=app)
        for _ in range(3):
            caller.press("000000")
        assert caller.heard("not right too many times")
    clock.hours_ago = 0
    assert call(target=app).heard("cannot send it another code")


def screenshot(chromium, name, size, tmp_path):
    """Save the whole page as a screen of `size` shows it; True if it fits that width without scrolling sideways."""
    width, height = size
    chromium.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    fits = chromium.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    full = chromium.execute_script("return document.documentElement.scrollHeight")
    shot = chromium.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": width, "height": max(height, full), "scale": 1}},
    )
    folder = pathlib.Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"admin-{name}.png").write_bytes(base64.b64decode(shot["data"]))
    chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return fits


def submit(chromium, button):
    """Press a form's button and wait for the page it leads to: a click returns before the browser has followed it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # A mark on the page before the click: the new page has none. (Asking the old page's nodes if
    # they are stale races with the navigation: Chromium may answer with an error of its own.)
    chromium.execute_script("window.beforeSubmit = true")
    chromium.find_element(By.CSS_SELECTOR, button).click()
    WebDriverWait(chromium, 120).until(new_page_loaded, f"{button} led to no new, loaded page in 120 s")


def new_page_loaded(chromium):
    """True once the browser shows a page without the mark submit() left, finished loading."""
    from selenium.common.exceptions import WebDriverException

    try:
        return chromium.execute_script("return window.beforeSubmit === undefined && document.readyState === 'complete'")
    except WebDriverException:  # the old page is going: asked again at the next poll
        return False


def test_a_supervisor_logs_in_reads_the_chart_unlocks_a_number_and_logs_out(chromium, served, call, clock, tmp_path):
    from selenium.webdriver.common.by import By

    app, url = served
    a_day_of_calls(call, app, clock)
    added = app.test_cli_runner().invoke(args=["admin", "add-user", "alice", "--password", "alice's long password"])
    assert added.exit_code == 0, added.output

    chromium.set_window_size(*DESKTOP)
    chromium.get(url + "/admin/?period=7d")
    assert chromium.current_url == url + "/admin/login"
    assert screenshot(chromium, "login-phone", PHONE, tmp_path)
    chromium.find_element(By.ID, "username").send_keys("alice")
    chromium.find_element(By.ID, "password").send_keys("alice's long password")
    submit(chromium, "form.login button")

    assert chromium.current_url == url + "/admin/"
    chromium.find_element(By.CSS_SELECTOR, "#period option[value='7d']").click()
    submit(chromium, "form.period button")
    assert chromium.current_url == url + "/admin/?period=7d"
    # The 20 calls of the day, the 2 that failed within the hour and the locked one: 16 of 23 verified.
    assert chromium.find_element(By.ID, "total").text == "23"
    assert chromium.find_element(By.ID, "success-rate").text == "70 %"
    bars = chromium.find_elements(By.CSS_SELECTOR, "#chart rect")
    assert {bar.get_attribute("class") for bar in bars} == {"bar-approved", "bar-failed"}
    # The stylesheet loaded under the page's Content-Security-Policy: the bars are drawn in colour.
    assert bars[0].value_of_css_property("fill") != "rgb(0, 0, 0)"
    assert "TN-Validation-Passed-B" in chromium.find_element(By.ID, "attestations").text
    assert "no input" in chromium.find_element(By.ID, "reasons").text
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#locked tbody tr")) == 1
    assert "+1•••••••71" in chromium.find_element(By.ID, "locked").text
    assert CALLER.lstrip("+") not in chromium.page_source
    # 23 verifications: the 20 latest, then the 3 oldest a page back.
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#recent tbody tr")) == 20
    submit(chromium, "#older")
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#recent tbody tr")) == 3
    assert "+1•••••••00" in chromium.find_element(By.ID, "recent").text  # the day's first call
    submit(chromium, "#newer")

    chromium.find_element(By.CSS_SELECTOR, "#period option[value='24h']").click()
    submit(chromium, "form.period button")
    assert screenshot(chromium, "desktop", DESKTOP, tmp_path)
    assert screenshot(chromium, "phone", PHONE, tmp_path)

    submit(chromium, "#locked button.unlock")
    assert "Lockout lifted." in chromium.find_element(By.CSS_SELECTOR, ".notice").text
    assert chromium.find_element(By.ID, "none-locked").is_displayed()
    assert call(target=app).heard("sent a text message")
    latest = chromium.find_elements(By.CSS_SELECTOR, "#audit tbody tr")[0].text
    assert "alice" in latest and "unlock" in latest and "+1•••••••71" in latest

    # A whole number is not sent: the page's address would hold it.
    chromium.find_element(By.ID, "q").send_keys(CALLER)
    chromium.find_element(By.CSS_SELECTOR, "form.search button").click()
    assert chromium.execute_script("return document.getElementById('q').validity.patternMismatch")
    assert CALLER.lstrip("+") not in chromium.current_url
    chromium.find_element(By.ID, "q").clear()

    # Find the locked number's calls by its last digits, then one of them by its CallSid.
    chromium.find_element(By.ID, "q").send_keys("0171")
    submit(chromium, "form.search button")
    found = chromium.find_elements(By.CSS_SELECTOR, "#recent tbody tr")
    assert found and all("+1•••••••71" in row.text for row in found)
    assert screenshot(chromium, "search-phone", PHONE, tmp_path)
    sid = found[0].find_element(By.CSS_SELECTOR, ".sid").get_attribute("textContent")
    search = chromium.find_element(By.ID, "q")
    search.clear()
    search.send_keys(sid)
    submit(chromium, "form.search button")
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#recent tbody tr")) == 1

    # A day with no call: nothing in the chart, nothing listed.
    chromium.execute_script("document.getElementById('from').value = '2026-01-01'; document.getElementById('to').value = '2026-01-01'")
    submit(chromium, "#dates button")
    assert chromium.find_element(By.ID, "total").text == "0"
    assert chromium.find_elements(By.CSS_SELECTOR, "#chart rect") == []

    submit(chromium, "form.logout button")
    assert chromium.current_url == url + "/admin/login"
    chromium.get(url + "/admin/")
    assert chromium.current_url == url + "/admin/login"
    refused = [entry["message"] for entry in chromium.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert refused == []
