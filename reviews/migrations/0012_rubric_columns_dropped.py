from django.db import migrations


class Migration(migrations.Migration):
    """The rubric's and reviews' fixed columns, now held as criteria and ratings (0011)."""

    dependencies = [("reviews", "0011_rubrics_and_reviews_into_criteria")]

    operations = [
        migrations.RemoveConstraint(
            model_name="review",
            name="review_quality_level_valid",
        ),
        migrations.RemoveConstraint(
            model_name="review",
            name="review_tone_level_valid",
        ),
        migrations.RemoveField(
            model_name="review",
            name="followed_process",
        ),
        migrations.RemoveField(
            model_name="review",
            name="process_note",
        ),
        migrations.RemoveField(
            model_name="review",
            name="quality",
        ),
        migrations.RemoveField(
            model_name="review",
            name="quality_note",
        ),
        migrations.RemoveField(
            model_name="review",
            name="tone",
        ),
        migrations.RemoveField(
            model_name="review",
            name="tone_note",
        ),
        migrations.RemoveField(
            model_name="scorecard",
            name="process_checklist",
        ),
        migrations.RemoveField(
            model_name="scorecard",
            name="quality_exceptional",
        ),
        migrations.RemoveField(
            model_name="scorecard",
            name="quality_good",
        ),
        migrations.RemoveField(
            model_name="scorecard",
            name="quality_needs_improvement",
        ),
        migrations.RemoveField(
            model_name="scorecard",
            name="tone_exceptional",
        ),
        migrations.RemoveField(
            model_name="scorecard",
            name="tone_good",
        ),
        migrations.RemoveField(
            model_name="scorecard",
            name="tone_needs_improvement",
        ),
    ]
