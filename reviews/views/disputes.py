"""Disputes: the reviewee opens one from the review, the resolver answers it on its page, and
a team's leads see them all with their age and outcomes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest
from conversations.models import Agent

from .. import access, selectors, services
from ..forms import DisputeAssignForm, DisputeForm, DisputeResolveForm
from ..models import Dispute
from ..services.disputes import reviewers_of
from .team import _window


@login_required
@require_POST
def dispute_open(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = access.get_visible_review(request.user, review_id)
    if not access.is_reviewee(request.user, review):
        raise PermissionDenied("Only the person reviewed can dispute a review.")
    form = DisputeForm(request.POST, review=review)
    if form.is_valid():
        try:
            dispute = services.dispute_open(
                review=review,
                by=request.user,
                criterion_key=form.cleaned_data["criterion"],
                reason=form.cleaned_data["reason"],
            )
        except services.DisputeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Dispute sent: your lead resolves it, and you both hear how.")
            return redirect("reviews:dispute", dispute_id=dispute.pk)
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("reviews:review_detail", review_id=review.pk)


def _dispute_page(
    request: AuthenticatedRequest,
    dispute: Dispute,
    resolve_form: DisputeResolveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    review = dispute.review
    can_resolve = access.can_resolve(request.user, dispute)
    leads = access.leads_team(request.user, review.assignment.week.team_id)
    resolvers = (
        Agent.objects.filter(team_id=review.assignment.week.team_id, is_active=True, user__isnull=False)
        .exclude(pk__in={review.reviewer_id, review.reviewee_id} | reviewers_of(review))
        .order_by("name")
    )
    return render(
        request,
        "reviews/dispute.html",
        {
            "dispute": dispute,
            "review": review,
            "shown": access.review_shown(request.user, [review]),
            "can_resolve": can_resolve and dispute.is_open,
            "resolve_form": resolve_form or DisputeResolveForm(review=review),
            "assign_form": DisputeAssignForm(agents=resolvers) if leads and dispute.is_open else None,
        },
        status=status,
    )


@login_required
def dispute_detail(request: AuthenticatedRequest, dispute_id: int) -> HttpResponse:
    dispute = access.get_visible_dispute(request.user, dispute_id)
    if request.method != "POST":
        return _dispute_page(request, dispute)
    if not access.can_resolve(request.user, dispute):
        raise PermissionDenied("Only the team's leads, or the teammate they named, resolve a dispute.")
    form = DisputeResolveForm(request.POST, review=dispute.review)
    if not form.is_valid():
        return _dispute_page(request, dispute, form, status=400)
    try:
        resolved = services.dispute_resolve(
            dispute=dispute, by=request.user, reason=form.cleaned_data["reason"], ratings=form.answers()
        )
    except services.DisputeError as exc:
        messages.error(request, str(exc))
        return _dispute_page(request, dispute, form, status=400)
    messages.success(
        request, f"Dispute {resolved.get_status_display().lower()}; the reviewer and the reviewee are told."
    )
    return redirect("reviews:dispute", dispute_id=dispute.pk)


@login_required
@require_POST
def dispute_assign(request: AuthenticatedRequest, dispute_id: int) -> HttpResponse:
    dispute = access.get_visible_dispute(request.user, dispute_id)
    team_id = dispute.review.assignment.week.team_id
    if not access.leads_team(request.user, team_id):
        raise PermissionDenied("Only the team's leads name who resolves a dispute.")
    form = DisputeAssignForm(request.POST, agents=Agent.objects.filter(team_id=team_id, is_active=True))
    if not form.is_valid():
        messages.error(request, "Choose a teammate of the team, or the team's leads.")
        return redirect("reviews:dispute", dispute_id=dispute.pk)
    agent_id = form.cleaned_data["agent"]
    resolver = access.get_team_agent(request.user, dispute.review.assignment.week.team, agent_id) if agent_id else None
    try:
        services.dispute_assign(dispute=dispute, resolver=resolver, by=request.user)
    except services.DisputeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{resolver.name if resolver else 'The team’s leads'} will resolve it.")
    return redirect("reviews:dispute", dispute_id=dispute.pk)


@login_required
def team_disputes(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    window = _window(request, team_id)
    disputes = selectors.team_disputes(window.team, weeks=window.weeks, scorecard=window.scorecard, now=timezone.now())
    return render(request, "reviews/team_disputes.html", window.context(disputes=disputes))
