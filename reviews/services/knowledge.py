"""Publishing a highlight to the helpdesk's knowledge base: an Intercom internal article."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from conversations.helpdesks.errors import HelpdeskAuthError, HelpdeskError
from conversations.helpdesks.intercom import IntercomClient
from conversations.models import Agent, Source
from conversations.services import intercom_publisher

from ..knowledge import article_draft
from ..models import PublishedArticle, Review


class KnowledgeError(Exception):
    """Why a highlight was not published, in words a lead acts on."""


def article_publish(
    *, review: Review, by: User, client: IntercomClient | None = None, now: datetime | None = None
) -> PublishedArticle:
    """Publish the highlight's draft (`knowledge.article_draft`) as an Intercom internal article
    written by the lead's Intercom teammate. Once per highlight."""
    author = Agent.objects.filter(user=by, source=Source.INTERCOM).first()
    if author is None or not author.external_id.isdigit():
        raise KnowledgeError(
            "Intercom needs an author for the article: your Carousel account is not linked to an Intercom teammate."
        )
    with transaction.atomic():
        # Two leads pressing Publish at once: the second waits here, then finds the first's.
        Review.objects.select_for_update().filter(pk=review.pk).first()
        published = PublishedArticle.objects.filter(review=review).first()
        if published is not None:
            raise KnowledgeError(f"Already published as Intercom internal article {published.external_id}.")
        draft = article_draft(review, review.conversation.messages.order_by("created_at", "id"))
        client = client or intercom_publisher()
        try:
            article_id = client.internal_article_create(
                title=draft.title, body=draft.html, author_id=int(author.external_id)
            )
        except HelpdeskAuthError:
            raise KnowledgeError(
                "Intercom refused to publish: the token in INTERCOM_ACCESS_TOKEN needs permission to write articles."
            ) from None
        except HelpdeskError as exc:
            raise KnowledgeError(f"Not published: {exc}") from None
        finally:
            client.close()
        return PublishedArticle.objects.create(
            review=review,
            source=Source.INTERCOM,
            external_id=article_id,
            title=draft.title,
            published_by=by,
            published_at=now or timezone.now(),
        )
