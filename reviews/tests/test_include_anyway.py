"""Include anyway: a lead offers a conversation a rule set aside (too short, spam, bot-only)
for review after all, saying why; the sync respects it, and the sync page counts it per rule."""

import pytest
from django.urls import reverse

from conversations.helpdesks.files import FileHelpdesk
from conversations.models import Conversation
from conversations.services import conversations_sync
from reviews.services import assignments_pull, week_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def set_aside(team_of_five, monday, django_user_model):
    builder, agents = team_of_five
    week_assign(team=builder.team)
    short = builder.conversations(agents[1], 1, exclusion_reason="short")[0]
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    return {"short": short, "lead": lead, "agents": agents, "team": builder.team}


def include(client, user, conversation, note="A two-line refusal of a refund: exactly what to coach."):
    client.force_login(user)
    return client.post(reverse("reviews:conversation_include", args=[conversation.pk]), {"note": note})


def test_a_lead_includes_a_short_conversation_and_it_can_be_handed_out(client, set_aside):
    short = set_aside["short"]

    response = include(client, set_aside["lead"], short)

    short.refresh_from_db()
    assert response.status_code == 302
    assert (short.exclusion_reason, short.included_rule, short.included_by) == ("", "short", set_aside["lead"])
    page = client.get(reverse("reviews:conversation", args=[short.pk])).content.decode()
    assert "Included for review by a lead although it was set aside (too short to review)" in page
    pulled = assignments_pull(agent=set_aside["agents"][0], count=20)
    assert short.pk in {assignment.conversation_id for assignment in pulled}


def test_a_reason_is_required_and_what_was_typed_is_kept(client, set_aside):
    response = include(client, set_aside["lead"], set_aside["short"], note="   ")

    assert response.status_code == 400
    assert "Say why it is worth reviewing" in response.content.decode()
    assert Conversation.objects.get(pk=set_aside["short"].pk).exclusion_reason == "short"


def test_agents_cannot_include_and_do_not_see_the_form(client, set_aside):
    handler = set_aside["agents"][1]
    client.force_login(handler.user)

    page = client.get(reverse("reviews:conversation", args=[set_aside["short"].pk])).content.decode()
    refused = include(client, handler.user, set_aside["short"])

    assert "Include anyway" not in page
    assert refused.status_code == 403
    assert Conversation.objects.get(pk=set_aside["short"].pk).exclusion_reason == "short"


def test_a_second_click_is_told_it_is_included_already(client, set_aside):
    include(client, set_aside["lead"], set_aside["short"])

    again = include(client, set_aside["lead"], set_aside["short"])
    page = client.get(again.url).content.decode()

    assert again.status_code == 302
    assert "This conversation is offered for review already." in page
    assert "Include anyway" not in page


def test_the_agent_who_handled_it_is_not_shown_the_leads_reason(client, set_aside):
    include(client, set_aside["lead"], set_aside["short"])
    client.force_login(set_aside["agents"][1].user)

    page = client.get(reverse("reviews:conversation", args=[set_aside["short"].pk])).content.decode()

    assert "exactly what to coach" not in page


def document(*, words: str, spam: bool = False, updated: str = "2026-11-20T10:00:00Z") -> dict:
    return {
        "format": "carousel.conversations/v1",
        "teams": [{"id": "support", "name": "Support"}],
        "agents": [
            {"id": "a1", "name": "Ana", "email": "ana.imported@ledgerly.example", "team": "support"},
        ],
        "conversations": [
            {
                "id": "short-1",
                "subject": "Refund?",
                "created_at": "2026-11-20T09:00:00Z",
                "updated_at": updated,
                "closed_at": updated,
                "assignee": "a1",
                "team": "support",
                "spam": spam,
                "messages": [
                    {"id": "1", "author": "customer", "created_at": "2026-11-20T09:00:00Z", "body": words},
                    {"id": "2", "author": "agent", "agent": "a1", "created_at": "2026-11-20T09:10:00Z", "body": "No."},
                    {"id": "3", "author": "agent", "agent": "a1", "created_at": "2026-11-20T09:11:00Z", "body": "Bye."},
                ],
            }
        ],
    }


def test_the_sync_leaves_it_included_unless_another_rule_now_sets_it_aside(client, db, django_user_model):
    from conversations.services import conversation_include

    conversations_sync(source="file", helpdesk=FileHelpdesk([document(words="Refund please")]))
    stored = Conversation.objects.get(external_id="short-1")
    assert stored.exclusion_reason == "short"
    lead = django_user_model.objects.create_user("l@ledgerly.example", email="l@ledgerly.example", password="pw")
    conversation_include(conversation=stored, by=lead, note="Refusals this short are what we coach.")

    conversations_sync(
        source="file", helpdesk=FileHelpdesk([document(words="Refund please!", updated="2026-11-21T10:00:00Z")])
    )
    assert Conversation.objects.get(external_id="short-1").exclusion_reason == ""

    run = conversations_sync(
        source="file", helpdesk=FileHelpdesk([document(words="Refund please!?", updated="2026-11-21T11:00:00Z")])
    )
    assert (run.kept, run.excluded_counts) == (1, {})

    flagged = document(words="Refund please!!", spam=True, updated="2026-11-22T10:00:00Z")
    conversations_sync(source="file", helpdesk=FileHelpdesk([flagged]))
    assert Conversation.objects.get(external_id="short-1").exclusion_reason == "spam_flagged"


def test_the_excluded_page_counts_inclusions_per_rule(client, set_aside):
    set_aside_too = set_aside["short"]
    another = Conversation.objects.create(
        **{
            field: getattr(set_aside_too, field)
            for field in ("source", "subject", "team_id", "assignee_id", "created_at", "updated_at", "closed_at")
        },
        external_id="another-short",
        exclusion_reason="short",
    )
    include(client, set_aside["lead"], set_aside["short"])

    page = client.get(reverse("conversations:excluded")).content.decode()

    assert "<tr><td>Too short to review</td><td>1</td><td>1</td></tr>" in page
    assert reverse("reviews:conversation", args=[another.pk]) in page
