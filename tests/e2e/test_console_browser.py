"""The console and the public forms in a real browser (Chromium, headless, no JavaScript
needed by the pages): a report reaches the queue and is decided, an appeal is overturned by
another reviewer, a claim shows as taken, and child-safety cases stay with child-safety
reviewers. Screenshots of the main pages go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from policywarden.store.ledger import SubjectKey
from review_fixtures import PASSWORD

CASE_LINK = re.compile(r"^#\d+$")
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name)"""


@pytest.fixture
def new_page(browser, site):
    contexts = []

    def make() -> Page:
        ctx = browser.new_context(base_url=site.url, viewport={"width": 1200, "height": 800})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def log_in(page: Page, name: str) -> None:
    """With the keyboard alone: the username field has focus, Tab reaches the password, Enter sends."""
    page.goto("/console/login")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/queue$"))


def labelled(page: Page) -> None:
    assert page.evaluate(UNLABELLED) == []


def test_a_report_filed_in_the_public_form_reaches_the_queue_and_a_reviewer_claims_and_decides_it(site, new_page, shoot):
    project = site.services.tenants.create_project("acme", "ticket bot")
    reporter = new_page()
    reporter.goto("/report")
    labelled(reporter)
    reporter.get_by_label("An account or an app").check()
    reporter.get_by_label("Link or identifier").fill("acme ticket bot")
    reporter.get_by_label("Which part of the usage policy does it break?").select_option("empower.fraud")
    reporter.get_by_label("The content, if you can copy it (optional)").fill(
        "Tickets for tonight, pay by wire to jane.roe@example.com, no refunds")
    reporter.get_by_label("What happened? (optional)").fill("It sells tickets that do not exist.")
    reporter.get_by_label("How can we reach you? (optional)").fill("reporter@example.org")
    shoot(reporter, "report-form")
    reporter.get_by_role("button", name="Send report").click()
    expect(reporter.get_by_role("heading", name=re.compile("your report is received"))).to_be_visible()
    reference = reporter.locator("#reference").inner_text()
    assert re.fullmatch(r"pwr_[A-Za-z0-9_-]{22}", reference)
    shoot(reporter, "report-filed")
    reporter.get_by_role("link", name="See the status of this report").click()
    expect(reporter.locator("#report-status")).to_have_text("Received: it is waiting for a reviewer.")

    ann = new_page()
    log_in(ann, "ann")
    row = ann.get_by_role("row").filter(has_text="Misuse report")
    expect(row).to_contain_text("empower.fraud")
    expect(row).to_contain_text("Free")
    shoot(ann, "queue")
    row.get_by_role("link", name=CASE_LINK).click()
    ann.get_by_role("button", name="Claim this case").click()
    expect(ann.get_by_role("status")).to_have_text("You have claimed this case.")
    expect(ann.locator("#claim-status")).to_contain_text("Claimed by ann")
    # Content stays out of the page until the reviewer asks for it.
    expect(ann.locator("#content-hidden")).to_be_visible()
    assert "Tickets for tonight" not in ann.content()
    shoot(ann, "case-content-hidden")
    ann.get_by_role("button", name="Reveal content").click()
    expect(ann.locator("figure.content").first).to_be_visible()
    page_text = ann.content()
    assert "Tickets for tonight" in page_text and "jane.roe@example.com" not in page_text and "[email]" in page_text
    shoot(ann, "case-content-revealed")
    labelled(ann)

    # The decision, with the keyboard, in the page's focus order.
    ann.get_by_label("Violation: record it against the account named").focus()
    ann.keyboard.press("Space")
    for field, keys in (("category", None), ("subject", f"project:{project.id}"), ("reason", "Sells tickets that do not exist.")):
        ann.keyboard.press("Tab")
        if field == "category":  # Tab from a radio group moves past the group, to the next field
            expect(ann.locator("#category")).to_be_focused()
            continue
        expect(ann.locator(f"#{field}")).to_be_focused()
        ann.keyboard.type(keys)
    ann.keyboard.press("Tab")
    expect(ann.get_by_role("button", name="Record decision")).to_be_focused()
    ann.keyboard.press("Enter")
    expect(ann.get_by_role("status")).to_have_text("Decision recorded and carried out.")
    expect(ann.locator("#decision")).to_contain_text("person:ann")
    shoot(ann, "case-decided")

    reporter.reload()
    expect(reporter.locator("#report-status")).to_have_text("Action taken: the report was upheld.")
    shoot(reporter, "report-status")
    record = site.services.ledger.subject_record(SubjectKey("project", project.id, str(project.id)))
    assert [v["source"] for v in record["violations"]] == ["report"]
    ann.goto("/console/decisions")
    expect(ann.get_by_role("row").filter(has_text="Misuse report")).to_contain_text("person:ann")
    shoot(ann, "decision-log")


