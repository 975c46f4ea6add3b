"""End to end in headless Chromium: an agent reviews, the reviewee reads it; keyboard only; XSS."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from conversations.helpdesks.files import FileHelpdesk
from conversations.models import Conversation, Message
from conversations.services import conversations_sync
from reviews import services
from reviews.models import Assignment, Review
from reviews.scorecards import DEFAULT_SPEC, CriterionSpec, default_levels
from reviews.services import week_assign
from reviews.tests.factories import MONDAY, levels, note

from .conftest import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def week(team_of_five, monday_ticking):
    builder, agents = team_of_five
    for conversation in builder.team.conversations.all():
        Message.objects.bulk_create(
            [
                Message(
                    conversation=conversation,
                    external_id="1",
                    author_kind="customer",
                    author_name="Casey",
                    created_at=MONDAY - timedelta(days=3, hours=1),
                    body_html="<p>Hi! My March invoice shows the old VAT rate. Can you fix it?</p>",
                    body_text="Hi! My March invoice shows the old VAT rate. Can you fix it?",
                ),
                Message(
                    conversation=conversation,
                    external_id="2",
                    author_kind="agent",
                    author_agent=conversation.assignee,
                    created_at=MONDAY - timedelta(days=3),
                    body_html="<p>Sorry about that, Casey. I have re-issued it with 20%.</p>",
                    body_text="Sorry about that, Casey. I have re-issued it with 20%.",
                ),
                Message(
                    conversation=conversation,
                    external_id="3",
                    author_kind="note",
                    author_agent=conversation.assignee,
                    created_at=MONDAY - timedelta(days=3),
                    body_html="<p>Checked the tax settings first.</p>",
                    body_text="Checked the tax settings first.",
                ),
            ]
        )
    return week_assign(team=builder.team), agents


def test_an_agent_reviews_and_the_reviewee_reads_it(page, week, screenshot):
    _, agents = week
    ana = agents[0]
    assignment = Assignment.objects.filter(reviewer=ana).select_related("reviewee", "conversation").first()

    sign_in(page, ana.user.email)
    page.get_by_role("link", name="My week").click()
    assert "0 of 5" in page.locator(".progress").inner_text()
    screenshot(page, "my-week")

    page.locator(f'a[href="/assignments/{assignment.pk}/review/"]').click()
    page.wait_for_url(f"**/assignments/{assignment.pk}/review/")  # is_visible() does not wait
    assert page.locator(".message-note").first.is_visible()
    screenshot(page, "review-form")
    page.get_by_role("button", name="Submit review").click()
    assert "Choose a level for Quality." in page.content()
    screenshot(page, "review-form-errors")

    page.locator("fieldset", has_text="Quality").get_by_label("Good").check()
    page.get_by_label("Notes on quality").fill("Fixed the root cause, not just the PDF.")
    page.locator("fieldset", has_text="Tone").get_by_label("Exceptional").check()
    page.get_by_label("Notes on tone").fill("Warm apology and a clear next step.")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Submit review").click()
    assert "1 of 5" in page.locator(".progress").inner_text()
    sign_out(page)

    sign_in(page, assignment.reviewee.user.email)
    page.get_by_role("link", name="Feedback").click()
    review_text = page.locator("article.review").first.inner_text()
    assert f"Reviewed by {ana.name} — Quality: Good — Tone: Exceptional — Followed internal processes: Yes" in (
        review_text
    )
    assert "Fixed the root cause, not just the PDF." in review_text
    assert page.locator(".badge", has_text="New").is_visible()
    screenshot(page, "feedback")
    page.get_by_role("button", name="Mark as seen").click()
    assert page.locator(".badge", has_text="New").count() == 0
    assert Review.objects.get().seen_at is not None


def test_the_rubric_can_be_completed_with_the_keyboard_alone(page, week):
    _, agents = week
    ana = agents[0]
    assignment = Assignment.objects.filter(reviewer=ana).first()
    sign_in(page, ana.user.email)
    page.goto(f"/assignments/{assignment.pk}/review/")

    # Tab to the first quality level, then arrows choose within the radio group.
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "quality":
            break
    page.keyboard.press("ArrowDown")  # Good
    page.keyboard.press("Tab")
    page.keyboard.type("Clear and correct.")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # onto tone's first level moves to its second: select first explicitly
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    page.keyboard.type("A bit curt.")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Yes
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the process note
    page.keyboard.press("Tab")  # past "share as example", onto "Submit and next"
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: f"/assignments/{assignment.pk}/" not in url and url.endswith("/review/"))
    assert "Here is the next one." in page.locator(".flash-success").inner_text()
    assert page.get_by_text("Conversation 2 of 5").is_visible()

    review = Review.objects.get()
    assert levels(review) == (2, 1, 2)
    assert (note(review, "quality"), note(review, "tone")) == ("Clear and correct.", "A bit curt.")


XSS_CORPUS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"><circle r=5></circle></svg>",
    "<svg><script>window.__xss='svg-script'</script></svg>",
    "<a href=\"javascript:window.__xss='link'\">click me</a>",
    "<a href=\"JaVaScRiPt:window.__xss='mixed-case'\">and me</a>",
    "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
    '<p onmouseover="window.__xss=\'hover\'" style="position:fixed;inset:0">hover here</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss='mxss'\">",
    '<a href="data:text/html,<script>alert(1)</script>">data link</a>',
    "<details open ontoggle=\"window.__xss='details'\">x</details>",
    "<object data=\"javascript:window.__xss='object'\"></object>",
]


def test_hostile_helpdesk_html_never_runs_in_the_browser(page, week, tmp_path, screenshot):
    _, agents = week
    ana, ben = agents[0], agents[1]
    document = {
        "format": "carousel.conversations/v1",
        "agents": [{"id": ben.external_id, "name": ben.name, "email": ben.email}],
        "conversations": [
            {
                "id": "xss-1",
                "subject": "<script>window.__xss='subject'</script>Hostile subject",
                "created_at": "2026-11-19T09:00:00Z",
                "updated_at": "2026-11-19T10:00:00Z",
                "closed_at": "2026-11-19T10:00:00Z",
                "assignee": ben.external_id,
                "tags": ["<img src=x onerror=\"window.__xss='tag'\">"],
                "csat": {"rating": 2, "remark": "<script>window.__xss='remark'</script>"},
                "messages": [
                    {
                        "id": str(n),
                        "author": "customer" if n % 2 else "agent",
                        **({} if n % 2 else {"agent": ben.external_id}),
                        "created_at": f"2026-11-19T09:{n:02d}:00Z",
                        "body": payload + " and some more words so the conversation counts as a real one",
                    }
                    for n, payload in enumerate(XSS_CORPUS, start=1)
                ],
            }
        ],
    }
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    conversations_sync(source="file", helpdesk=FileHelpdesk.from_path(path))
    hostile = Conversation.objects.get(external_id="xss-1")
    assignment = Assignment.objects.create(
        week=Assignment.objects.filter(reviewer=ana).first().week,
        reviewer=ana,
        reviewee=ben,
        conversation=hostile,
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    sign_in(page, ana.user.email)
    page.goto(f"/assignments/{assignment.pk}/review/")
    page.mouse.move(640, 450)
    for link in page.locator(".transcript a").all():
        link.click(modifiers=["Control"])  # a new tab if anything, never a script
    screenshot(page, "review-form-xss-corpus")

    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    assert page.locator(".transcript script, .transcript iframe, .transcript svg, .transcript img").count() == 0
    assert "Hostile subject" in page.content()


def test_screenshots_of_the_other_pages(page, week, screenshot):
    _, agents = week
    ana = agents[0]
    sign_in(page, ana.user.email)
    for path, name in [
        ("/reviews/written/", "reviews-i-wrote"),
        ("/highlights/", "highlights"),
        ("/accounts/password_reset/", "password-reset"),
    ]:
        page.goto(path)
        assert page.locator("h1").is_visible()
        screenshot(page, name)
    sign_out(page)
    page.goto("/accounts/login/")
    screenshot(page, "sign-in")
    assert datetime.now(tz=UTC) >= MONDAY


def test_shortcuts_choose_every_answer_and_a_draft_survives_a_closed_tab(page, week, screenshot):
    _, agents = week
    ana = agents[0]
    assignment = Assignment.objects.filter(reviewer=ana).order_by("created_at", "pk").first()
    sign_in(page, ana.user.email)
    page.goto(f"/assignments/{assignment.pk}/review/")

    page.keyboard.press("?")
    assert page.get_by_role("complementary", name="Keyboard shortcuts").is_visible()
    screenshot(page, "review-shortcuts")
    page.keyboard.press("Escape")
    page.keyboard.press("2")  # quality: good
    page.keyboard.press("6")  # tone: exceptional
    page.keyboard.press("y")
    page.keyboard.press("q")
    page.keyboard.type("Clear steps, right fix.")
    assert page.get_by_role("status").filter(has_text="Draft saved in this browser.").is_visible()

    page.close()  # the tab closes before submitting
    page = page.context.new_page()
    page.goto(f"/assignments/{assignment.pk}/review/")
    assert page.get_by_text("Draft restored from this browser.").is_visible()
    assert page.get_by_label("Notes on quality").input_value() == "Clear steps, right fix."
    page.get_by_label("Notes on quality").press("Control+Enter")
    page.wait_for_url(lambda url: f"/assignments/{assignment.pk}/" not in url)

    review = Review.objects.get()
    assert levels(review) == (2, 3, 2)
    assert note(review, "quality") == "Clear steps, right fix."
    # Saved on the server, the draft is gone: the page opens as the saved review.
    page.goto(f"/assignments/{assignment.pk}/review/")
    assert not page.get_by_text("Draft restored from this browser.").is_visible()


def test_a_shaped_scorecard_asks_root_causes_only_when_low_by_keyboard_and_its_draft_keeps_them(page, week, screenshot):
    week_made, agents = week
    ana = agents[0]
    lead = get_user_model().objects.create_user("lee@ledgerly.example", email="lee@ledgerly.example", password="pw")
    knowledge = CriterionSpec(
        key="knowledge",
        name="Product knowledge",
        scale="three_point",
        levels=default_levels("three_point"),
        root_causes=("Wrong plan limits", "Outdated help article"),
    )
    services.scorecard_save(team=week_made.team, user=lead, based_on=1, criteria=(*DEFAULT_SPEC.criteria, knowledge))
    assignment = Assignment.objects.filter(reviewer=ana).order_by("created_at", "pk").first()
    sign_in(page, ana.user.email)
    page.goto(f"/assignments/{assignment.pk}/review/")
    process_causes = page.locator("fieldset", has_text="Followed internal processes").locator("[data-root-causes]")
    knowledge_causes = page.locator("fieldset", has_text="Product knowledge").locator("[data-root-causes]")
    assert not process_causes.is_visible() and not knowledge_causes.is_visible()

    page.keyboard.press("2")  # quality: good
    page.keyboard.press("6")  # tone: exceptional
    page.keyboard.press("n")  # processes not followed: which step?
    assert process_causes.is_visible()
    process_causes.get_by_label("Tagged the conversation").check()
    page.keyboard.press("9")  # product knowledge: exceptional, not low
    assert not knowledge_causes.is_visible()
    page.keyboard.press("7")  # needs improvement: low
    assert knowledge_causes.is_visible()
    knowledge_causes.get_by_label("Outdated help article").check()
    screenshot(page, "review-form-root-causes")

    page.reload()  # the draft keeps the ticks, and the lists they belong to stay open
    assert page.get_by_text("Draft restored from this browser.").is_visible()
    assert knowledge_causes.get_by_label("Outdated help article").is_checked()
    assert not knowledge_causes.get_by_label("Wrong plan limits").is_checked()
    assert process_causes.get_by_label("Tagged the conversation").is_checked()
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda url: f"/assignments/{assignment.pk}/" not in url)

    ratings = {rating.criterion.key: rating for rating in Review.objects.get().ratings.select_related("criterion")}
    assert (ratings["process"].level, ratings["knowledge"].level) == (1, 1)
    assert [cause.label for cause in ratings["knowledge"].root_causes.all()] == ["Outdated help article"]
    assert [cause.label for cause in ratings["process"].root_causes.all()] == ["Tagged the conversation"]
