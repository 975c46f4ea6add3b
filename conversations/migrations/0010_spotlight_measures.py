from django.db import migrations, models

def newest_closed_restore(apps, schema_editor):
    """SQLite rebuilt the table to add the fields above, and a rebuild keeps only the indexes
    the model declares: 0009's search index is put back."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS conversation_newest_closed ON conversations_conversation (closed_at DESC, id DESC)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0009_conversation_newest_closed"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="back_and_forths",
            field=models.PositiveSmallIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="conversation",
            name="customer_sentiment",
            field=models.FloatField(
                blank=True, help_text="How the customer felt, -1 to 1 (VADER); empty if they wrote nothing.", null=True
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="reopens",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="Empty: the helpdesk does not say.", null=True
            ),
        ),
        migrations.RunPython(newest_closed_restore, migrations.RunPython.noop),
    ]
