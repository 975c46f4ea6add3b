"""Every page, as each role meets it on the demo, at desktop and phone width in Chromium:
nothing scrolls sideways (WCAG 1.4.10 reflow), one h1, and no axe-core violation.

Screenshots of each page at both widths land in artifacts/screenshots/pages/.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations.models import Agent, Conversation, SyncRun, Team
from reviews import services
from reviews.models import Assignment, CalibrationSession, Dispute, OneOnOne, Review

from .conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A note and a reply as people really paste them: a long link and an unbroken string.
LONG_URL = "https://help.ledgerly.example/articles/" + "bank-feeds-reconnect-after-password-change-" * 4
UNBROKEN = "INV-" + "7" * 120
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@dataclass(frozen=True)
class Visit:
    name: str
    who: str | None  # an email; None: signed out
    path: str


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # demo_setup refuses to run without it
    call_command("demo_setup", stdout=io.StringIO())
    settings.DEBUG = False
    users = get_user_model().objects
    maya = users.get(email="maya@ledgerly.example")
    received = Review.objects.filter(reviewee__user=maya).select_related("assignment__week").first()
    services.review_comment_add(review=received, author=maya, body=f"See {LONG_URL} and ticket {UNBROKEN}.")
    written = Review.objects.filter(reviewer__user=maya).first()
    if written is not None:
        written.ratings.filter(criterion__key="quality").update(note=f"Linked {LONG_URL} — {UNBROKEN}")
    # This week's: older weeks' unreviewed ones have closed and show no form.
    todo = Assignment.objects.filter(
        reviewer__user=maya, status=Assignment.Status.ASSIGNED, week__ends_at__gt=timezone.now()
    ).first()
    team = received.assignment.week.team
    # Product's scorecard has grown a fourth, five-point criterion: its pages show the most.
    product = Team.objects.get(name="Product Support")
    run = SyncRun.objects.order_by("-pk").first()
    agent = maya.agent
    conversation_id = received.conversation_id
    # Marco, who has no account, is invited: the sign-up page is a page too (the email is sent
    # on commit, which this transactional test has).
    open_dispute = Dispute.objects.get(status="open")
    changed_dispute = Dispute.objects.get(status="changed")
    blind = CalibrationSession.objects.get(revealed_at__isnull=True)
    to_score = blind.items.exclude(conversation__assignee=agent).first()
    revealed = CalibrationSession.objects.get(revealed_at__isnull=False)
    emma = users.get(email="emma@ledgerly.example")
    rated = Review.objects.filter(reviewee__user=emma, conversation__self_reviews__isnull=False).first()
    waiting = Review.objects.filter(reviewee__user=emma, self_review_first=True, conversation__self_reviews=None)
    sent = Assignment.objects.get(reviewer__user=maya, kind=Assignment.Kind.REQUESTED)
    one_on_one = OneOnOne.objects.get(agent=agent)
    marco = Agent.objects.get(name="Marco Bianchi")
    services.invitation_send(agent=marco, invited_by=users.get(email="lead@ledgerly.example"))
    invitation_path = urlsplit(re.search(r"http://\S+/accounts/invitation/\S+/", str(mail.outbox[-1].body))[0]).path
    return {
        "visits": [
            Visit("sign-in", None, reverse("login")),
            Visit("password-reset", None, reverse("password_reset")),
            Visit("password-reset-sent", None, reverse("password_reset_done")),
            Visit("invitation", None, invitation_path),
            Visit("invitation-unusable", None, reverse("invitation_accept", args=["no-such-secret"])),
            Visit("not-found", "maya@ledgerly.example", "/no-such-page/"),
            Visit("my-week", "maya@ledgerly.example", reverse("reviews:my_week")),
            Visit("review-form", "maya@ledgerly.example", reverse("reviews:review", args=[todo.pk])),
            Visit("feedback", "maya@ledgerly.example", reverse("reviews:feedback")),
            Visit("reviews-written", "maya@ledgerly.example", reverse("reviews:written")),
            Visit("review-detail", "maya@ledgerly.example", reverse("reviews:review_detail", args=[received.pk])),
            Visit("highlights", "maya@ledgerly.example", reverse("reviews:highlights")),
            Visit("notifications", "maya@ledgerly.example", reverse("reviews:notifications")),
            Visit("conversation", "maya@ledgerly.example", reverse("reviews:conversation", args=[conversation_id])),
            Visit("teams", "lead@ledgerly.example", reverse("reviews:teams")),
            Visit("team-week", "lead@ledgerly.example", reverse("reviews:team_week", args=[team.pk])),
            Visit("trends", "lead@ledgerly.example", reverse("reviews:trends", args=[team.pk])),
            Visit("agent", "lead@ledgerly.example", reverse("reviews:agent_detail", args=[team.pk, agent.pk])),
            Visit("team-settings", "lead@ledgerly.example", reverse("reviews:team_settings", args=[team.pk])),
            Visit("scorecard", "lead@ledgerly.example", reverse("reviews:scorecard", args=[product.pk])),
            Visit(
                "criterion",
                "lead@ledgerly.example",
                reverse("reviews:criterion_edit", args=[product.pk, "product_knowledge"]),
            ),
            Visit("criterion-new", "lead@ledgerly.example", reverse("reviews:criterion_new", args=[product.pk])),
            Visit("reports", "lead@ledgerly.example", reverse("reviews:reports", args=[product.pk])),
            Visit("complaints", "lead@ledgerly.example", reverse("reviews:complaints", args=[team.pk]) + "?weeks=12"),
            Visit("agreement", "lead@ledgerly.example", reverse("reviews:agreement", args=[product.pk]) + "?weeks=12"),
            Visit("team-disputes", "lead@ledgerly.example", reverse("reviews:team_disputes", args=[team.pk])),
            Visit("dispute-to-resolve", "lead@ledgerly.example", reverse("reviews:dispute", args=[open_dispute.pk])),
            Visit("dispute-mine", "maya@ledgerly.example", reverse("reviews:dispute", args=[open_dispute.pk])),
            Visit("dispute-changed", "lead@ledgerly.example", reverse("reviews:dispute", args=[changed_dispute.pk])),
            Visit("calibrations", "lead@ledgerly.example", reverse("reviews:team_calibrations", args=[team.pk])),
            Visit("calibration-blind", "maya@ledgerly.example", reverse("reviews:calibration", args=[blind.pk])),
            Visit(
                "calibration-score",
                "maya@ledgerly.example",
                reverse("reviews:calibration_item", args=[blind.pk, to_score.pk]),
            ),
            Visit("calibration-revealed", "lead@ledgerly.example", reverse("reviews:calibration", args=[revealed.pk])),
            Visit(
                "calibration-spread",
                "lead@ledgerly.example",
                reverse("reviews:calibration_item", args=[revealed.pk, revealed.items.first().pk]),
            ),
            Visit(
                "own-rating", "emma@ledgerly.example", reverse("reviews:own_rating", args=[waiting[0].conversation_id])
            ),
            Visit("own-rating-gap", "emma@ledgerly.example", reverse("reviews:review_detail", args=[rated.pk])),
            Visit(
                "conversation-set-aside",
                "lead@ledgerly.example",
                reverse("reviews:conversation", args=[Conversation.objects.filter(team=team).excluded().first().pk]),
            ),
            # A conversation the lead sent Maya: its page lists where it stands; hers has the note.
            Visit(
                "conversation-sent",
                "lead@ledgerly.example",
                reverse("reviews:conversation", args=[sent.conversation_id]),
            ),
            Visit("review-sent", "maya@ledgerly.example", reverse("reviews:review", args=[sent.pk])),
            Visit("one-on-one", "maya@ledgerly.example", reverse("reviews:one_on_one", args=[one_on_one.pk])),
            Visit("one-on-one-lead", "lead@ledgerly.example", reverse("reviews:one_on_one", args=[one_on_one.pk])),
            Visit(
                "one-on-one-new",
                "lead@ledgerly.example",
                reverse("reviews:one_on_one_new", args=[team.pk, agent.pk]),
            ),
            Visit("highlights-filtered", "lead@ledgerly.example", reverse("reviews:highlights") + "?rated=tone:3"),
            Visit("search-agent", "maya@ledgerly.example", reverse("reviews:search")),
            Visit("search-lead", "lead@ledgerly.example", reverse("reviews:search") + "?q=refund&csat=low"),
            Visit("product-trends", "lead@ledgerly.example", reverse("reviews:trends", args=[product.pk])),
            Visit("export", "lead@ledgerly.example", reverse("reviews:export", args=[team.pk])),
            Visit("people", "lead@ledgerly.example", reverse("reviews:team_people", args=[team.pk])),
            Visit("sync", "lead@ledgerly.example", reverse("conversations:sync_status")),
            Visit("sync-run", "lead@ledgerly.example", reverse("conversations:sync_run_detail", args=[run.pk])),
            Visit("excluded", "lead@ledgerly.example", reverse("conversations:excluded")),
            Visit("lead-review-detail", "lead@ledgerly.example", reverse("reviews:review_detail", args=[received.pk])),
            Visit("admin", "admin@ledgerly.example", reverse("admin:index")),
            Visit("admin-reviews", "admin@ledgerly.example", reverse("admin:reviews_review_changelist")),
        ],
        "excluded": Conversation.objects.exclude(exclusion_reason="").count(),
    }


def _signed_in(browser, live_server, email: str | None, size: tuple[int, int]):
    context = browser.new_context(base_url=live_server.url, viewport={"width": size[0], "height": size[1]})
    if email is not None:
        client = Client()
        client.force_login(get_user_model().objects.get(email=email))
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context


def _problems(page, axe: Axe) -> list[str]:
    problems = []
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        wide = page.evaluate(
            "() => [...document.querySelectorAll('body *')]"
            ".filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth)"
            ".slice(0, 3).map(e => e.tagName + (e.className ? '.' + e.className : ''))"
        )
        problems.append(f"scrolls sideways by {overflow}px (widest: {', '.join(wide)})")
    title = page.title()
    if not title or "<" in title:
        problems.append(f"title is {title!r}: a page needs a plain-text title")
    headings = page.locator("h1").count()
    if headings != 1:
        problems.append(f"{headings} h1 headings")
    for violation in axe.run(page).response["violations"]:
        targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
        problems.append(f"axe {violation['id']}: {violation['help']} ({'; '.join(targets)})")
    return problems


def test_every_page_reflows_has_one_h1_and_passes_axe(browser, live_server, demo, settings):
    """Both widths in one test: the demo is built once (on two cores the suite is CPU-bound,
    so a second build costs more than the parallelism of two tests gains)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    assert demo["excluded"] > 0  # the excluded page has rows to lay out
    folder = SCREENSHOTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    failures = {}
    for width, size in WIDTHS.items():
        contexts: dict[str | None, object] = {}
        try:
            for visit in demo["visits"]:
                if visit.who not in contexts:
                    contexts[visit.who] = _signed_in(browser, live_server, visit.who, size)
                page = contexts[visit.who].new_page()
                response = page.goto(visit.path)
                expected = {"not-found": 404, "invitation-unusable": 410}.get(visit.name, 200)
                problems = [] if response.status == expected else [f"HTTP {response.status}"]
                problems += _problems(page, axe)
                page.screenshot(path=str(folder / f"{visit.name}-{width}.png"), full_page=True)
                if visit.name == "review-form":
                    # The keyboard-shortcut list, opened as a reviewer opens it.
                    page.locator("body").focus()
                    page.keyboard.press("?")
                    assert page.locator("#shortcuts").is_visible()
                    problems += [f"with the shortcut list open: {problem}" for problem in _problems(page, axe)]
                    page.screenshot(path=str(folder / f"review-form-shortcuts-{width}.png"), full_page=True)
                page.close()
                if problems:
                    failures[f"{visit.name} ({width})"] = problems
        finally:
            for context in contexts.values():
                context.close()

    assert not failures, "\n".join(f"{name}: {'; '.join(problems)}" for name, problems in failures.items())
