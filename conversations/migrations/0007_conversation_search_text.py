from django.db import migrations, models

# What conversations.services.search_text writes, as it stood when this migration was made.
SEARCH_TEXT_MAX = 100_000


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


def document_add(apps, schema_editor):
    # PostgreSQL only: the English text-search document of search_text, kept by the database
    # itself (a stored generated column) with a GIN index; reviews.search reads it. A stored
    # document, not an expression index: the planner never has to run to_tsvector over every
    # row for a common word. Unknown to the model, so SQLite's table rebuilds never meet it.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE conversations_conversation ADD COLUMN search_document tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, search_text)) STORED"
        )
        schema_editor.execute(
            "CREATE INDEX conversation_search ON conversations_conversation USING gin (search_document)"
        )


def document_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE conversations_conversation DROP COLUMN search_document")


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
        migrations.RunPython(document_add, document_drop),
    ]
