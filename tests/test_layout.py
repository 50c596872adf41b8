"""The layout on a phone (390×844) and a desktop: the navbar folds into a menu button on a phone instead of taking a
third of the screen, the administrator's pages sit under one "Quản trị" menu, and no page scrolls sideways. Headless
Chromium; screenshots in TDKT_SHOTS."""
import os

from tests.test_browser import live, login, page  # noqa: F401  (fixtures)

SHOTS = os.environ.get("TDKT_SHOTS", "/tmp/tdkt-shots")
PAGES = ("/", "/cases", "/campaigns", "/awards", "/notifications", "/tokens")


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_on_a_phone_the_navbar_folds_and_no_page_scrolls_sideways(page):  # noqa: F811
    os.makedirs(SHOTS, exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "vks-qb-dong-hoi.canbo")
    for path in PAGES:
        page.goto(page.base + path)
        assert page.locator("nav.navbar").bounding_box()["height"] < 80, path
        assert sideways(page) <= 0, f"{path} scrolls sideways by {sideways(page)}px"
    page.goto(page.base + "/cases")
    assert not page.locator("#main-nav a:has-text('Hồ sơ')").is_visible()
    assert page.locator("nav .bell").is_visible()  # the bell stays outside the menu
    page.click("button.navbar-toggler")
    page.locator("#main-nav a:has-text('Hồ sơ')").wait_for(state="visible")
    page.wait_for_selector("#main-nav.collapse.show")  # the opening animation has ended
    page.screenshot(path=f"{SHOTS}/navbar-open-390.png")
    page.click("#main-nav a:has-text('Phong trào')")
    page.wait_for_url("**/campaigns")


def test_every_page_names_its_icon_so_browsers_ask_for_no_missing_favicon(page):  # noqa: F811
    missing = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    login(page, "vks-qb-dong-hoi.canbo")
    page.goto(page.base + "/cases")
    assert page.locator('link[rel="icon"]').get_attribute("href").endswith("/static/favicon.svg")
    assert missing == []


def test_on_a_desktop_the_administrators_pages_are_under_one_menu(page):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, "admin")
    page.screenshot(path=f"{SHOTS}/navbar-admin-closed-1366.png")
    assert page.locator("nav.navbar").bounding_box()["height"] < 80  # one line
    assert not page.locator(".dropdown-menu a:has-text('Vai trò')").is_visible()
    page.click("nav a.dropdown-toggle:has-text('Quản trị')")
    page.click(".dropdown-menu a:has-text('Vai trò')")
    page.wait_for_url("**/admin/roles")
    page.screenshot(path=f"{SHOTS}/navbar-admin-1366.png")
