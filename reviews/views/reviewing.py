"""Reviewing: the review page of an assignment (transcript beside the scorecard) and a
conversation with the reviews the reader may see."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest
from conversations.models import Conversation, Message
from conversations.services import IncludeError
from conversations.services import conversation_include as conversation_include_service

from .. import access, selectors, services
from ..forms import IncludeForm, ReviewForm
from ..models import Assignment, Review


def transcript_of(conversation: Conversation) -> QuerySet[Message]:
    return (
        conversation.messages.select_related("author_agent")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


@login_required
def review_conversation(request: AuthenticatedRequest, assignment_id: int) -> HttpResponse:
    assignment = access.get_own_assignment(request.user, assignment_id)
    review = (
        Review.objects.filter(assignment=assignment)
        .select_related("scorecard", "assignment__week")
        .with_ratings()
        .first()
    )
    scorecard = selectors.scorecard_of_review(review) if review else selectors.scorecard_now(team=assignment.week.team)
    editable = assignment.is_reviewable()
    team_settings = services.team_settings_get(team=assignment.week.team)
    form = ReviewForm(
        request.POST or None,
        scorecard=scorecard,
        review=review,
        low_csat=selectors.asks_csat_cause(assignment.conversation),
        start_stop_continue=team_settings.start_stop_continue,
        examples=selectors.level_examples(assignment.week.team),
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("This review can no longer be changed.")
        if form.is_valid():
            try:
                services.review_submit(assignment=assignment, answers=form.answers(), actor=request.user)
            except services.ReviewError as exc:
                messages.error(request, str(exc))
            else:
                return _after_saving(request, assignment)
    second_opinion = selectors.second_opinion(assignment, visible=access.visible_reviews(request.user))
    return render(
        request,
        "reviews/review_form.html",
        {
            "assignment": assignment,
            "conversation": assignment.conversation,
            "transcript": transcript_of(assignment.conversation),
            "scorecard": scorecard,
            "form": form,
            "review": review,
            "editable": editable,
            "progress": selectors.batch_progress(assignment),
            "second_opinion": second_opinion,
            "shown": access.review_shown(request.user, [r for r in (review, second_opinion.review) if r is not None]),
            "blind": not access.sees_who_handled(
                request.user, assignment.week.team_id, blind=team_settings.blind_reviewee
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


def _after_saving(request: AuthenticatedRequest, assignment: Assignment) -> HttpResponse:
    """Straight on to the next conversation ("Submit and next"), or back to the week."""
    progress = selectors.batch_progress(assignment)
    saved = (
        f"Review of “{assignment.conversation}” saved: {progress.done} of {progress.required} reviews done this week."
    )
    if request.POST.get("then") == "next" and progress.next_id is not None:
        messages.success(request, f"{saved} Here is the next one.")
        return redirect("reviews:review", assignment_id=progress.next_id)
    if progress.next_id is None:
        saved += " That was the last one to do."
    messages.success(request, saved)
    return redirect("reviews:my_week")


@login_required
def conversation_detail(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access.get_visible_conversation(request.user, conversation_id)
    return _conversation_page(request, conversation, IncludeForm())


def _conversation_page(
    request: AuthenticatedRequest, conversation: Conversation, include_form: IncludeForm, status: int = 200
) -> HttpResponse:
    reviews = access.visible_reviews(request.user).filter(conversation=conversation).with_people().with_ratings()
    return render(
        request,
        "reviews/conversation.html",
        {
            "conversation": conversation,
            "transcript": transcript_of(conversation),
            "reviews": reviews,
            "shown": access.review_shown(request.user, reviews),
            "blind": access.scores_blind(request.user, conversation),
            # Only a conversation set aside, or included anyway, has anything for its leads here.
            "leads": bool(conversation.exclusion_reason or conversation.included_rule)
            and access.can_include(request.user, conversation),
            "include_form": include_form,
        },
        status=status,
    )


@login_required
@require_POST
def conversation_include(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    conversation = access.get_visible_conversation(request.user, conversation_id)
    if not access.can_include(request.user, conversation):
        raise PermissionDenied("Only the team's leads include a conversation a rule set aside.")
    if not conversation.exclusion_reason:
        # A second click, or another lead a moment ago.
        messages.info(request, "This conversation is offered for review already.")
        return redirect("reviews:conversation", conversation_id=conversation.pk)
    form = IncludeForm(request.POST)
    if form.is_valid():
        try:
            conversation_include_service(conversation=conversation, by=request.user, note=form.cleaned_data["note"])
        except IncludeError as exc:
            form.add_error("note", str(exc))
            conversation.refresh_from_db()
        else:
            messages.success(request, "Included: it can be handed out for review from the next batch or pull.")
            return redirect("reviews:conversation", conversation_id=conversation.pk)
    return _conversation_page(request, conversation, form, status=400)
