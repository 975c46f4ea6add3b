"""In headless Chromium: what the sync kept shows in the transcript, and a paused sign-in a lead unlocks."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from conversations.models import Message
from reviews.models import Assignment
from reviews.tests.factories import MONDAY

from .conftest import sign_in, sign_out
from .test_review_flow import week  # noqa: F401  (the same week of batches)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = "march-invoice-" + "x" * 80 + ".pdf"


@pytest.fixture
def assignment(week):  # noqa: F811
    assignment = Assignment.objects.filter(week=week[0]).select_related("conversation", "reviewer__user").first()
    conversation = assignment.conversation
    conversation.is_truncated = True
    conversation.save(update_fields=["is_truncated"])
    later = Message.objects.create(
        conversation=conversation,
        external_id="4",
        author_kind="customer",
        author_name="Casey",
        created_at=MONDAY - timedelta(days=2),
        added_after_review=True,
    )
    later.attachments.create(name=LONG_NAME, url="https://files.example.com/" + LONG_NAME, size=48213)
    return assignment


def test_attachments_truncation_and_later_messages_show_in_the_transcript(page, assignment, screenshot):
    sign_in(page, assignment.reviewer.user.email)
    page.goto(f"/assignments/{assignment.pk}/review/")

    link = page.get_by_role("link", name=LONG_NAME)
    assert link.get_attribute("href") == "https://files.example.com/" + LONG_NAME
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert page.get_by_text("(47.1\u00a0KB)").is_visible()
    assert page.get_by_text("The helpdesk holds more of this conversation than it sent").is_visible()
    assert page.get_by_text("Arrived after the review started").count() == 1
    screenshot(page, "transcript-attachments")

    page.set_viewport_size({"width": 390, "height": 844})
    # A long file name wraps inside its message instead of widening the transcript.
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('.transcript, .attachments')]"
        ".map(element => element.scrollWidth - element.clientWidth)"
    )
    assert max(overflow) <= 0, overflow
    screenshot(page, "transcript-attachments-phone")


def test_a_paused_sign_in_keeps_the_email_and_the_lead_unlocks_it(page, assignment, screenshot, settings):
    settings.AXES_FAILURE_LIMIT = 3
    agent = assignment.reviewer
    lead = get_user_model().objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    agent.team.leads.add(lead)
    for _ in range(3):
        sign_in(page, agent.user.email, password="not-it")

    assert page.get_by_role("alert").inner_text().startswith("Too many wrong passwords for this account")
    assert page.get_by_label("Email").input_value() == agent.user.email
    screenshot(page, "sign-in-paused")

    sign_in(page, lead.email)
    page.goto(f"/teams/{agent.team_id}/week/")
    paused = page.get_by_role("region", name="Paused sign-ins")
    assert agent.name in paused.inner_text()
    screenshot(page, "team-week-paused-sign-in")
    paused.get_by_role("button", name="Unlock sign-in").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"{agent.user.email} can sign in again.").is_visible()
    sign_out(page)

    sign_in(page, agent.user.email)
    assert page.get_by_role("button", name="Sign out").is_visible()
