"""Review workflows: submit and edit a review, acknowledge it, reply, highlight."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Agent, Conversation

from ..models import (
    NOTE_MAX_LENGTH,
    Assignment,
    AuditEvent,
    Criterion,
    Helpfulness,
    Rating,
    Review,
    ReviewComment,
    Scorecard,
    SelfRating,
    SelfReview,
    level_score,
)
from ..scorecards import SCORECARD_PREFETCH, RatingAnswer, criterion_spec, review_score
from .quota import assignment_complete, team_settings_get
from .scorecards import scorecard_current


class ReviewError(Exception):
    """A request the review rules refuse; the message is shown to the user."""


def _scorecard_of(review: Review) -> Scorecard:
    return Scorecard.objects.prefetch_related(*SCORECARD_PREFETCH).get(pk=review.scorecard_id)


def _rating_changes(
    criteria: list[Criterion], before: dict[int, Rating], after: dict[int, RatingAnswer]
) -> dict[str, list[Any]]:
    """{'quality': ['Good', 'Exceptional'], 'quality_note': [...]}: what an edit changed."""
    changes: dict[str, list[Any]] = {}
    for criterion in criteria:
        spec = criterion_spec(criterion)
        old, new = before.get(criterion.pk), after[criterion.pk]
        if old is None or old.level != new.level:
            changes[criterion.key] = [spec.label_of(old.level) if old else None, spec.label_of(new.level)]
        if (old.note if old else "") != new.note:
            changes[f"{criterion.key}_note"] = [old.note if old else "", new.note]
        old_causes = sorted(cause.position for cause in old.root_causes.all()) if old else []
        if old_causes != list(new.causes):
            changes[f"{criterion.key}_causes"] = [
                [spec.root_causes[position - 1] for position in old_causes],
                [spec.root_causes[position - 1] for position in new.causes],
            ]
    return changes


def _answers_checked(criteria: list[Criterion], ratings: dict[str, RatingAnswer]) -> dict[int, RatingAnswer]:
    """The answers by criterion, once each is a level the criterion's scale has."""
    if set(ratings) != {criterion.key for criterion in criteria}:
        raise ReviewError(
            "The team's scorecard changed while you were writing this review: your answers are still in the "
            "form; check them against the criteria shown and submit again."
        )
    checked = {}
    for criterion in criteria:
        answer = ratings[criterion.key]
        if answer.level is None and not criterion.allow_na:
            raise ReviewError(f"{criterion.name} cannot be N/A: choose a level.")
        if answer.level is not None and not 1 <= answer.level <= criterion.size:
            raise ReviewError(f"{criterion.name} has no level {answer.level}.")
        causes = answer.causes if criterion.is_low(answer.level) else ()
        if any(not 1 <= position <= len(criterion.root_causes.all()) for position in causes):
            raise ReviewError(f"{criterion.name} has no such root cause.")
        checked[criterion.pk] = RatingAnswer(answer.level, answer.note, tuple(sorted(set(causes))))
    return checked


