"""The demo that scripts/run sets up: a living company with history, and the README's sign-ins."""

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from conversations.models import Agent, Conversation, Team
from reviews import selectors
from reviews.models import Absence, Assignment, Rating, Review, ReviewComment, ReviewWeek, Scorecard

pytestmark = pytest.mark.django_db

README = Path(django_settings.BASE_DIR) / "README.md"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Built once for this module's tests: it is the slow part."""
    # The tests' fast hasher (conftest.py) is not set yet at module scope.
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock():
        with override_settings(DEBUG=True, PASSWORD_HASHERS=fast):
            call_command("demo_setup", stdout=io.StringIO())
        yield
        call_command("flush", "--noinput", verbosity=0)


def _readme_sign_ins() -> set[str]:
    table = README.read_text().split("sign in with the password `carousel-demo` as", 1)[1].split("\n\n", 2)[1]
    return set(re.findall(r"`([a-z]+@ledgerly\.example)`", table))


def test_three_teams_of_six_to_eight_with_about_1500_conversations_some_set_aside(demo):
    teams = Counter(Agent.objects.filter(team__isnull=False).values_list("team_id", flat=True))
    assert len(teams) == 3 and all(6 <= size <= 8 for size in teams.values())
    assert 1400 <= Conversation.objects.count() <= 1600
    reasons = Counter(Conversation.objects.excluded().values_list("exclusion_reason", flat=True))
    assert set(reasons) == {"short", "spam_tag", "spam_flagged", "bot_only"}
    ratings = set(Conversation.objects.exclude(csat_rating=None).values_list("csat_rating", flat=True))
    assert ratings == {1, 2, 3, 4, 5}
    assert Conversation.objects.values("subject").distinct().count() >= 50


def test_twelve_weeks_of_reviews_with_varied_levels_and_no_two_notes_alike(demo):
    for team in Team.objects.all():
        weeks = list(ReviewWeek.objects.filter(team=team).order_by("starts_at"))
        assert len(weeks) == 13  # twelve finished, this one under way
        trends = selectors.review_trends(
            reviews=Review.objects.filter(assignment__week__team=team),
            weeks=weeks[:-1],
            scorecard=selectors.scorecard_now(team=team),
        )
        assert all(trend.reviews > 0 for trend in trends)
    reviews = Review.objects.all()
    for key in ("quality", "tone"):
        assert set(Rating.objects.filter(criterion__key=key).values_list("level", flat=True)) == {1, 2, 3}
    notes = list(
        Rating.objects.filter(criterion__key__in=["quality", "tone"]).exclude(note="").values_list("note", flat=True)
    )
    assert len(notes) > 800
    assert len(set(notes)) == len(notes)
    assert ReviewComment.objects.count() > 50
    assert reviews.filter(share_as_example=True).count() > 10
    assert Assignment.objects.filter(status=Assignment.Status.SKIPPED).count() > 10


def test_the_demo_agent_has_work_this_week_and_conversations_left_to_pull(demo, client):
    client.post(reverse("login"), {"username": "maya@ledgerly.example", "password": "carousel-demo"})
    maya = Agent.objects.get(email="maya@ledgerly.example")
    week = selectors.current_week(maya)
    mine = Assignment.objects.toward_quota().filter(week=week, reviewer=maya)
    assert mine.filter(status=Assignment.Status.COMPLETED).count() == 1
    assert mine.filter(status=Assignment.Status.ASSIGNED).count() == 4
    assert Review.objects.filter(reviewee=maya, seen_at__isnull=True).exists()  # new feedback

    page = client.get(reverse("reviews:my_week")).content.decode()
    assert "1 of 5" in page
    # And one her lead sent her, apart from the five.
    assert "Sent to you by a lead" in page
    assert "the customer wrote three times before the refund was confirmed" in page
    # Her focus chain and her last 1:1, on Feedback.
    feedback = client.get(reverse("reviews:feedback")).content.decode()
    assert "Now: <strong>“Offer the duplicate-payment guard before closing a double charge.”</strong>" in feedback
    assert "Partly" in feedback
    assert "1:1s with your lead" in feedback

    client.post(reverse("reviews:pull"), {"count": 3})
    assert mine.filter(kind=Assignment.Kind.PULLED).count() == 3


