from django.db import migrations


def links_drop(apps, schema_editor):
    # Links stored before ingest checked them: anything but http(s) (javascript:, data:) is no link.
    Conversation = apps.get_model("conversations", "Conversation")
    Conversation.objects.exclude(url="").exclude(url__istartswith="http://").exclude(
        url__istartswith="https://"
    ).update(url="")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0004_attachments_truncation_and_sync_warnings")]

    operations = [migrations.RunPython(links_drop, migrations.RunPython.noop)]
