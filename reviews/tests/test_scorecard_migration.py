"""Migrations 0009-0012: every rubric version and every review written before scorecards
became data comes through whole, on data spanning two rubric versions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reviews import selectors
from reviews.models import Rating, Review, Scorecard

BEFORE = [("reviews", "0008_people_invitations_and_absences")]
WHEN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema(transactional_db):
    """The database as it was at 0008, and back to the latest afterwards for the next test."""
    apps = _migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_reviews(apps):
    """A team with two rubric versions (the second with its own wording and checklist) and a
    review on each, one finding the processes followed and one not."""
    team = apps.get_model("conversations", "Team").objects.create(name="Billing", source="file", external_id="b")
    agent_model = apps.get_model("conversations", "Agent")
    ana = agent_model.objects.create(source="file", external_id="ana", name="Ana", team=team)
    ben = agent_model.objects.create(source="file", external_id="ben", name="Ben", team=team)
    week = apps.get_model("reviews", "ReviewWeek").objects.create(
        team=team, label="2026-W45", starts_at=WHEN, ends_at=WHEN + timedelta(days=7), seed=1
    )
    rubric = apps.get_model("reviews", "Rubric")
    first = rubric.objects.create(team=team, version=1)
    second = rubric.objects.create(
        team=team,
        version=2,
        quality_good="Correct and clearly put.",
        process_checklist="Checked the account first; escalated billing disputes.",
    )
    made = []
    for number, (version, quality, tone, followed) in enumerate([(first, 3, 2, True), (second, 1, 3, False)]):
        conversation = apps.get_model("conversations", "Conversation").objects.create(
            source="file", external_id=str(number), team=team, assignee=ben, created_at=WHEN, updated_at=WHEN
        )
        assignment = apps.get_model("reviews", "Assignment").objects.create(
            week=week, reviewer=ana, reviewee=ben, conversation=conversation, status="completed", completed_at=WHEN
        )
        made.append(
            apps.get_model("reviews", "Review")
            .objects.create(
                assignment=assignment,
                conversation=conversation,
                reviewer=ana,
                reviewee=ben,
                rubric=version,
                quality=quality,
                quality_note=f"Quality note {number}",
                tone=tone,
                tone_note=f"Tone note {number}",
                followed_process=followed,
                process_note="" if followed else "Skipped the account check.",
                share_as_example=number == 0,
            )
            .pk
        )
    return made


def test_rubric_versions_and_every_review_come_through_whole(old_schema):
    """One migration for both checks: going back to 0008 and forward costs seconds."""
    kept, failed = _old_reviews(old_schema)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # Each rubric version is a scorecard version with its own wording.
    first, second = (
        selectors.scorecard_of_review(Review.objects.with_people().with_ratings().get(scorecard__version=version))
        for version in (1, 2)
    )
    assert [criterion.name for criterion in second.criteria] == ["Quality", "Tone", "Followed internal processes"]
    assert [level.label for level in second.criteria[0].levels] == ["Needs improvement", "Good", "Exceptional"]
    assert second.criteria[0].levels[1].definition == "Correct and clearly put."
    assert first.criteria[0].levels[1].definition.startswith("Accurate and complete")
    # The checklist's steps become the process criterion's root causes, each version its own.
    assert second.criteria[2].root_causes == ("Checked the account first", "Escalated billing disputes")
    assert len(first.criteria[2].root_causes) == 4
    assert [level.label for level in second.criteria[2].shown_levels] == ["Yes", "No"]
    assert Scorecard.objects.count() == 2

    # Each review keeps its levels and notes, and gets its score.
    ratings = {
        (rating.review_id, rating.criterion.key): (rating.label, rating.note, rating.score)
        for rating in Rating.objects.select_related("criterion").prefetch_related("criterion__levels")
    }
    assert ratings[(kept, "quality")] == ("Exceptional", "Quality note 0", 100)
    assert ratings[(kept, "tone")] == ("Good", "Tone note 0", 50)
    assert ratings[(kept, "process")] == ("Yes", "", 100)
    assert ratings[(failed, "quality")] == ("Needs improvement", "Quality note 1", 0)
    assert ratings[(failed, "process")] == ("No", "Skipped the account check.", 0)
    assert Review.objects.get(pk=kept).score == pytest.approx(250 / 3)
    assert Review.objects.get(pk=failed).score == pytest.approx(100 / 3)
    assert Review.objects.get(pk=kept).share_as_example
