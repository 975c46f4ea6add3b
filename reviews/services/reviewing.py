"""Review workflows: submit and edit a review, acknowledge it, reply, highlight, rubric versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations.models import Team

from ..models import DEFAULT_RUBRIC, NOTE_MAX_LENGTH, Assignment, AuditEvent, Review, ReviewComment, Rubric
from .quota import assignment_complete

RUBRIC_FIELDS = list(DEFAULT_RUBRIC)


class ReviewError(Exception):
    """A request the review rules refuse; the message is shown to the user."""


def rubric_current(*, team: Team) -> Rubric:
    rubric = Rubric.objects.filter(team=team).order_by("-version").first()
    if rubric is None:
        try:
            with transaction.atomic():
                rubric = Rubric.objects.create(team=team, version=1)
        except IntegrityError:  # another request made version 1 at the same moment
            rubric = Rubric.objects.get(team=team, version=1)
    return rubric


def rubric_update(*, team: Team, user: User, definitions: dict[str, str]) -> Rubric:
    """A changed rubric is a new version; reviews keep pointing at the one they were made with."""
    current = rubric_current(team=team)
    if all(getattr(current, field) == definitions[field] for field in RUBRIC_FIELDS):
        return current
    return Rubric.objects.create(
        team=team, version=current.version + 1, created_by=user, **{f: definitions[f] for f in RUBRIC_FIELDS}
    )


def review_submit(
    *, assignment: Assignment, answers: dict[str, Any], now: datetime | None = None, actor: User | None = None
) -> Review:
    """Create the assignment's review, or update it while the week is open.

    A second submission of the same form (double click, two tabs) lands on the same row.
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
        if review is None:
            try:
                with transaction.atomic():
                    review = Review.objects.create(
                        assignment=assignment,
                        conversation_id=assignment.conversation_id,
                        reviewer_id=assignment.reviewer_id,
                        reviewee_id=assignment.reviewee_id,
                        rubric=rubric_current(team=assignment.week.team),
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
            except IntegrityError:
                review = Review.objects.select_for_update().get(assignment=assignment)
            else:
                _audit(actor, AuditEvent.Action.REVIEW_CREATED, review, {})
                if review.share_as_example:
                    _audit(actor, AuditEvent.Action.HIGHLIGHT_SHARED, review, {})
        changes = {
            field: [getattr(review, field), value] for field, value in values.items() if getattr(review, field) != value
        }
        if changes:
            for field, value in values.items():
                setattr(review, field, value)
            review.updated_at = now
            review.save(update_fields=[*Review.ANSWER_FIELDS, "updated_at"])
            _audit(actor, AuditEvent.Action.REVIEW_EDITED, review, changes)
            if "share_as_example" in changes:
                shared = (
                    AuditEvent.Action.HIGHLIGHT_SHARED
                    if review.share_as_example
                    else AuditEvent.Action.HIGHLIGHT_UNSHARED
                )
                _audit(actor, shared, review, {})
        assignment_complete(assignment=assignment, now=now)
    return review


def review_acknowledge(*, review: Review, now: datetime | None = None) -> None:
    Review.objects.filter(pk=review.pk, seen_at__isnull=True).update(seen_at=now or timezone.now())


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
