"""The demo that scripts/run sets up: logins, conversations, last week reviewed, this week's batches."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from conversations.models import Conversation
from reviews.models import Assignment, Review

pytestmark = pytest.mark.django_db


def test_the_demo_is_ready_to_sign_in_to_and_safe_to_set_up_twice(client, settings, capsys):
    settings.DEBUG = True
    call_command("demo_setup")
    counts = (Conversation.objects.count(), Assignment.objects.count(), Review.objects.count())

    call_command("demo_setup")

    assert (Conversation.objects.count(), Assignment.objects.count(), Review.objects.count()) == counts
    assert counts[0] == 56 and counts[2] > 10
    assert (
        client.post(reverse("login"), {"username": "maya@ledgerly.example", "password": "carousel-demo"}).status_code
        == 302
    )
    assert "reviews done this week" in client.get(reverse("reviews:my_week")).content.decode()
    client.post(reverse("login"), {"username": "lead@ledgerly.example", "password": "carousel-demo"})
    # The demo lead leads both teams, so they land on the list of them.
    teams_page = client.get(reverse("reviews:home"), follow=True).content.decode()
    assert "<h1>Teams</h1>" in teams_page and "Product Support" in teams_page and "Billing &amp; Accounts" in teams_page


def test_the_demo_refuses_to_run_in_production(settings, capsys):
    settings.DEBUG = False

    call_command("demo_setup")

    assert "runs only with DEBUG=true" in capsys.readouterr().err
    assert not Conversation.objects.exists()
