"""Pages for reviewing and for reading feedback. Every object comes through reviews.access."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import access, selectors, services
from .forms import CommentForm, ReviewForm, RubricForm
from .models import Review, ReviewComment, ReviewWeek


def _transcript(conversation):
    return (
        conversation.messages.select_related("author_agent")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


@login_required
def review_conversation(request, assignment_id: int):
    assignment = access.get_own_assignment(request.user, assignment_id)
    review = Review.objects.filter(assignment=assignment).select_related("rubric").first()
    rubric = review.rubric if review else services.rubric_current(team=assignment.week.team)
    editable = assignment.is_reviewable()
    form = ReviewForm(request.POST or None, instance=review)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("This review can no longer be changed.")
        if form.is_valid():
            try:
                services.review_submit(assignment=assignment, answers=form.cleaned_data, actor=request.user)
            except services.ReviewError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"Review of “{assignment.conversation}” saved.")
                return redirect("reviews:my_week")
    return render(
        request,
        "reviews/review_form.html",
        {
            "assignment": assignment,
            "conversation": assignment.conversation,
            "transcript": _transcript(assignment.conversation),
            "rubric": rubric,
            "form": form,
            "review": review,
            "editable": editable,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def conversation_detail(request, conversation_id: int):
    conversation = access.get_visible_conversation(request.user, conversation_id)
    reviews = access.visible_reviews(request.user).filter(conversation=conversation).with_people()
    return render(
        request,
        "reviews/conversation.html",
        {"conversation": conversation, "transcript": _transcript(conversation), "reviews": reviews},
    )


def _own_agent(request):
    agent = access.agent_of(request.user)
    if agent is None:
        raise Http404("You are not linked to a helpdesk teammate.")
    return agent


@login_required
def feedback(request):
    agent = _own_agent(request)
    week_label = request.GET.get("week", "")
    reviews = selectors.feedback_for(agent, week_label=week_label)
    page = Paginator(reviews, 25).get_page(request.GET.get("page"))
    weeks = ReviewWeek.objects.filter(assignments__review__reviewee=agent).values_list("label", flat=True).distinct()
    return render(
        request,
        "reviews/feedback.html",
        {
            "page": page,
            "week_label": week_label,
            "weeks": sorted(set(weeks), reverse=True),
            "summary": selectors.level_summary(selectors.feedback_for(agent)),
            "unread": selectors.feedback_for(agent).filter(seen_at__isnull=True).count(),
        },
    )


@login_required
def reviews_written(request):
    agent = _own_agent(request)
    page = Paginator(selectors.reviews_written_by(agent), 25).get_page(request.GET.get("page"))
    return render(request, "reviews/written.html", {"page": page})


@login_required
def review_detail(request, review_id: int):
    review = access.get_visible_review(request.user, review_id)
    comments = ReviewComment.objects.filter(review=review).select_related("author")
    agent = access.agent_of(request.user)
    in_thread = agent is not None and agent.pk in (review.reviewer_id, review.reviewee_id)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "comments": comments,
            "comment_form": CommentForm(),
            "can_reply": in_thread or access.leads_team(request.user, review.assignment.week.team_id),
            "is_reviewee": agent is not None and agent.pk == review.reviewee_id,
            "can_unshare": review.is_highlighted and access.leads_team(request.user, review.assignment.week.team_id),
        },
    )


@login_required
@require_POST
def review_seen(request, review_id: int):
    review = access.get_visible_review(request.user, review_id)
    agent = access.agent_of(request.user)
    if agent is None or agent.pk != review.reviewee_id:
        raise PermissionDenied("Only the person reviewed can mark a review as seen.")
    services.review_acknowledge(review=review)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("reviews:feedback")


@login_required
@require_POST
def review_comment(request, review_id: int):
    review = access.get_visible_review(request.user, review_id)
    agent = access.agent_of(request.user)
    in_thread = agent is not None and agent.pk in (review.reviewer_id, review.reviewee_id)
    if not (in_thread or access.leads_team(request.user, review.assignment.week.team_id)):
        raise PermissionDenied("Only the reviewer, the person reviewed and their lead can reply.")
    form = CommentForm(request.POST)
    if form.is_valid():
        services.review_comment_add(review=review, author=request.user, body=form.cleaned_data["body"])
        if agent is not None and agent.pk == review.reviewee_id:
            services.review_acknowledge(review=review)
        messages.success(request, "Reply sent.")
    else:
        messages.error(request, " ".join(form.errors["body"]))
    return redirect("reviews:review_detail", review_id=review.pk)


@login_required
def highlights(request):
    if request.user.is_staff:
        team_ids = None
    else:
        agent = access.agent_of(request.user)
        team_ids = [*access.led_team_ids(request.user), *([agent.team_id] if agent and agent.team_id else [])]
    page = Paginator(selectors.team_highlights(team_ids), 25).get_page(request.GET.get("page"))
    led = set(access.led_team_ids(request.user))
    return render(
        request,
        "reviews/highlights.html",
        {"page": page, "led_team_ids": led, "is_staff": request.user.is_staff},
    )


@login_required
@require_POST
def highlight_unshare(request, review_id: int):
    review = access.get_visible_review(request.user, review_id)
    if not access.leads_team(request.user, review.assignment.week.team_id):
        raise PermissionDenied("Only the team's lead can un-share a highlight.")
    services.highlight_unshare(review=review, user=request.user)
    messages.success(request, "No longer shared with the team.")
    return redirect("reviews:highlights")


@login_required
def rubric_edit(request, team_id: int):
    team = access.get_led_team(request.user, team_id)
    current = services.rubric_current(team=team)
    form = RubricForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        rubric = services.rubric_update(team=team, user=request.user, definitions=form.cleaned_data)
        messages.success(request, f"Rubric saved as version {rubric.version}; earlier reviews keep their version.")
        return redirect("reviews:team_week", team_id=team.pk)
    return render(request, "reviews/rubric_form.html", {"team": team, "form": form, "rubric": current})
