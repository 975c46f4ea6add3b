"""Conversation search: a lead's teams' conversations, an agent's own and those assigned to them."""

import re

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render

from carousel.requests import AuthenticatedRequest
from conversations.models import Agent

from .. import access
from ..forms import SearchForm
from ..search import Filters, Reader, conversations_search, result_page


@login_required
def conversation_search(request: AuthenticatedRequest) -> HttpResponse:
    scope = access.search_scope(request.user)
    # Whom results can be narrowed to: the people of the teams led, and the agent's own team.
    people = Q(team__in=scope.teams)
    if scope.agent is not None and scope.agent.team_id is not None:
        people |= Q(team=scope.agent.team_id)
    form = SearchForm(
        request.GET or None,
        teams=scope.teams if len(scope.teams) > 1 else [],
        agents=Agent.objects.filter(people).order_by("name"),
    )
    page = None
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else Filters()
        reader = Reader(mine=access.still_mine_to_review(scope), hidden=access.handler_hidden(scope))
        number = request.GET.get("page", "1")
        page = result_page(
            conversations_search(scope.conversations, filters, reader),
            int(number) if re.fullmatch(r"[0-9]{1,4}", number) else 1,
            reader,
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reviews/search.html",
        {"form": form, "page": page, "query": query.urlencode(), "leads": bool(scope.teams)},
        status=400 if form.errors else 200,
    )
