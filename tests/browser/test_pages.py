"""The pages in a real browser, in the order a new installation meets them: first run with the
setup code, connection test (wrong token, then right), library, save, first scan with its
progress, then the dashboard, Run now, the webhook URL, settings errors, near-miss review,
sign-in with Plex (owner and shared user) and the local form; an accessibility check and a
screenshot of every page. The whole module runs at ``/`` and under Home Assistant's ingress
prefix (see ``conftest.py``)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

ADMIN, PASSWORD = "admin", "a long enough password"
NEAR_MISS = ("The Clockwork Orchard", "Imogen Saltmarsh")
BOOKS = 120 + 1


def test_first_run_from_an_empty_data_directory(page, site):
    site.plex.catalogue.add_album(*NEAR_MISS, "Nell Barrow")
    page.goto(site.url("/"))
    expect(page).to_have_url(re.compile(re.escape(site.url("/setup"))))
    site.shoot(page, "setup-code")
    site.axe(page, "setup-code")

    page.get_by_label("Setup code").fill("WRONG-CODE-0000")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create admin").click()
    expect(page.locator("#setup_code-error")).to_contain_text("not the code")

    page.get_by_label("Setup code").fill(site.setup_code())
    page.get_by_role("button", name="Create admin").click()
    expect(page.get_by_label("Plex server URL")).to_be_visible()

    save = page.get_by_role("button", name="Save")
    # the owner's own servers, from plex.tv, with their connections tried
    page.get_by_text("Pick one of my Plex servers").click()
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Find my servers").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    popup.get_by_label("Account").select_option("owner")
    popup.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name=re.compile(r"^Use Simulated Plex")).click()
    expect(page.get_by_label("Plex server URL")).to_have_value(site.plex.url)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#server-info")).to_contain_text("Connected to")
    site.shoot(page, "setup-my-servers")

    page.get_by_label("Plex server URL").fill(site.plex.url)
    page.get_by_label("Plex token").fill("not-the-token")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#plex_token-error")).to_contain_text("refused")
    expect(save).to_be_disabled()
    site.shoot(page, "setup-wrong-token")

    page.get_by_label("Plex token").fill(site.plex.token)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#server-info")).to_contain_text("Connected to")
    expect(page.locator("#plex_token-error")).to_be_empty()
    library = page.get_by_label("Audiobook library")
    expect(library).to_be_enabled()
    option = library.locator("option", has_text=f"({BOOKS} books)")
    library.select_option(option.get_attribute("value"))
    expect(save).to_be_enabled()
    page.get_by_label("Plex token").fill(site.plex.token + "x")      # changed after the test: test again
    expect(save).to_be_disabled()
    page.get_by_label("Plex token").fill(site.plex.token)
    expect(save).to_be_enabled()
    site.axe(page, "setup-connect")
    site.shoot(page, "setup-connect")
    save.click()

    start = page.get_by_role("button", name="Start the first scan")
    expect(start).to_be_visible()
    site.plex.set_failure("slow", path="/library/sections", seconds=0.1)      # a scan long enough to watch
    try:
        start.click()
        page.wait_for_function("() => { const p = document.getElementById('scan-progress');"
                               " return p.value > 0 && p.value < 100; }", timeout=15_000)
        expect(page.locator("#scan-status")).to_contain_text("albums listed")
        site.shoot(page, "setup-scan-progress")
        expect(page.locator("#scan-status")).to_contain_text("Done", timeout=30_000)
    finally:
        site.plex.clear_failures()
    expect(page.get_by_label("Scan progress")).to_have_attribute("value", "100")

    page.get_by_role("link", name="Go to the dashboard").click()
    expect(page).to_have_url(site.url("/"))
    expect(page.locator("#library-count")).to_contain_text(f"{BOOKS} books in the library")


def test_dashboard_run_now_and_webhook_url(page, site):
    page.goto(site.url("/"))
    expect(page.locator("#plex-state")).to_contain_text("Answering since")
    runs_before = site.api().get(site.origin + "/api/v1/jobs/runs").json()["total"]
    page.get_by_role("button", name="Run now: Recently-added poll").click()
    expect(page.locator("#flash")).to_contain_text("queued")
    assert site.api().get(site.origin + "/api/v1/jobs/runs").json()["total"] == runs_before + 1

    url = page.get_by_label("Webhook URL")
    expect(url).to_have_value(re.compile(r"/webhooks/plex/browser-secret$"))
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url.input_value()
    expect(page.locator("#diagnosis")).to_contain_text("No webhook has arrived yet")
    site.axe(page, "dashboard")
    site.shoot(page, "dashboard")


def test_settings_error_next_to_its_field(page, site):
    page.goto(site.url("/settings"))
    field = page.get_by_label("Scan page size")
    expect(field).to_have_value("25")
    expect(field).to_have_attribute("readonly", "")         # PLEXBOOKS_SCAN_PAGE_SIZE is set
    expect(page.locator("#scan_page_size-source")).to_contain_text("PLEXBOOKS_SCAN_PAGE_SIZE")
    expect(page.get_by_label("Plex token")).to_have_value("")  # write-only
    page.get_by_label("Recent overlap minutes").fill("many")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#recent_overlap_minutes-error")).to_contain_text("invalid literal")
    expect(page.get_by_label("Recent overlap minutes")).to_have_attribute("aria-invalid", "true")
    site.shoot(page, "settings-error")
    page.get_by_label("Recent overlap minutes").fill("15")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#flash")).to_contain_text("Settings saved")
    assert site.api().get(site.origin + "/api/v1/config").json()["settings"]["recent_overlap_minutes"]["value"] == 15
    site.axe(page, "settings")


def _near_miss_request(site, title: str) -> int:
    created = site.api().post(site.origin + "/api/v1/requests",
                              json={"title": title, "author": NEAR_MISS[1], "status": "failed"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_accept_and_reject_a_near_miss(page, site):
    api = site.api()
    accepted = _near_miss_request(site, "Clockwork Orchard and Other Tales")
    rejected = _near_miss_request(site, "The Clockwork Orchard Companion")

    page.goto(site.url(f"/requests/{accepted}"))
    expect(page.locator("#match-text")).to_contain_text("Not in the library yet")
    site.axe(page, "request-detail")
    site.shoot(page, "request-detail")
    page.get_by_role("button", name=f"Accept “{NEAR_MISS[0]}”").click()
    expect(page.locator("#match-text")).to_contain_text("an admin linked it by hand")
    body = api.get(site.origin + f"/api/v1/requests/{accepted}").json()
    assert body["status"] == "available" and body["match"]["reason"] == "manual"
    assert body["library_item"]["title"] == NEAR_MISS[0]

    page.goto(site.url(f"/requests/{rejected}"))
    row = page.locator("#candidates tr", has_text=NEAR_MISS[0])
    expect(row).to_have_count(1)
    item_id = row.get_attribute("data-item")
    page.get_by_role("button", name=f"Reject “{NEAR_MISS[0]}”").click()
    expect(page.locator("#flash")).to_contain_text("not be proposed again")
    expect(row).to_have_count(0)
    items = api.get(site.origin + f"/api/v1/requests/{rejected}/candidates?limit=50").json()["items"]
    assert int(item_id) not in [c["library_item"]["id"] for c in items]

    page.goto(site.url("/requests"))
    expect(page.get_by_role("link", name="Clockwork Orchard and Other Tales")).to_be_visible()
    page.get_by_label("Status").select_option("available")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#requests tr")).to_have_count(1)
    site.axe(page, "requests")
    site.shoot(page, "requests")


def test_library_search_and_covers(page, site):
    page.goto(site.url("/library"))
    expect(page.locator("#library-total")).to_contain_text(f"{BOOKS} books")
    page.get_by_label("Search the library").fill("Clockwork Orchard")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#library-total")).to_contain_text("1 book matching")
    cover = page.locator(".book img").first
    expect(cover).to_have_attribute("src", re.compile(re.escape(site.prefix + "/api/v1/library/")))
    page.wait_for_function("() => { const i = document.querySelector('.book img');"
                           " return i.complete && i.naturalWidth > 0; }")
    site.axe(page, "library")
    site.shoot(page, "library")


def test_users_page(page, site):
    page.goto(site.url("/users"))
    expect(page.locator("#users")).to_contain_text(ADMIN)
    site.axe(page, "users")
    site.shoot(page, "users")


def _plex_sign_in(browser, site, account: str):
    context = site.new_context(browser)
    page = context.new_page()
    page.goto(site.url("/"))
    expect(page).to_have_url(re.compile(re.escape(site.url("/sign-in"))))
    with page.expect_popup() as popup_info:
        page.get_by_role("button", name="Sign in with Plex").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    popup.get_by_label("Account").select_option(account)
    popup.get_by_role("button", name="Sign in", exact=True).click()
    return context, page


def test_sign_in_with_plex_as_owner_and_as_shared_user(browser, site):
    before = len(site.violations)
    context, page = _plex_sign_in(browser, site, "owner")
    try:
        expect(page).to_have_url(site.url("/"), timeout=15_000)
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")).to_be_visible()
        expect(page.locator(".who")).to_contain_text("(admin)")
    finally:
        context.close()

    context, page = _plex_sign_in(browser, site, "reader")
    try:
        expect(page).to_have_url(site.url("/library"), timeout=15_000)
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="My requests")).to_be_visible()
        expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
        expect(page.locator(".who")).to_contain_text("reader (user)")
        page.goto(site.url("/settings"))                      # not for requesters
        expect(page).to_have_url(site.url("/library"))
        page.goto(site.url("/ratings"))
        expect(page.get_by_role("heading", name="My ratings")).to_be_visible()
        page.wait_for_load_state("networkidle")
        site.axe(page, "ratings")
        site.shoot(page, "ratings")
        page.goto(site.url("/requests"))
        expect(page.get_by_role("heading", name="My requests")).to_be_visible()
        expect(page.locator("#requests tr")).to_have_count(0)  # the admin's requests are not theirs
    finally:
        context.close()
    assert site.violations[before:] == []


def test_local_sign_in_with_the_keyboard(browser, site):
    before = len(site.violations)
    context = site.new_context(browser)
    page = context.new_page()
    try:
        page.goto(site.url("/settings"))
        expect(page).to_have_url(re.compile(re.escape(site.url("/sign-in"))))
        site.axe(page, "sign-in")
        site.shoot(page, "sign-in")
        page.get_by_label("Username").focus()
        page.keyboard.type(ADMIN)
        page.keyboard.press("Tab")
        page.keyboard.type("wrong password!")
        page.keyboard.press("Enter")
        expect(page.locator("#local-error")).to_contain_text("Wrong username or password")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        expect(page).to_have_url(site.url("/settings"))
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(re.escape(site.url("/sign-in"))))
    finally:
        context.close()
    assert site.violations[before:] == []
