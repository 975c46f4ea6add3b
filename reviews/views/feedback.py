"""Feedback: the reviews an agent received and wrote, one review with its replies, and the
team's highlights."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest
from conversations.helpdesks.errors import HelpdeskConfigError
from conversations.models import Source

from .. import access, selectors, services
from ..forms import CommentForm, DisputeForm, HighlightFilterForm, ScorecardForm
from ..knowledge import article_draft
from ..models import Review, ReviewComment, ReviewWeek
from .reviewing import transcript_of


@login_required
def feedback(request: AuthenticatedRequest) -> HttpResponse:
    agent = access.get_own_agent(request.user)
    week_label = request.GET.get("week", "")
    # Reviews waiting for the agent's own rating are listed apart, their content unseen.
    readable = ~access.own_rating_due(agent)
    reviews = selectors.feedback_for(agent, week_label=week_label).filter(readable)
    page = Paginator(reviews, 25).get_page(request.GET.get("page"))
    weeks = ReviewWeek.objects.filter(assignments__review__reviewee=agent).values_list("label", flat=True).distinct()
    return render(
        request,
        "reviews/feedback.html",
        {
            "page": page,
            "week_label": week_label,
            "weeks": sorted(set(weeks), reverse=True),
            "summary": selectors.level_summary(
                selectors.feedback_for(agent).filter(readable), scorecard=selectors.scorecard_now(team=agent.team)
            ),
            "shown": access.review_shown(request.user, page),
            "unread": selectors.feedback_for(agent).filter(readable, seen_at__isnull=True).count(),
            "own_ratings_due": selectors.own_ratings_due(agent),
            "focus_items": selectors.focus_chain(agent, hidden=access.own_rating_due(agent)),
            "one_on_ones": selectors.one_on_ones_of(agent, limit=5),
        },
    )


@login_required
def reviews_written(request: AuthenticatedRequest) -> HttpResponse:
    agent = access.get_own_agent(request.user)
    page = Paginator(selectors.reviews_written_by(agent), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/written.html",
        {
            "page": page,
            "shown": access.review_shown(request.user, page),
            "leniency": selectors.own_leniency(agent),
        },
    )


@login_required
def review_detail(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    return _review_page(request, access.get_visible_review(request.user, review_id), CommentForm())


def _review_page(request: AuthenticatedRequest, review: Review, comment_form: CommentForm) -> HttpResponse:
    is_reviewee = access.is_reviewee(request.user, review)
    disputes = list(review.disputes.all()) if access.sees_disputes(request.user, review) else []
    deadline = services.dispute_deadline(review) if is_reviewee else None
    may_dispute = deadline is not None and timezone.now() <= deadline and not any(d.is_open for d in disputes)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "focus": selectors.focus_of_review(review) if access.sees_focus(request.user, review) else None,
            "comments": ReviewComment.objects.filter(review=review).select_related("author"),
            "comment_form": comment_form,
            "can_reply": access.can_reply(request.user, review),
            "shown": access.review_shown(request.user, [review]),
            "is_reviewee": is_reviewee,
            "can_unshare": access.can_unshare(request.user, review),
            "disputes": disputes,
            "dispute_form": DisputeForm(review=review) if may_dispute else None,
            "dispute_deadline": deadline,
            # Only a review written to be read after the agent's own rating has one beside it.
            "own_rating": selectors.own_rating_gap(review)
            if review.self_review_first and access.sees_own_rating(request.user, review)
            else None,
        },
        # A reply the form refused comes back with what was typed and why, not as a redirect.
        status=400 if comment_form.errors else 200,
    )


def _back(request: AuthenticatedRequest, default: str, **kwargs: Any) -> HttpResponse:
    """To the page the form was on (its `next`, if it is this site's), else to `default`."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(default, **kwargs)


@login_required
def own_rating(request: AuthenticatedRequest, conversation_id: int) -> HttpResponse:
    """The agent rates their own conversation before its review is shown to them."""
    conversation = access.get_own_rating_conversation(request.user, conversation_id)
    agent = access.get_own_agent(request.user)
    if not selectors.own_ratings_due(agent).filter(pk=conversation.pk).exists():
        messages.info(request, "You rated this conversation already: here is its review beside your rating.")
        return _to_review(request, conversation.pk, agent.pk)
    first = Review.objects.filter(conversation=conversation, reviewee=agent).order_by("created_at", "id").first()
    assert first is not None  # get_own_rating_conversation found it
    scorecard = selectors.scorecard_of_review(first)
    form = ScorecardForm(request.POST or None, scorecard=scorecard, root_causes=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.own_rating_submit(conversation=conversation, agent=agent, ratings=form.ratings())
        except services.ReviewError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your rating is saved: here is how your teammate saw it, and the gap.")
            return _to_review(request, conversation.pk, agent.pk)
    return render(
        request,
        "reviews/own_rating.html",
        {"conversation": conversation, "transcript": transcript_of(conversation), "form": form, "scorecard": scorecard},
        status=400 if form.errors else 200,
    )


def _to_review(request: AuthenticatedRequest, conversation_id: int, agent_id: int) -> HttpResponse:
    """To the first review of the agent's conversation they may read now."""
    review = (
        access.visible_reviews(request.user)
        .filter(conversation=conversation_id, reviewee=agent_id)
        .order_by("created_at", "id")
        .first()
    )
    return redirect("reviews:review_detail", review_id=review.pk) if review else redirect("reviews:feedback")


@login_required
@require_POST
def review_seen(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = access.get_visible_review(request.user, review_id)
    if not access.is_reviewee(request.user, review):
        raise PermissionDenied("Only the person reviewed can mark a review as seen.")
    services.review_acknowledge(review=review)
    return _back(request, "reviews:feedback")


@login_required
@require_POST
def review_helpful(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = access.get_visible_review(request.user, review_id)
    if not access.is_reviewee(request.user, review):
        raise PermissionDenied("Only the person reviewed says how helpful a review was.")
    try:
        services.review_helpfulness_rate(review=review, value=int(request.POST.get("helpfulness", "0")))
    except (ValueError, services.ReviewError):
        messages.error(request, "Choose how helpful the review was.")
    else:
        messages.success(
            request, "Thanks: your lead sees how helpful each reviewer's reviews are; the review stays as it is."
        )
    return _back(request, "reviews:review_detail", review_id=review.pk)


@login_required
@require_POST
def review_comment(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = access.get_visible_review(request.user, review_id)
    if not access.can_reply(request.user, review):
        raise PermissionDenied("Only the reviewer, the person reviewed and their lead can reply.")
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _review_page(request, review, form)
    services.review_comment_add(review=review, author=request.user, body=form.cleaned_data["body"])
    messages.success(request, "Reply sent.")
    return redirect("reviews:review_detail", review_id=review.pk)


@login_required
def highlights(request: AuthenticatedRequest) -> HttpResponse:
    team_ids = access.highlight_team_ids(request.user)
    form = HighlightFilterForm(
        request.GET or None,
        teams=access.highlight_teams(team_ids),
        criteria=selectors.highlight_criteria(team_ids),
    )
    filters = form.filters() if form.is_valid() else selectors.HighlightFilters()
    highlights = selectors.team_highlights(access.visible_reviews(request.user), team_ids, filters)
    page = Paginator(highlights, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/highlights.html",
        {
            "form": form,
            "page": page,
            "publishable": access.publishable(request.user, page) if settings.HELPDESK == Source.INTERCOM else set(),
            "unshareable": access.unshareable(request.user, page),
            "shown": access.review_shown(request.user, page),
        },
    )


ARTICLE_TYPES = {"md": "text/markdown", "html": "text/html"}


@login_required
def highlight_article(request: AuthenticatedRequest, review_id: int, extension: str) -> HttpResponse:
    """A highlight as a draft knowledge-base article, to download as Markdown or HTML."""
    if extension not in ARTICLE_TYPES:
        raise Http404("Drafts come as Markdown (.md) or HTML (.html).")
    review = access.get_visible_highlight(request.user, review_id)
    draft = article_draft(review, transcript_of(review.conversation))
    body = draft.markdown if extension == "md" else draft.html
    response = HttpResponse(body, content_type=f"{ARTICLE_TYPES[extension]}; charset=utf-8")
    name = slugify(draft.title)[:60] or "article"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


@login_required
@require_POST
def highlight_publish(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = access.get_visible_highlight(request.user, review_id)
    if not access.can_publish_article(request.user, review) or not settings.HELPDESK == Source.INTERCOM:
        raise PermissionDenied("Only the team's leads publish a highlight, to an Intercom workspace.")
    try:
        article = services.article_publish(review=review, by=request.user)
    except (services.KnowledgeError, HelpdeskConfigError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Published as Intercom internal article {article.external_id}: “{article.title}”.")
    return redirect("reviews:highlights")


@login_required
@require_POST
def highlight_unshare(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = access.get_visible_review(request.user, review_id)
    if not access.can_unshare(request.user, review):
        raise PermissionDenied("Only the team's lead can un-share a highlight.")
    services.highlight_unshare(review=review, user=request.user)
    messages.success(request, "No longer shared with the team.")
    return redirect("reviews:highlights")
