from django.db import migrations, models

# What conversations.services.search_text writes, as it stood when this migration was made.
SEARCH_TEXT_MAX = 100_000
INDEX = "conversation_search"


def search_text_fill(apps, schema_editor):
    """Conversations stored before search: their text from what is stored, a thousand at a time."""
    Conversation = apps.get_model("conversations", "Conversation")
    Message = apps.get_model("conversations", "Message")
    last = 0
    while True:
        batch = list(
            Conversation.objects.filter(pk__gt=last).order_by("pk").only("pk", "subject", "tags", "csat_remark")[:1000]
        )
        if not batch:
            break
        bodies: dict[int, list[str]] = {}
        for conversation_id, body in (
            Message.objects.filter(conversation__in=batch)
            .order_by("conversation_id", "created_at", "id")
            .values_list("conversation_id", "body_text")
        ):
            bodies.setdefault(conversation_id, []).append(body)
        for conversation in batch:
            parts = [conversation.subject, " ".join(conversation.tags or []), conversation.csat_remark]
            conversation.search_text = "\n".join(parts + bodies.get(conversation.pk, []))[:SEARCH_TEXT_MAX]
        Conversation.objects.bulk_update(batch, ["search_text"])
        last = batch[-1].pk


def index_create(apps, schema_editor):
    # PostgreSQL only: a GIN index over the English text-search document, the same expression
    # reviews.search queries. Not in the model's Meta, so that SQLite's table rebuilds never
    # try to make it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON conversations_conversation "
            "USING gin (to_tsvector('english'::regconfig, search_text))"
        )


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0006_onboarding_ramp"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="search_text",
            field=models.TextField(blank=True, default="", db_default="", editable=False),
        ),
        migrations.RunPython(search_text_fill, migrations.RunPython.noop),
        migrations.RunPython(index_create, index_drop),
    ]
