from django.db import migrations

INDEX = "conversation_newest_closed"


def index_create(apps, schema_editor):
    # Search lists the newest closed first and open conversations last; walking this finds a
    # common word's first page at once. PostgreSQL puts NULLs first in a descending index unless
    # told; SQLite cannot be told, and sorts its few open ones itself. Not in the model's Meta,
    # since the two differ.
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {INDEX} ON conversations_conversation (closed_at DESC{nulls}, id DESC)")


def index_drop(apps, schema_editor):
    # SQLite loses the index when a later migration rebuilds the table (0010 puts it back).
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0008_conversation_included_anyway"),
    ]

    operations = [migrations.RunPython(index_create, index_drop)]
