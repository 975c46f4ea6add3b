"""Conversation search: leads search their teams' conversations, agents their own and those
assigned to them, by words, agent, tag, CSAT, dates, reviewed or not and set aside or not."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from conversations.models import Agent, Conversation, Message
from reviews import services
from reviews.models import Assignment
from reviews.services import week_assign

from .factories import WEEK_START, answers

pytestmark = pytest.mark.django_db


def said(conversation: Conversation, *bodies: str) -> Conversation:
    """The conversation's messages, and its search text as the sync writes it."""
    from conversations.services import search_text

    for number, body in enumerate(bodies):
        Message.objects.create(
            conversation=conversation,
            external_id=f"{conversation.pk}-{number}",
            author_kind="customer" if number % 2 == 0 else "agent",
            created_at=conversation.created_at,
            body_html=f"<p>{body}</p>",
            body_text=body,
        )
    conversation.search_text = search_text(
        conversation.subject, conversation.tags, conversation.csat_remark, list(bodies)
    )
    conversation.save(update_fields=["search_text"])
    return conversation


@pytest.fixture
def world(build, monday, django_user_model):
    """Support (Ana, Ben, Cleo, Dev, Eli; a lead) and Other (Olga; her lead)."""
    builder = build()
    ana, ben, cleo, dev, eli = (builder.agent(name) for name in ("Ana", "Ben", "Cleo", "Dev", "Eli"))
    for agent in (ana, ben, cleo, dev, eli):
        builder.conversations(agent, 3)
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    other = build("Other")
    olga = other.agent("Olga")
    other.conversations(olga, 2)
    other_lead = django_user_model.objects.create_user(
        "ol@ledgerly.example", email="ol@ledgerly.example", password="pw"
    )
    other.team.leads.add(other_lead)
    refund = said(ana.conversations.first(), "I was charged twice for the Pro plan", "The duplicate charge is refunded")
    return {
        "team": builder.team,
        "lead": lead,
        "other_lead": other_lead,
        "ana": ana,
        "ben": ben,
        "olga": olga,
        "refund": refund,
        "builder": builder,
        "other": other,
    }


def search(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("reviews:search"), params)
    return response, response.content.decode()


def found(page: str, conversation: Conversation) -> bool:
    return reverse("reviews:conversation", args=[conversation.pk]) in page


def test_a_lead_finds_a_conversation_by_words_in_its_messages(client, world):
    _, page = search(client, world["lead"], q="duplicate charge")

    assert found(page, world["refund"])
    assert page.count('href="/conversations/') == 1


