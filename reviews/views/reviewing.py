"""Reviewing: the review page of an assignment (transcript beside the scorecard) and a
conversation with the reviews the reader may see, where its leads include it anyway or send
it for review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest
from conversations.models import Conversation, Message
from conversations.services import IncludeError
from conversations.services import conversation_include as conversation_include_service

from .. import access, selectors, services
from ..forms import IncludeForm, ReviewForm, ReviewRequestForm
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
    requested = assignment.kind == Assignment.Kind.REQUESTED
    team_settings = services.team_settings_get(team=assignment.week.team)
    follows = selectors.focus_to_follow(assignment)
    form = ReviewForm(
        request.POST or None,
        scorecard=scorecard,
        review=review,
        low_csat=selectors.asks_csat_cause(assignment.conversation),
        start_stop_continue=team_settings.start_stop_continue,
        examples=selectors.level_examples(assignment.week.team),
        complaint_topics=team_settings.complaint_topic_list,
        focus=selectors.focus_of_review(review),
        follows=follows,
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("This review can no longer be changed.")
        if form.is_valid():
            focus, outcome = form.focus_answers()
            try:
                with transaction.atomic():
                    saved = services.review_submit(assignment=assignment, answers=form.answers(), actor=request.user)
                    services.focus_record(review=saved, text=focus, follows=follows, outcome=outcome)
            except (services.ReviewError, services.FocusError) as exc:
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
            # A conversation a lead sent is no part of the batch and its count.
            "progress": None if requested else selectors.batch_progress(assignment),
            "follows": follows,
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
    if assignment.kind == Assignment.Kind.REQUESTED:
        messages.success(request, f"Review of “{assignment.conversation}” saved; the lead who sent it can read it.")
        return redirect("reviews:my_week")
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
    return _conversation_page(request, conversation)


def _conversation_page(
    request: AuthenticatedRequest,
    conversation: Conversation,
    *,
    include_form: IncludeForm | None = None,
    request_form: ReviewRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    reviews = access.visible_reviews(request.user).filter(conversation=conversation).with_people().with_ratings()
    sends = access.can_send_for_review(request.user, conversation)
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
            "include_form": include_form or IncludeForm(),
            "sends": sends,
            "request_form": request_form
            or (ReviewRequestForm(agents=selectors.request_reviewers(conversation)) if sends else None),
            "requests": selectors.conversation_requests(conversation) if sends else [],
            "reviews_myself": access.lead_as_reviewer(request.user, conversation, sends=sends) is not None,
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
    return _conversation_page(request, conversation, include_form=form, status=400)


def _sendable(request: AuthenticatedRequest, conversation_id: int) -> Conversation:
    conversation = access.get_visible_conversation(request.user, conversation_id)
    if not access.can_send_for_review(request.user, conversation):
        raise PermissionDenied("Only the team's leads send a conversation for review.")
    return conversation


@login_required
@require_POST
def conversation_send(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """A lead sends the conversation to a teammate, outside the batch."""
    conversation = _sendable(request, conversation_id)
    reviewers = {agent.pk: agent for agent in selectors.request_reviewers(conversation)}
    form = ReviewRequestForm(request.POST, agents=reviewers.values())
    if form.is_valid():
        reviewer = reviewers[form.cleaned_data["agent"]]
        try:
            services.review_request(
                conversation=conversation, reviewer=reviewer, by=request.user, note=form.cleaned_data["note"]
            )
        except services.RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Sent to {reviewer.name}: it waits on their My week, counted apart from their quota."
            )
            return redirect("reviews:conversation", conversation_id=conversation.pk)
    return _conversation_page(request, conversation, request_form=form, status=400)


@login_required
@require_POST
def conversation_review_myself(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """A lead reviews the conversation themselves, outside any batch."""
    conversation = _sendable(request, conversation_id)
    agent = access.lead_as_reviewer(request.user, conversation)
    if agent is None:
        raise PermissionDenied("Only a lead linked to an active teammate, who did not handle it, reviews it.")
    mine = selectors.assignment_of(agent, conversation)
    if mine is not None:
        return redirect("reviews:review", assignment_id=mine.pk)  # in their batch already, or sent before
    try:
        assignment = services.review_request(conversation=conversation, reviewer=agent, by=request.user)
    except services.RequestError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:conversation", conversation_id=conversation.pk)
    return redirect("reviews:review", assignment_id=assignment.pk)