def test_a_demo_lead_also_answers_conversations_and_an_absence_shrinks_a_quota(demo):
    nadia = Agent.objects.get(email="nadia@ledgerly.example")
    assert nadia.team.leads.filter(pk=nadia.user_id).exists()
    assert Conversation.objects.filter(assignee=nadia).count() > 10
    kenji = Agent.objects.get(email="kenji@ledgerly.example")
    assert Absence.objects.filter(agent=kenji).exists()
    assert kenji.review_weeks.get(week=selectors.current_week(kenji)).quota == 2
    assert Agent.objects.unlinked().filter(name="Marco Bianchi").exists()  # someone to invite


def test_the_readme_lists_every_demo_sign_in_and_each_works(demo, client):
    from django.contrib.auth import get_user_model

    listed = _readme_sign_ins()
    accounts = set(get_user_model().objects.values_list("email", flat=True))
    assert listed == accounts
    for email in sorted(listed):
        response = client.post(reverse("login"), {"username": email, "password": "carousel-demo"})
        assert response.status_code == 302, email
        client.logout()


def test_setting_the_demo_up_again_changes_nothing(demo, settings):
    counts = (Conversation.objects.count(), Assignment.objects.count(), Review.objects.count())
    settings.DEBUG = True

    call_command("demo_setup", stdout=io.StringIO())

    assert (Conversation.objects.count(), Assignment.objects.count(), Review.objects.count()) == counts


def test_the_demo_refuses_to_run_in_production(settings, capsys):
    settings.DEBUG = False
    before = Conversation.objects.count()  # the module's demo may be built already

    call_command("demo_setup")

    assert "runs only with DEBUG=true" in capsys.readouterr().err
    assert Conversation.objects.count() == before


def test_the_demo_shows_a_scorecard_that_grew_root_causes_csat_in_context_and_start_stop_continue(demo):
    product = Team.objects.get(name="Product Support")
    versions = list(Scorecard.objects.filter(team=product).order_by("version").values_list("version", flat=True))
    assert versions == [1, 2]
    knowledge = Rating.objects.filter(criterion__key="product_knowledge")
    assert knowledge.filter(review__scorecard__version=2).count() == knowledge.count() > 50
    assert knowledge.filter(level__isnull=True).exists()  # N/A where it did not apply
    assert not Review.objects.filter(
        scorecard__team=product, scorecard__version=1, ratings__criterion__key="product_knowledge"
    ).exists()
    # A missed process names its checklist step, and the note says the same.
    missed = Rating.objects.filter(criterion__key="process", level=1).prefetch_related("root_causes")
    assert missed.count() > 20 and all(rating.root_causes.count() == 1 for rating in missed)
    causes = set(Review.objects.exclude(csat_cause="").values_list("csat_cause", flat=True))
    assert causes == {"agent", "product", "policy", "other"}
    assert not Review.objects.exclude(csat_cause="").filter(conversation__csat_rating__gt=2).exists()
    billing = Review.objects.filter(scorecard__team__name="Billing & Accounts")
    assert billing.exclude(start_note="").count() == billing.count()
    assert not Review.objects.exclude(scorecard__team__name="Billing & Accounts").exclude(start_note="").exists()
    assert all(review.score is not None for review in Review.objects.all())


def test_the_demo_has_second_opinions_helpfulness_and_an_open_and_a_changed_dispute(demo):
    from reviews.models import Dispute

    assert Assignment.objects.filter(role=Assignment.Role.SECOND, status="completed").count() > 20
    assert Review.objects.filter(helpfulness__isnull=False).count() > 50
    disputes = {(d.review.reviewee.email, d.status) for d in Dispute.objects.select_related("review__reviewee")}
    assert disputes == {("maya@ledgerly.example", "open"), ("tom@ledgerly.example", "changed")}
