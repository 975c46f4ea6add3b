"""The highlights library: filters, a highlight as a knowledge-base draft with the customer's
details left out, and publishing it as an Intercom internal article (against the local fake
Intercom, in the 2.16 description's shapes)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from conversations.models import Agent, Message
from conversations.tests.fake_intercom import TOKEN
from reviews.knowledge import article_draft
from reviews.models import Assignment, PublishedArticle, Review, TeamSettings
from reviews.services import review_submit, week_assign
from reviews.tests.factories import MONDAY, answers

pytestmark = pytest.mark.django_db

CUSTOMER = "Jordan Lee-Smith"


@pytest.fixture
def library(team_of_five, build, monday, django_user_model):
    """Two highlights of the team (one on a tagged conversation, with a transcript) and one
    ordinary review; a lead."""
    builder, agents = team_of_five
    TeamSettings.objects.create(team=builder.team, second_opinion_percent=0)
    week = week_assign(team=builder.team)
    first, second, third = Assignment.objects.filter(week=week).select_related("conversation")[:3]
    first.conversation.tags = ["refund", "vip"]
    first.conversation.subject = "Refund for Jordan's double charge"
    first.conversation.save()
    at = MONDAY - timedelta(days=3)
    for number, (kind, name, body) in enumerate(
        [
            ("customer", CUSTOMER, "Hi, I'm Jordan. Charged twice! Card 4111 1111 1111 1111, mail jordan@example.com"),
            ("note", "", "Stripe shows two charges for Jordan; refund the second."),
            (
                "agent",
                "Ana",
                "Sorry Jordan, refunded the second charge: see https://pay.example.com/r/991 <b>today</b>",
            ),
            ("customer", CUSTOMER, "Thanks! Call me on +44 20 7946 0958 if needed."),
        ]
    ):
        Message.objects.create(
            conversation=first.conversation,
            external_id=f"m{number}",
            author_kind=kind,
            author_name=name,
            created_at=at + timedelta(minutes=number),
            body_text=body,
        )
    shared = review_submit(
        assignment=first,
        answers=answers(quality=3, tone=3, quality_note="Refunded before Jordan asked twice.", share_as_example=True),
    )
    plain = review_submit(
        assignment=second, answers=answers(quality=2, tone=3, tone_note="Warm.", share_as_example=True)
    )
    review_submit(assignment=third, answers=answers())
    lead = django_user_model.objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    other = build("Other")
    return {"team": builder.team, "shared": shared, "plain": plain, "lead": lead, "agents": agents, "other": other}


def draft(review):
    review = Review.objects.with_people().with_ratings().get(pk=review.pk)
    return article_draft(review, review.conversation.messages.order_by("created_at", "id"))


def test_the_draft_leaves_out_the_customers_details_and_the_internal_notes(library):
    article = draft(library["shared"])

    for text in (article.markdown, article.html):
        assert "Jordan" not in text and "Lee" not in text and "Smith" not in text
        assert "4111" not in text and "jordan@example.com" not in text and "7946" not in text
        assert "pay.example.com" not in text
        assert "Stripe shows" not in text  # the internal note
    assert article.title == "Refund for [customer]'s double charge"
    assert "**Customer:** Hi, I'm [customer]. Charged twice! Card [number], mail [email]" in article.markdown
    assert "**Agent:** Sorry [customer], refunded the second charge: see [link] <b>today</b>" in article.markdown
    assert "- **Quality** (Exceptional): Refunded before [customer] asked twice." in article.markdown
    # HTML-escaped: a customer's markup is text, never markup.
    assert "see [link] &lt;b&gt;today&lt;/b&gt;</p>" in article.html
    assert "<li><strong>Quality</strong> (Exceptional): Refunded before [customer] asked twice.</li>" in article.html


def test_the_draft_downloads_as_markdown_or_html_for_the_team(client, library):
    client.force_login(library["agents"][4].user)
    url = reverse("reviews:highlight_article", args=[library["shared"].pk, "md"])

    markdown = client.get(url)
    html = client.get(reverse("reviews:highlight_article", args=[library["shared"].pk, "html"]))
    other = client.get(reverse("reviews:highlight_article", args=[library["shared"].pk, "exe"]))

    assert markdown["Content-Type"] == "text/markdown; charset=utf-8"
    assert markdown["Content-Disposition"] == 'attachment; filename="refund-for-customers-double-charge.md"'
    assert markdown.content.decode().startswith("# Refund for [customer]'s double charge\n")
    assert html["Content-Type"] == "text/html; charset=utf-8"
    assert html.content.decode().startswith("<h1>Refund for [customer]&#x27;s double charge</h1>")
    assert other.status_code == 404


def test_a_review_that_is_not_a_highlight_or_another_teams_has_no_draft(client, library):
    ordinary = Review.objects.exclude(share_as_example=True).get()
    outsider = library["other"].agent("Olga")

    client.force_login(library["lead"])
    assert client.get(reverse("reviews:highlight_article", args=[ordinary.pk, "md"])).status_code == 404
    client.force_login(outsider.user)
    assert client.get(reverse("reviews:highlight_article", args=[library["shared"].pk, "md"])).status_code == 404


def test_the_library_filters_by_criterion_and_level_tag_and_team(client, library):
    client.force_login(library["lead"])
    url = reverse("reviews:highlights")

    def shown(**query):
        page = client.get(url, query).content.decode()
        return {
            review.pk
            for review in (library["shared"], library["plain"])
            if f"/highlights/{review.pk}/article.md" in page
        }

    everything = shown()
    exceptional_quality = shown(rated="quality:3")
    any_tone = shown(rated="tone")
    good_quality = shown(rated="quality:2")
    tagged = shown(tag="vip")
    untagged = shown(tag="nothing-like-it")
    other_team = shown(team=library["other"].team.pk)

    assert everything == {library["shared"].pk, library["plain"].pk}
    assert exceptional_quality == {library["shared"].pk}
    assert any_tone == everything
    assert good_quality == {library["plain"].pk}
    assert tagged == {library["shared"].pk}
    assert untagged == set()
    assert other_team == everything  # a team the lead does not lead is not a choice: ignored


@pytest.fixture
def intercom(settings, fake_intercom, library):
    settings.HELPDESK = "intercom"
    settings.INTERCOM_ACCESS_TOKEN = TOKEN
    settings.INTERCOM_API_BASE = fake_intercom.url
    # The lead is an Intercom admin too.
    Agent.objects.create(source="intercom", external_id="991266252", name="Lee Lead", user=library["lead"])
    return fake_intercom


def publish(client, library, review=None):
    client.force_login(library["lead"])
    response = client.post(reverse("reviews:highlight_publish", args=[(review or library["shared"]).pk]))
    return response, client.get(reverse("reviews:highlights")).content.decode()


def test_a_lead_publishes_a_highlight_as_an_intercom_internal_article_once(client, library, intercom):
    _, page = publish(client, library)
    _, again = publish(client, library)

    assert len(intercom.internal_articles) == 1
    sent = intercom.internal_articles[0]
    assert sent["title"] == "Refund for [customer]'s double charge"
    assert sent["body"] == draft(library["shared"]).html
    assert (sent["author_id"], sent["owner_id"]) == (991266252, 991266252)
    assert ("POST", "/internal_articles") in intercom.log
    published = PublishedArticle.objects.get()
    assert (published.review, published.external_id, published.published_by) == (
        library["shared"],
        "42",
        library["lead"],
    )
    assert "Published as Intercom internal article 42: “Refund for [customer]&#x27;s double charge”." in page
    assert "published as Intercom internal article 42" in again
    assert again.count("Publish to Intercom as an internal article") == 1  # the other highlight's


def test_a_rejected_token_is_told_in_words_and_nothing_is_recorded(client, library, intercom):
    intercom.fail("POST", "/internal_articles", "401")

    _, page = publish(client, library)

    assert "Intercom refused to publish: the token in INTERCOM_ACCESS_TOKEN needs permission to write articles." in page
    assert not PublishedArticle.objects.exists()


def test_a_server_error_is_not_retried_so_nothing_is_published_twice(client, library, intercom):
    intercom.fail("POST", "/internal_articles", "500")

    _, page = publish(client, library)

    assert intercom.log.count(("POST", "/internal_articles")) == 1
    assert "Not published: Intercom did not answer properly (HTTP 500)" in page
    assert "Intercom may have created the article all the same: look among its internal articles" in page
    assert not PublishedArticle.objects.exists()


def test_a_lead_without_an_intercom_teammate_is_told_why(client, library, intercom):
    Agent.objects.filter(user=library["lead"]).delete()

    _, page = publish(client, library)

    assert (
        "Intercom needs an author for the article: your Carousel account is not linked to an Intercom teammate." in page
    )
    assert intercom.internal_articles == []


def test_agents_and_workspaces_not_on_intercom_do_not_publish(client, library, intercom, settings):
    client.force_login(library["agents"][4].user)
    by_agent = client.post(reverse("reviews:highlight_publish", args=[library["shared"].pk]))
    page = client.get(reverse("reviews:highlights")).content.decode()
    settings.HELPDESK = "zendesk"
    response, lead_page = publish(client, library)

    assert by_agent.status_code == 403
    assert "Publish to Intercom" not in page
    assert response.status_code == 403
    assert "Publish to Intercom" not in lead_page
    assert intercom.internal_articles == []


def test_a_timeout_is_not_retried_and_the_lead_is_told_to_look_in_intercom(client, library, intercom, settings):
    settings.HELPDESK_TIMEOUT_SECONDS = 0.3
    intercom.hang_seconds = 1.0
    intercom.fail("POST", "/internal_articles", "timeout")

    _, page = publish(client, library)

    assert intercom.log.count(("POST", "/internal_articles")) == 1
    assert "Not published: Intercom did not answer properly (ReadTimeout after 0.3s)" in page
    assert "look among its internal articles before publishing it again" in page
    assert not PublishedArticle.objects.exists()


def test_a_publication_under_way_blocks_a_second_until_it_is_stale(client, library, intercom, monday):
    PublishedArticle.objects.create(review=library["shared"], source="intercom", title="Being published")

    _, page = publish(client, library)
    assert "Another lead is publishing it at this moment." in page
    assert "being published to Intercom" in page
    assert intercom.internal_articles == []

    monday.shift(timedelta(minutes=6))  # that one never finished
    publish(client, library)
    assert PublishedArticle.objects.get().external_id == "42"


def test_a_workspace_without_a_token_is_told_it_cannot_publish(client, library, intercom, settings):
    settings.INTERCOM_ACCESS_TOKEN = ""

    _, page = publish(client, library)

    assert "INTERCOM_ACCESS_TOKEN is not set, so Carousel cannot publish to Intercom." in page
    assert not PublishedArticle.objects.exists() and intercom.internal_articles == []