def test_a_phrase_must_appear_whole_and_a_minus_word_leaves_out(client, world):
    other = said(world["ben"].conversations.first(), "Charge my card again please, it was a duplicate")

    _, phrase = search(client, world["lead"], q='"duplicate charge"')
    _, minus = search(client, world["lead"], q="duplicate -refunded")

    assert found(phrase, world["refund"]) and not found(phrase, other)
    assert found(minus, other) and not found(minus, world["refund"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL's full-text search")
def test_on_postgresql_words_match_their_other_forms(client, world):
    _, page = search(client, world["lead"], q="refunds charges")

    assert found(page, world["refund"])


def test_agents_search_their_own_and_what_they_review_and_nothing_else(client, world):
    week = week_assign(team=world["team"])
    assigned = Assignment.objects.filter(week=week, reviewer=world["ben"]).select_related("conversation")
    _, bens = search(client, world["ben"].user)
    _, olgas = search(client, world["olga"].user, q="duplicate")

    for conversation in world["ben"].conversations.all():
        assert found(bens, conversation)
    for assignment in assigned:
        assert found(bens, assignment.conversation)
    shown = bens.count('href="/conversations/')
    assert shown == world["ben"].conversations.count() + assigned.count()
    assert not found(olgas, world["refund"])


def test_a_lead_of_another_team_finds_none_of_this_teams(client, world):
    _, page = search(client, world["other_lead"], q="duplicate")

    assert not found(page, world["refund"])
    assert "Nothing matches" in page


def test_filters_by_agent_tag_csat_dates_review_and_exclusion(client, world):
    builder = world["builder"]
    tagged = builder.conversations(world["ben"], 1, tags=["refund"], csat=1)[0]
    near_miss = builder.conversations(world["ben"], 1, tags=["refund-request"], csat=5)[0]
    old = builder.conversations(world["ben"], 1, closed_days_ago=40)[0]
    short = builder.conversations(world["ben"], 1, exclusion_reason="short")[0]
    week = week_assign(team=world["team"])
    reviewed = Assignment.objects.filter(week=week).first()
    services.review_submit(assignment=reviewed, answers=answers())
    lead = world["lead"]

    _, by_tag = search(client, lead, tag="refund")
    _, by_agent = search(client, lead, agent=world["ana"].pk)
    _, low = search(client, lead, csat="low")
    closed = (WEEK_START - timedelta(days=41)).date()
    _, by_date = search(
        client, lead, closed_from=closed.isoformat(), closed_until=(closed + timedelta(days=2)).isoformat()
    )
    _, done = search(client, lead, reviewed="yes")
    _, short_ones = search(client, lead, excluded="short")
    _, offered = search(client, lead, excluded="included", agent=world["ben"].pk)

    assert found(by_tag, tagged) and not found(by_tag, near_miss)
    assert found(by_agent, world["refund"]) and not found(by_agent, tagged)
    assert found(low, tagged) and not found(low, near_miss)
    assert found(by_date, old) and by_date.count('href="/conversations/') == 1
    assert found(done, reviewed.conversation) and done.count('href="/conversations/') == 1
    assert found(short_ones, short) and "Set aside: too short to review" in short_ones
    assert not found(offered, short) and found(offered, tagged)


def test_a_date_range_backwards_says_so_and_keeps_what_was_typed(client, world):
    response, page = search(client, world["lead"], q="duplicate", closed_from="2026-11-20", closed_until="2026-11-01")

    assert response.status_code == 400
    assert "The end of the range is before its start." in page
    assert 'value="duplicate"' in page
    assert 'href="/conversations/' not in page


def test_results_come_25_a_page_newest_first(client, world):
    builder = world["builder"]
    many = [said(conversation, "printer on fire") for conversation in builder.conversations(world["ana"], 30)]
    for days, conversation in enumerate(many):
        Conversation.objects.filter(pk=conversation.pk).update(closed_at=WEEK_START - timedelta(days=days, hours=1))

    _, first = search(client, world["lead"], q="printer")
    _, second = search(client, world["lead"], q="printer", page=2)

    assert first.count('href="/conversations/') == 25
    assert found(first, many[0]) and not found(first, many[25])
    assert "Older →" in first and "page=2" in first
    assert second.count('href="/conversations/') == 5 and found(second, many[29])
    assert "← Newer" in second and "Older" not in second


def test_a_search_costs_the_same_queries_however_many_conversations_match(client, world, django_assert_max_num_queries):
    for conversation in world["builder"].conversations(world["ana"], 60):
        said(conversation, "printer on fire")
    client.force_login(world["lead"])

    # Session and user, the menu, who the lead is and their teams, the agents to filter by, one
    # page of results with handlers, teams and whether each was reviewed.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reviews:search"), {"q": "printer", "csat": "low", "reviewed": "no"})
    assert response.status_code == 200


def test_someone_with_no_team_and_no_conversations_has_no_search(client, django_user_model, db):
    nobody = django_user_model.objects.create_user("n@ledgerly.example", email="n@ledgerly.example", password="pw")
    client.force_login(nobody)

    assert client.get(reverse("reviews:search")).status_code == 404


def test_the_sync_writes_what_search_looks_through(client, world):
    from conversations.helpdesks.files import FileHelpdesk
    from conversations.services import conversations_sync

    document = {
        "format": "carousel.conversations/v1",
        "teams": [{"id": "support", "name": "Support"}],
        "agents": [{"id": "a1", "name": "Ana", "email": world["ana"].email, "team": "support"}],
        "conversations": [
            {
                "id": "imported-1",
                "subject": "Invoice in Portuguese",
                "created_at": "2026-11-20T09:00:00Z",
                "updated_at": "2026-11-20T10:00:00Z",
                "closed_at": "2026-11-20T10:00:00Z",
                "assignee": "a1",
                "tags": ["language"],
                "messages": [
                    {"id": "1", "author": "customer", "created_at": "2026-11-20T09:00:00Z", "body": "Olá, a fatura"},
                    {
                        "id": "2",
                        "author": "agent",
                        "author_id": "a1",
                        "created_at": "2026-11-20T09:30:00Z",
                        "body": "Aqui está",
                    },
                ],
            }
        ],
    }
    conversations_sync(source="file", helpdesk=FileHelpdesk([document]))

    stored = Conversation.objects.get(external_id="imported-1")
    assert "Invoice in Portuguese" in stored.search_text and "Olá, a fatura" in stored.search_text
    assert "language" in stored.search_text
    assert stored.assignee is not None


def test_conversations_stored_before_search_are_found_after_the_upgrade(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate([("conversations", "0006_onboarding_ramp")])
    apps = executor.loader.project_state([("conversations", "0006_onboarding_ramp")]).apps
    try:
        old = apps.get_model("conversations", "Conversation").objects.create(
            source="file",
            external_id="old-1",
            subject="Old invoice",
            created_at=WEEK_START,
            updated_at=WEEK_START,
            tags=["vat"],
        )
        apps.get_model("conversations", "Message").objects.create(
            conversation=old, external_id="m", author_kind="customer", created_at=WEEK_START, body_text="VAT number"
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert Conversation.objects.get(external_id="old-1").search_text == "Old invoice\nvat\n\nVAT number"


def test_a_blind_reviewer_does_not_learn_from_search_who_handled_what_they_review(client, world):
    from reviews.models import TeamSettings

    TeamSettings.objects.create(team=world["team"], blind_reviewee=True, second_opinion_percent=0)
    week = week_assign(team=world["team"])
    mine = (
        Assignment.objects.filter(week=week, reviewer=world["ben"]).select_related("conversation", "reviewee").first()
    )
    other = Assignment.objects.filter(week=week, conversation__assignee=mine.reviewee).exclude(reviewer=world["ben"])
    if other.exists():
        services.review_submit(assignment=other.first(), answers=answers())

    _, listed = search(client, world["ben"].user)
    _, by_handler = search(client, world["ben"].user, agent=mine.reviewee_id)
    _, reviewed = search(client, world["ben"].user, reviewed="yes")

    def row(conversation_id):
        return listed[listed.index(reverse("reviews:conversation", args=[conversation_id])) :].split("</tr>")[0]

    assert "<td>A teammate</td>" in row(mine.conversation_id)
    assert f"<td>{mine.reviewee.name}</td>" not in row(mine.conversation_id)
    # His own conversations, others' to review blind, still say they are his.
    for own in world["ben"].conversations.filter(assignments__week=week):
        assert "<td>Ben</td>" in row(own.pk)
    assert not found(by_handler, mine.conversation)
    assert not found(reviewed, mine.conversation)


def test_a_second_opinion_shows_as_not_reviewed_to_whoever_still_has_to_review_it(client, world):
    week = week_assign(team=world["team"])
    seconded = Assignment.objects.filter(role=Assignment.Role.SECOND).values("conversation")
    first = (
        Assignment.objects.filter(week=week, reviewer=world["ben"], role=Assignment.Role.FIRST)
        .exclude(conversation__in=seconded)
        .first()
    )
    third = (
        Agent.objects.filter(team=world["team"])
        .exclude(pk__in=[first.reviewer_id, first.reviewee_id])
        .exclude(assignments_to_review__conversation=first.conversation)
        .first()
    )
    Assignment.objects.create(
        week=week, reviewer=third, conversation=first.conversation, reviewee=first.reviewee, role=Assignment.Role.SECOND
    )
    services.review_submit(assignment=first, answers=answers())
    second = Assignment.objects.get(conversation=first.conversation, role=Assignment.Role.SECOND)

    _, page = search(client, second.reviewer.user, reviewed="no")

    assert found(page, first.conversation)


def test_odd_page_numbers_and_far_dates_are_answered_in_plain_words(client, world):
    odd, odd_page = search(client, world["lead"], q="duplicate", page="²")
    huge, _ = search(client, world["lead"], q="duplicate", page="99999999999999999999")
    far, far_page = search(client, world["lead"], closed_until="9999-12-31")

    assert odd.status_code == 200 and found(odd_page, world["refund"])
    assert huge.status_code == 200
    assert far.status_code == 400 and "Choose a date between the years 2000 and 2100." in far_page


def test_open_conversations_come_after_the_closed_ones(client, world):
    still_open = said(world["builder"].conversations(world["ana"], 1)[0], "duplicate charge, still open")
    Conversation.objects.filter(pk=still_open.pk).update(closed_at=None)

    _, page = search(client, world["lead"], q="duplicate")

    assert page.index(reverse("reviews:conversation", args=[world["refund"].pk])) < page.index(
        reverse("reviews:conversation", args=[still_open.pk])
    )


def test_an_agent_with_reviews_to_do_still_finds_their_own_reviewed_conversations(client, world):
    week = week_assign(team=world["team"])
    theirs = Assignment.objects.filter(week=week, reviewee=world["ben"], role=Assignment.Role.FIRST).first()
    services.review_submit(assignment=theirs, answers=answers())
    # A second opinion of it still to come, by someone else.
    Assignment.objects.filter(conversation=theirs.conversation, role=Assignment.Role.SECOND).delete()
    Assignment.objects.create(
        week=week,
        reviewer=Agent.objects.filter(team=world["team"]).exclude(pk__in=[theirs.reviewer_id, world["ben"].pk]).first(),
        conversation=theirs.conversation,
        reviewee=world["ben"],
        role=Assignment.Role.SECOND,
    )
    done = Assignment.objects.filter(week=week, reviewer=world["ben"], role=Assignment.Role.FIRST).first()
    services.review_submit(assignment=done, answers=answers())
    assert Assignment.objects.filter(reviewer=world["ben"], status="assigned").exists()

    _, page = search(client, world["ben"].user, reviewed="yes")

    assert found(page, theirs.conversation)
    assert found(page, done.conversation)


def test_leads_find_what_their_weeks_handed_out_and_nothing_of_other_teams(client, world):
    week = week_assign(team=world["team"])
    moved = Assignment.objects.filter(week=week).exclude(conversation=world["refund"]).first().conversation
    Conversation.objects.filter(pk=moved.pk).update(team=world["other"].team)
    week_assign(team=world["other"].team)

    _, leads = search(client, world["lead"])
    _, other_leads = search(client, world["other_lead"], q="duplicate")

    assert found(leads, moved)
    assert not found(other_leads, world["refund"])
    assert 'href="/conversations/' not in other_leads


def test_a_lead_who_answers_conversations_searches_the_whole_team(client, world):
    world["team"].leads.add(world["ben"].user)

    _, page = search(client, world["ben"].user, q="duplicate")

    assert found(page, world["refund"])  # Ana's


def test_names_are_hidden_only_while_the_team_reviews_blind_and_the_review_is_to_do(client, world):
    from reviews.models import TeamSettings

    settings = TeamSettings.objects.create(team=world["team"], second_opinion_percent=0)
    week = week_assign(team=world["team"])
    mine = Assignment.objects.filter(week=week, reviewer=world["ben"]).select_related("reviewee").first()
    url = reverse("reviews:conversation", args=[mine.conversation_id])

    def handler_shown() -> bool:
        _, page = search(client, world["ben"].user)
        return f"<td>{mine.reviewee.name}</td>" in page[page.index(url) :].split("</tr>")[0]

    assert handler_shown()  # not a blind team
    settings.blind_reviewee = True
    settings.save()
    assert not handler_shown()
    services.review_submit(assignment=mine, answers=answers())
    assert handler_shown()  # reviewed: as on the conversation page


def test_search_is_refused_in_plain_words(client, django_user_model, db):
    nobody = django_user_model.objects.create_user("x@ledgerly.example", email="x@ledgerly.example", password="pw")
    client.force_login(nobody)

    response = client.get(reverse("reviews:search"))

    assert response.status_code == 404 and "<p>Search is for agents and leads.</p>" in response.content.decode()


def test_the_newest_first_index_survives_the_migrations(db):
    # Raw SQL (it differs between the databases), so a later migration that rebuilds the table
    # on SQLite must put it back; search's first page walks it.
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "conversations_conversation")
    assert "conversation_newest_closed" in indexes
