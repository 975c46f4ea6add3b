"""Disputes: the reviewee challenges a review (whole or one criterion) within the team's
window; a lead, or a teammate the lead names, upholds it or changes its ratings, with a
reason. The old ratings stay in the dispute and the audit log; the quota is never touched."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from carousel.mail import send_templated_email
from conversations.models import Agent

from ..models import NOTE_MAX_LENGTH, Assignment, AuditEvent, Dispute, Review, SelfReview
from ..scorecards import RatingAnswer, criterion_spec, review_score
from .quota import team_settings_get
from .reviewing import ReviewError, _answers_checked, _audit, _rating_changes, _ratings_replace, _scorecard_of

logger = logging.getLogger(__name__)


class DisputeError(Exception):
    """A request the dispute rules refuse; the message is shown to the user."""


def dispute_deadline(review: Review) -> datetime:
    """Until when the reviewee may dispute the review: the team's window from when it was
    written, or, for one shown only after their own rating, from when they rated."""
    days = team_settings_get(team=review.assignment.week.team).dispute_days
    shown_at = review.created_at
    if review.self_review_first:
        own = SelfReview.objects.filter(conversation_id=review.conversation_id, agent_id=review.reviewee_id).first()
        if own is not None:
            shown_at = max(shown_at, own.created_at)
    return shown_at + timedelta(days=days)


def _reason_checked(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DisputeError("Say in a few words why: it is what the person resolving it reads first.")
    if len(reason) > NOTE_MAX_LENGTH:
        raise DisputeError(f"Keep the reason to {NOTE_MAX_LENGTH:,} characters.")
    return reason


def dispute_open(*, review: Review, by: User, criterion_key: str, reason: str, now: datetime | None = None) -> Dispute:
    """The reviewee disputes the review, or one criterion of it (`criterion_key`, "" for all)."""
    now = now or timezone.now()
    if now > dispute_deadline(review):
        raise DisputeError(
            f"Reviews can be disputed for {team_settings_get(team=review.assignment.week.team).dispute_days} days; "
            "this one's window has closed. Reply to the review instead."
        )
    keys = set(review.ratings.values_list("criterion__key", flat=True))
    if criterion_key and criterion_key not in keys:
        raise DisputeError("That criterion is not on this review.")
    reason = _reason_checked(reason)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                review=review, criterion_key=criterion_key, reason=reason, opened_by=by, opened_at=now
            )
            _audit(by, AuditEvent.Action.DISPUTE_OPENED, review, {"criterion": criterion_key or "whole review"})
    except IntegrityError:
        raise DisputeError("This review is already disputed; its dispute is waiting to be resolved.") from None
    transaction.on_commit(lambda: _notify(dispute, "dispute_opened"))
    return dispute


def dispute_assign(*, dispute: Dispute, resolver: Agent | None, by: User) -> None:
    """A lead names a teammate to resolve the dispute (None: the leads themselves). Never the
    reviewer or the reviewee: they are the two sides of it."""
    review = dispute.review
    if resolver is not None:
        if resolver.user_id is None:
            raise DisputeError(f"{resolver.name} has no Carousel account yet: invite them first.")
        if resolver.pk in (review.reviewer_id, review.reviewee_id):
            raise DisputeError("The reviewer and the person reviewed cannot resolve their own dispute.")
        if resolver.pk in reviewers_of(review):
            raise DisputeError(f"{resolver.name} reviews this conversation too: choose someone who does not.")
    if not dispute.is_open:
        raise DisputeError("This dispute is resolved already.")
    Dispute.objects.filter(pk=dispute.pk).update(resolver_id=resolver.user_id if resolver else None)
    _audit(by, AuditEvent.Action.DISPUTE_ASSIGNED, review, {"resolver": resolver.name if resolver else "the leads"})
    if resolver is not None and resolver.user is not None:
        named = resolver.user
        transaction.on_commit(lambda: _notify(dispute, "dispute_opened", to={named}))


def reviewers_of(review: Review) -> set[int]:
    """Everyone holding this conversation to review (a second opinion among them): never its judge."""
    return set(
        Assignment.objects.active().filter(conversation_id=review.conversation_id).values_list("reviewer_id", flat=True)
    )


def dispute_resolve(
    *,
    dispute: Dispute,
    by: User,
    reason: str,
    ratings: dict[str, RatingAnswer] | None = None,
    now: datetime | None = None,
) -> Dispute:
    """Upheld (`ratings` None) or changed to these ratings, a RatingAnswer per criterion key of
    the review's own scorecard version. A change rewrites the review's ratings and quality
    score; the ratings before are kept in the dispute. The review stays done: the quota
    KPI counts reviews, not their outcome."""
    now = now or timezone.now()
    reason = _reason_checked(reason)
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().select_related("review").get(pk=dispute.pk)
        if not dispute.is_open:
            raise DisputeError("This dispute was resolved a moment ago.")
        review = Review.objects.select_for_update().get(pk=dispute.review_id)
        changes: dict[str, Any] = {}
        if ratings is not None:
            criteria = list(_scorecard_of(review).criteria.all())
            try:
                checked = _answers_checked(criteria, ratings)
            except ReviewError as exc:
                raise DisputeError(str(exc)) from None
            before = {rating.criterion_id: rating for rating in review.ratings.prefetch_related("root_causes")}
            changes = _rating_changes(criteria, before, checked)
            if changes:
                dispute.ratings_before = {
                    criterion.key: before[criterion.pk].level for criterion in criteria if criterion.pk in before
                }
                _ratings_replace(review, criteria, checked, fresh=False)
                review.score = review_score(
                    (criterion_spec(criterion), checked[criterion.pk].level) for criterion in criteria
                )
                review.updated_at = now
                review.save(update_fields=["score", "updated_at"])
        dispute.status = Dispute.Status.CHANGED if changes else Dispute.Status.UPHELD
        dispute.resolution = reason
        dispute.resolved_by = by
        dispute.resolved_at = now
        dispute.save(update_fields=["status", "resolution", "resolved_by", "resolved_at", "ratings_before"])
        _audit(
            by,
            AuditEvent.Action.DISPUTE_RESOLVED,
            review,
            {"outcome": dispute.get_status_display(), "reason": reason, "ratings": changes},
        )
    transaction.on_commit(lambda: _notify(dispute, "dispute_resolved"))
    return dispute


def _notify(dispute: Dispute, template: str, *, to: set[User] | None = None) -> None:
    """The reviewer, and for a resolution the reviewee too; opened disputes also reach the
    team's leads. `to`: only these people (a teammate just named to resolve it)."""
    review = Review.objects.select_related("reviewer__user", "reviewee__user", "assignment__week__team").get(
        pk=dispute.review_id
    )
    dispute.refresh_from_db()
    people: set[User | None] = {review.reviewer.user}
    if to is not None:
        people = set(to)
    elif template == "dispute_opened":
        people |= set(review.assignment.week.team.leads.all())
    else:
        people.add(review.reviewee.user)
    context = {
        "dispute": dispute,
        "review": review,
        "url": settings.SITE_URL + reverse("reviews:dispute", args=[dispute.pk]),
    }
    for user in people:
        if user is not None and user.email and user.is_active:
            try:
                send_templated_email(to=user.email, template=template, context={**context, "user": user})
            except Exception:
                # The dispute is saved; one address failing must neither undo it nor stop the rest.
                logger.exception("Dispute %s: %s could not be sent to user %s", dispute.pk, template, user.pk)
    logger.info("Dispute %s: %s sent to %d people", dispute.pk, template, len(people))