def test_an_account_appeals_and_another_reviewer_overturns(site, new_page, shoot):
    project = site.services.tenants.create_project("globex", "essay helper")
    subject = SubjectKey("project", project.id, str(project.id))
    action = site.services.ledger.act(subject, "suspend", "person:ann", "essays sold as the student's own work")
    notice = next(n for n in site.notices("action.created") if n["id"] == action["id"])

    appellant = new_page()
    appellant.goto(notice["appeal"]["path"])  # the link from the action's notice
    expect(appellant.get_by_role("heading", name="Appeal a suspension")).to_be_visible()
    labelled(appellant)
    appellant.get_by_label("Why do you think this decision is wrong?").fill(
        "We sell tutoring, not essays. Our terms forbid submitting our drafts as coursework.")
    appellant.get_by_role("button", name="Send appeal").click()
    expect(appellant.locator("#appeal-status")).to_have_text("Received: it is waiting for a reviewer.")
    shoot(appellant, "appeal-filed")

    ann = new_page()
    log_in(ann, "ann")
    ann.get_by_role("row").filter(has_text="Appeal").get_by_role("link", name=CASE_LINK).click()
    expect(ann.locator("#why-not")).to_have_text(
        "You took part in the decision under appeal: another reviewer must take this case.")
    expect(ann.get_by_role("button", name="Claim this case")).to_have_count(0)

    bob = new_page()
    log_in(bob, "bob")
    bob.get_by_role("row").filter(has_text="Appeal").get_by_role("link", name=CASE_LINK).click()
    bob.get_by_role("button", name="Claim this case").click()
    bob.get_by_role("button", name="Reveal content").click()
    expect(bob.locator("figure.content")).to_contain_text("We sell tutoring")
    bob.get_by_label("Overturn: lift the action and void its strike").check()
    bob.get_by_label("Policy category the decision rests on").select_option("empower.academic_dishonesty")
    bob.get_by_label("Reason (recorded with the decision)").fill("Tutoring service; no violation.")
    shoot(bob, "appeal-case")
    bob.get_by_role("button", name="Record decision").click()
    expect(bob.get_by_role("status")).to_have_text("Decision recorded and carried out.")

    appellant.reload()
    expect(appellant.locator("#appeal-status")).to_have_text("The action was overturned and lifted.")
    shoot(appellant, "appeal-decided")
    assert site.services.ledger.standing([subject]).allowed
    lifted = [n for n in site.notices("action.lifted") if n["id"] == action["id"]]
    assert len(lifted) == 1 and lifted[0]["review"]["outcome"] == "overturn"
    bob.goto(f"/console/accounts/{subject}")
    expect(bob.get_by_role("row").filter(has_text="suspend")).to_contain_text("lifted")
    shoot(bob, "account")


def test_a_second_reviewer_sees_the_first_ones_claim_as_taken(site, new_page, shoot):
    case_id = site.cases["weapons"]
    ann, bob = new_page(), new_page()
    log_in(ann, "ann")
    ann.goto(f"/console/cases/{case_id}")
    ann.get_by_role("button", name="Claim this case").click()
    expect(ann.locator("#claim-status")).to_contain_text("Claimed by ann")

    log_in(bob, "bob")
    row = bob.get_by_role("row").filter(has_text=f"#{case_id}")
    expect(row).to_contain_text("Claimed by ann")
    row.get_by_role("link", name=CASE_LINK).click()
    expect(bob.locator("#why-not")).to_have_text("Already claimed by ann.")
    expect(bob.get_by_role("button", name="Claim this case")).to_have_count(0)
    expect(bob.get_by_role("heading", name="Decide")).to_have_count(0)
    shoot(bob, "case-claimed-by-another")
    bob.goto("/console/queue")
    bob.get_by_role("button", name="Claim the next case").click()
    assert f"/console/cases/{case_id}" not in bob.url  # never the case ann holds


def test_a_reviewer_without_the_child_safety_role_cannot_open_a_child_safety_case(site, new_page, shoot):
    case_id = site.cases["child_safety"]
    ann = new_page()
    log_in(ann, "ann")
    expect(ann.get_by_role("link", name=f"#{case_id}", exact=True)).to_have_count(0)
    response = ann.goto(f"/console/cases/{case_id}")
    assert response.status == 403
    expect(ann.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert "parents" not in ann.content()
    shoot(ann, "child-safety-refused")

    cara = new_page()
    log_in(cara, "cara")
    expect(cara.get_by_role("row").nth(1)).to_contain_text(f"#{case_id} Child safety")  # first in the queue
    cara.get_by_role("link", name=f"#{case_id}", exact=True).click()
    expect(cara.get_by_role("heading", name=re.compile(f"Case #{case_id}"))).to_be_visible()
    expect(cara.locator("#content-hidden")).to_be_visible()
    shoot(cara, "child-safety-case")


def test_administrators_manage_people_in_the_console(site, new_page, shoot):
    root = new_page()
    log_in(root, "root")
    root.get_by_role("link", name="People").click()
    labelled(root)
    root.get_by_label("Username").fill("dana")
    root.get_by_label("Initial password").fill("a long and unusual passphrase")
    root.locator("fieldset").filter(has_text="Roles").last.get_by_label("Auditor (read only)").check()
    root.get_by_role("button", name="Add person").click()
    expect(root.get_by_role("status")).to_have_text("Saved.")
    expect(root.get_by_role("row").filter(has_text="dana")).to_contain_text("Active")
    shoot(root, "people")
    root.get_by_role("button", name="Log out").click()
    expect(root).to_have_url(re.compile(r"/console/login$"))
    root.goto("/console/queue")
    expect(root).to_have_url(re.compile(r"/console/login"))
