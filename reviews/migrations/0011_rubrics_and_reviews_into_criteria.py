"""Every rubric version becomes a scorecard version of three criteria (Quality, Tone, Followed
internal processes) with its own definitions, and every review's three answers become three
ratings with their notes and scores. Nothing is dropped until 0012, after this has run."""

import re

from django.db import migrations

LEVELS = ["Needs improvement", "Good", "Exceptional"]
BATCH = 2000


def _steps(checklist: str) -> list[str]:
    """ "Verified the identity; tagged it." -> the checklist's steps, each a root cause."""
    steps = [step.strip().rstrip(".").strip() for step in re.split(r"[;\n]", checklist)]
    return [step[:1].upper() + step[1:] for step in steps if step][:20]


def forwards(apps, schema_editor):
    Scorecard = apps.get_model("reviews", "Scorecard")
    Criterion = apps.get_model("reviews", "Criterion")
    CriterionLevel = apps.get_model("reviews", "CriterionLevel")
    RootCause = apps.get_model("reviews", "RootCause")
    Review = apps.get_model("reviews", "Review")
    Rating = apps.get_model("reviews", "Rating")

    criteria: dict[tuple[int, str], int] = {}
    for scorecard in Scorecard.objects.order_by("pk").iterator():
        made = Criterion.objects.bulk_create(
            [
                Criterion(
                    scorecard=scorecard,
                    key="quality",
                    name="Quality",
                    description="accuracy and completeness",
                    position=1,
                    scale="three_point",
                ),
                Criterion(
                    scorecard=scorecard,
                    key="tone",
                    name="Tone",
                    description="empathy and professionalism",
                    position=2,
                    scale="three_point",
                ),
                Criterion(
                    scorecard=scorecard,
                    key="process",
                    name="Followed internal processes",
                    description=scorecard.process_checklist,
                    position=3,
                    scale="yes_no",
                ),
            ]
        )
        quality, tone, process = made
        definitions = {
            quality: [scorecard.quality_needs_improvement, scorecard.quality_good, scorecard.quality_exceptional],
            tone: [scorecard.tone_needs_improvement, scorecard.tone_good, scorecard.tone_exceptional],
        }
        CriterionLevel.objects.bulk_create(
            [
                CriterionLevel(criterion=criterion, value=value, label=LEVELS[value - 1], definition=text)
                for criterion, texts in definitions.items()
                for value, text in enumerate(texts, start=1)
            ]
            + [
                CriterionLevel(criterion=process, value=1, label="No"),
                CriterionLevel(criterion=process, value=2, label="Yes"),
            ]
        )
        RootCause.objects.bulk_create(
            [
                RootCause(criterion=process, label=step, position=position)
                for position, step in enumerate(_steps(scorecard.process_checklist), start=1)
            ]
        )
        for criterion in made:
            criteria[(scorecard.pk, criterion.key)] = criterion.pk

    last = 0
    while True:
        reviews = list(
            Review.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk", "scorecard_id", "quality", "quality_note", "tone", "tone_note", "followed_process", "process_note"
            )[:BATCH]
        )
        if not reviews:
            break
        ratings, scores = [], []
        for pk, scorecard_id, quality, quality_note, tone, tone_note, followed, process_note in reviews:
            process = 2 if followed else 1
            for key, level, size, note in (
                ("quality", quality, 3, quality_note),
                ("tone", tone, 3, tone_note),
                ("process", process, 2, process_note),
            ):
                ratings.append(
                    Rating(
                        review_id=pk,
                        criterion_id=criteria[(scorecard_id, key)],
                        level=level,
                        score=100 * (level - 1) / (size - 1),
                        note=note,
                    )
                )
            # Three criteria of weight 1, none critical: the mean of the three places.
            score = (50 * (quality - 1) + 50 * (tone - 1) + 100 * (process - 1)) / 3
            scores.append(Review(pk=pk, score=score))
        Rating.objects.bulk_create(ratings)
        Review.objects.bulk_update(scores, ["score"])
        last = reviews[-1][0]


class Migration(migrations.Migration):
    dependencies = [("reviews", "0010_scorecard_criteria")]

    # Backwards only as far as an empty database: 0012's columns cannot be refilled from rows
    # a lead may since have given other criteria.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
