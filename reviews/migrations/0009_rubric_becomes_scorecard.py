from django.db import migrations


class Migration(migrations.Migration):
    """A rubric version becomes a scorecard version; its criteria move into rows (0010, 0011)."""

    dependencies = [
        ("conversations", "0001_initial"),
        ("reviews", "0008_people_invitations_and_absences"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="rubric", name="rubric_unique_version_per_team"),
        migrations.RenameModel(old_name="Rubric", new_name="Scorecard"),
        migrations.RenameField(model_name="review", old_name="rubric", new_name="scorecard"),
    ]
