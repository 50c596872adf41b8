"""A process owner's work in a real browser (Debian's Chromium through Playwright, under the app's CSP): the form
editor beside the diagram on wide screens and under it on phones. Screenshots go to /tmp/shots-owner/."""
from pathlib import Path

from tests.test_browser import live, login, page  # noqa: F401  (fixtures)

SHOTS = Path("/tmp/shots-owner")
PID = "tdkt_nomination"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def box(page, selector) -> dict:
    return page.locator(selector).bounding_box()


def open_form_of(page, width, height, task="record_minutes"):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{page.base}/processes/{PID}/edit")
    page.wait_for_selector(f'.djs-element[data-element-id="{task}"]')
    page.wait_for_selector("#process-editor[data-save-state]")
    page.evaluate(f"window.tdktModeler.get('selection').select("
                  f"window.tdktModeler.get('elementRegistry').get('{task}'))")
    page.wait_for_selector('.form-editor[data-preview="ready"]')


def test_the_form_editor_sits_beside_the_diagram_on_wide_screens_and_under_it_on_phones(page):
    login(page, "quytrinh")
    open_form_of(page, 1366, 900)
    diagram, form = box(page, ".editor-layout"), box(page, ".form-editor")
    assert form["x"] >= diagram["x"] + diagram["width"] - 1  # to the right of the diagram and its panel…
    assert abs(form["y"] - diagram["y"]) < 2  # …on the same row
    assert diagram["width"] >= 700, diagram  # the diagram keeps room to work in
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing scrolls sideways
    code, preview = box(page, ".form-code"), box(page, ".form-preview")
    assert preview["y"] > code["y"]  # in the side pane the preview comes under the code
    shot(page, "form-editor-1366")

    open_form_of(page, 390, 844)
    diagram, form = box(page, ".editor-layout"), box(page, ".form-editor")
    assert form["y"] >= diagram["y"] + diagram["height"] - 1  # stacked under the diagram
    assert form["width"] <= 390 and page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".form-editor").scroll_into_view_if_needed()
    shot(page, "form-editor-390")

    # without a form to edit, the diagram takes the whole width again
    page.set_viewport_size({"width": 1366, "height": 900})
    page.evaluate("window.tdktModeler.get('selection').select("
                  "window.tdktModeler.get('elementRegistry').get('determine_level'))")
    page.wait_for_selector(".form-editor", state="hidden")
    assert box(page, ".editor-layout")["width"] > 1200