def review_submit(
    *, assignment: Assignment, answers: dict[str, Any], now: datetime | None = None, actor: User | None = None
) -> Review:
    """Create the assignment's review, or update it while the week is open, in the same number
    of queries whatever the number of criteria.

    A second submission of the same form (double click, two tabs) lands on the same row. A
    new review is made with the team's current scorecard; an edit keeps the review's own.
    `answers["ratings"]` holds a RatingAnswer per criterion key.
    """
    now = now or timezone.now()
    if not assignment.is_reviewable(now):
        raise ReviewError(
            f"This conversation can no longer be reviewed: it was handed back, or week {assignment.week.label} "
            "has closed."
        )
    values = {field: answers[field] for field in Review.ANSWER_FIELDS}
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(assignment=assignment).first()
        if review is not None and review.disputes.exists():
            raise ReviewError(
                "This review is disputed, so its ratings are settled by the dispute, not by an edit: reply on the "
                "review to add anything."
            )
        scorecard = _scorecard_of(review) if review else scorecard_current(team=assignment.week.team, now=now)
        criteria = list(scorecard.criteria.all())
        checked = _answers_checked(criteria, answers["ratings"])
        score = review_score((criterion_spec(criterion), checked[criterion.pk].level) for criterion in criteria)
        created = False
        if review is None:
            team_settings = team_settings_get(team=assignment.week.team)
            try:
                with transaction.atomic():
                    review = Review.objects.create(
                        assignment=assignment,
                        conversation_id=assignment.conversation_id,
                        reviewer_id=assignment.reviewer_id,
                        reviewee_id=assignment.reviewee_id,
                        scorecard=scorecard,
                        score=score,
                        anonymous=team_settings.anonymous_reviewer,
                        self_review_first=team_settings.self_review_first,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
            except IntegrityError:
                # Saved by the other tab a moment ago: this submission edits it.
                review = Review.objects.select_for_update().get(assignment=assignment)
                if review.scorecard_id != scorecard.pk:
                    raise ReviewError(
                        "This review was just saved with another version of the scorecard: open it again to see it."
                    ) from None
            else:
                created = True
                _audit(actor, AuditEvent.Action.REVIEW_CREATED, review, {})
                if review.share_as_example:
                    _audit(actor, AuditEvent.Action.HIGHLIGHT_SHARED, review, {})
        before = (
            {}
            if created
            else {rating.criterion_id: rating for rating in review.ratings.prefetch_related("root_causes")}
        )
        rating_changes = _rating_changes(criteria, before, checked)
        if rating_changes:
            _ratings_replace(review, criteria, checked, fresh=created)
        changes = {
            field: [getattr(review, field), value] for field, value in values.items() if getattr(review, field) != value
        }
        if not created and (changes or rating_changes):
            for field, value in values.items():
                setattr(review, field, value)
            review.score = score
            review.updated_at = now
            review.save(update_fields=[*Review.ANSWER_FIELDS, "score", "updated_at"])
            _audit(actor, AuditEvent.Action.REVIEW_EDITED, review, {**rating_changes, **changes})
            if "share_as_example" in changes:
                shared = (
                    AuditEvent.Action.HIGHLIGHT_SHARED
                    if review.share_as_example
                    else AuditEvent.Action.HIGHLIGHT_UNSHARED
                )
                _audit(actor, shared, review, {})
        assignment_complete(assignment=assignment, now=now)
    return review


def _ratings_replace(
    review: Review, criteria: list[Criterion], answers: dict[int, RatingAnswer], *, fresh: bool
) -> None:
    """The review's ratings written afresh: the same few queries for any number of criteria.
    `fresh`: a review just made, with none to remove."""
    if not fresh:
        Rating.objects.filter(review=review).delete()
    ratings = Rating.objects.bulk_create(
        [
            Rating(
                review=review,
                criterion=criterion,
                level=(level := answers[criterion.pk].level),
                score=None if level is None else level_score(level, criterion.size),
                note=answers[criterion.pk].note,
            )
            for criterion in criteria
        ]
    )
    causes = {
        (criterion.pk, cause.position): cause.pk for criterion in criteria for cause in criterion.root_causes.all()
    }
    Rating.root_causes.through.objects.bulk_create(
        [
            Rating.root_causes.through(rating_id=rating.pk, rootcause_id=causes[(criterion.pk, position)])
            for rating, criterion in zip(ratings, criteria, strict=True)
            for position in answers[criterion.pk].causes
        ]
    )


def own_rating_submit(
    *, conversation: Conversation, agent: Agent, ratings: dict[str, RatingAnswer], now: datetime | None = None
) -> SelfReview:
    """The agent rates their own conversation on the scorecard its review used, before that
    review is shown to them. Made once: it is the "before" the gap is measured from."""
    review = Review.objects.filter(conversation=conversation, reviewee=agent).order_by("created_at", "id").first()
    if review is None:
        raise ReviewError("This conversation has no review to compare with.")
    scorecard = _scorecard_of(review)
    criteria = list(scorecard.criteria.all())
    checked = _answers_checked(criteria, ratings)
    try:
        with transaction.atomic():
            own = SelfReview.objects.create(
                conversation=conversation, agent=agent, scorecard=scorecard, created_at=now or timezone.now()
            )
            SelfRating.objects.bulk_create(
                [
                    SelfRating(
                        self_review=own,
                        criterion=criterion,
                        level=checked[criterion.pk].level,
                        note=checked[criterion.pk].note,
                    )
                    for criterion in criteria
                ]
            )
    except IntegrityError:
        raise ReviewError("You rated this conversation already: your rating and the review are shown.") from None
    return own


def review_acknowledge(*, review: Review, now: datetime | None = None) -> None:
    Review.objects.filter(pk=review.pk, seen_at__isnull=True).update(seen_at=now or timezone.now())


def review_helpfulness_rate(*, review: Review, value: int, now: datetime | None = None) -> None:
    """The reviewee says how helpful the review was; they may change their mind. Reading the
    review is implied, so it is marked seen too."""
    if value not in Helpfulness.values:
        raise ReviewError("Choose how helpful the review was.")
    now = now or timezone.now()
    Review.objects.filter(pk=review.pk).update(helpfulness=value, helpfulness_at=now)
    review_acknowledge(review=review, now=now)


def review_comment_add(*, review: Review, author: User, body: str, now: datetime | None = None) -> ReviewComment:
    now = now or timezone.now()
    body = body.strip()
    if not body:
        raise ReviewError("Write something before sending a reply.")
    if len(body) > NOTE_MAX_LENGTH:
        raise ReviewError(f"Keep replies to {NOTE_MAX_LENGTH:,} characters.")
    comment = ReviewComment.objects.create(review=review, author=author, body=body, created_at=now)
    if review.reviewee.user_id == author.pk:
        review_acknowledge(review=review, now=now)  # a reply from the person reviewed shows they read it
    return comment


def highlight_unshare(*, review: Review, user: User, now: datetime | None = None) -> None:
    with transaction.atomic():
        unshared = Review.objects.filter(pk=review.pk, unshared_at__isnull=True).update(
            unshared_at=now or timezone.now(), unshared_by=user
        )
        if unshared:
            _audit(user, AuditEvent.Action.HIGHLIGHT_UNSHARED, review, {})


def review_delete(*, review: Review, actor: User) -> None:
    """Staff removing a review written in error (in the admin); what it said stays on record."""
    with transaction.atomic():
        _audit(
            actor,
            AuditEvent.Action.REVIEW_DELETED,
            review,
            {
                "conversation": str(review.conversation),
                "reviewer": review.reviewer.name,
                "reviewee": review.reviewee.name,
                **{field: getattr(review, field) for field in Review.ANSWER_FIELDS},
                "score": review.score,
                **{
                    rating.criterion.key: [rating.label, rating.note]
                    for rating in review.ratings.select_related("criterion").prefetch_related("criterion__levels")
                },
            },
        )
        # Not done any more: the conversation is the reviewer's to review again.
        Assignment.objects.filter(pk=review.assignment_id).update(status=Assignment.Status.ASSIGNED, completed_at=None)
        review.delete()  # the event keeps its record; its link to the review becomes empty


def review_comment_delete(*, comment: ReviewComment, actor: User) -> None:
    with transaction.atomic():
        _audit(
            actor,
            AuditEvent.Action.REPLY_DELETED,
            comment.review,
            {
                "author": comment.author.get_username(),
                "written_at": comment.created_at.isoformat(),
                "body": comment.body,
            },
        )
        comment.delete()


def _audit(actor: User | None, action: str, review: Review, changes: dict[str, Any]) -> None:
    AuditEvent.objects.create(actor=actor, action=action, review=review, changes=changes)
