"""Publishing a highlight to the helpdesk's knowledge base: an Intercom internal article."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.helpdesks.errors import HelpdeskAuthError, HelpdeskError, HelpdeskUnavailable
from conversations.helpdesks.intercom import IntercomClient
from conversations.models import Agent, Source
from conversations.services import intercom_publisher

from ..knowledge import article_draft
from ..models import PublishedArticle, Review


class KnowledgeError(Exception):
    """Why a highlight was not published, in words a lead acts on."""


# A publication that started this long ago and never finished (a crash) no longer blocks one.
PENDING_FOR = timedelta(minutes=5)


def article_publish(
    *, review: Review, by: User, client: IntercomClient | None = None, now: datetime | None = None
) -> PublishedArticle:
    """Publish the highlight's draft (`knowledge.article_draft`) as an Intercom internal article
    written by the lead's Intercom teammate, once per highlight. The row is claimed first and
    Intercom called outside any transaction; a request is never retried, so nothing is
    published twice by Carousel."""
    author = Agent.objects.filter(user=by, source=Source.INTERCOM).first()
    if author is None or not author.external_id.isdigit():
        raise KnowledgeError(
            "Intercom needs an author for the article: your Carousel account is not linked to an Intercom teammate."
        )
    now = now or timezone.now()
    draft = article_draft(review, review.conversation.messages.order_by("created_at", "id"))
    # Built before the claim: a token that is not set leaves nothing claimed.
    client = client or intercom_publisher()
    PublishedArticle.objects.filter(review=review, external_id="", published_at__lt=now - PENDING_FOR).delete()
    try:
        with transaction.atomic():
            claimed = PublishedArticle.objects.create(
                review=review, source=Source.INTERCOM, title=draft.title, published_by=by, published_at=now
            )
    except IntegrityError:
        client.close()
        existing = PublishedArticle.objects.get(review=review)
        if existing.external_id:
            raise KnowledgeError(f"Already published as Intercom internal article {existing.external_id}.") from None
        raise KnowledgeError("Another lead is publishing it at this moment.") from None
    try:
        article_id = client.internal_article_create(
            title=draft.title, body=draft.html, author_id=int(author.external_id)
        )
    except HelpdeskAuthError:
        claimed.delete()
        raise KnowledgeError(
            "Intercom refused to publish: the token in INTERCOM_ACCESS_TOKEN needs permission to write articles."
        ) from None
    except HelpdeskUnavailable as exc:
        claimed.delete()
        raise KnowledgeError(
            f"Not published: {exc} Intercom may have created the article all the same: look among its internal "
            "articles before publishing it again."
        ) from None
    except HelpdeskError as exc:
        claimed.delete()
        raise KnowledgeError(f"Not published: {exc}") from None
    finally:
        client.close()
    claimed.external_id = article_id
    claimed.save(update_fields=["external_id"])
    return claimed
