"""Spotlight measures for recent conversations stored before them (0010 added the fields).

Not atomic: each thousand is committed on its own, so the sync and the pages are never held
up behind one long transaction on a big table."""

from datetime import timedelta

from django.db import migrations, transaction
from django.utils import timezone
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Older conversations are outside any team's look-back: no batch will read their measures.
BACKFILL_DAYS = 90
# What conversations.spotlight measures, as it stood when this migration was made.
SENTIMENT_MESSAGES, SENTIMENT_MESSAGE_MAX = 2, 400


def customer_sentiment(analyzer, bodies):
    said = [body for body in bodies if body.strip()][:SENTIMENT_MESSAGES]
    scores = [analyzer.polarity_scores(body[:SENTIMENT_MESSAGE_MAX])["compound"] for body in said]
    return round(min(scores), 3) if scores else None


def back_and_forths(kinds):
    turns, waiting = 0, False
    for kind in kinds:
        if kind == "customer":
            waiting = True
        elif kind == "agent" and waiting:
            turns, waiting = turns + 1, False
    return turns


def measures_fill(apps, schema_editor):
    """Recent conversations stored before spotlight sampling, from their stored messages, a
    thousand at a time."""
    Conversation = apps.get_model("conversations", "Conversation")
    Message = apps.get_model("conversations", "Message")
    analyzer = SentimentIntensityAnalyzer()
    recent = Conversation.objects.filter(closed_at__gte=timezone.now() - timedelta(days=BACKFILL_DAYS))
    last = 0
    while True:
        batch = list(recent.filter(pk__gt=last).order_by("pk").only("pk")[:1000])
        if not batch:
            break
        messages: dict[int, list[tuple[str, str]]] = {}
        for conversation_id, kind, body in (
            Message.objects.filter(conversation__in=batch)
            .order_by("conversation_id", "created_at", "id")
            .values_list("conversation_id", "author_kind", "body_text")
        ):
            messages.setdefault(conversation_id, []).append((kind, body))
        for conversation in batch:
            mine = messages.get(conversation.pk, [])
            conversation.customer_sentiment = customer_sentiment(
                analyzer, (body for kind, body in mine if kind == "customer")
            )
            conversation.back_and_forths = min(back_and_forths(kind for kind, _ in mine), 32767)
        with transaction.atomic():
            Conversation.objects.bulk_update(batch, ["customer_sentiment", "back_and_forths"])
        last = batch[-1].pk



class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("conversations", "0010_spotlight_measures"),
    ]

    operations = [
        migrations.RunPython(measures_fill, migrations.RunPython.noop, elidable=True),
    ]
