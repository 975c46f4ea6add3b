"""A lead's team pages: the weeks, trends, reports, an agent's coaching view, CSV exports, the
team's settings, and unpausing a teammate's sign-in."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from carousel.requests import AuthenticatedRequest
from conversations.models import Team
from conversations.selectors import sync_health

from .. import access, charts, exports, selectors, services
from ..forms import ExportForm, TeamSettingsForm
from ..models import Review, ReviewWeek, SkipReason
from ..scorecards import ScorecardSpec

WEEK_CHOICES = [4, 8, 12, 26, 52]
AGENTS_A_PAGE = 25


def _week_count(request: AuthenticatedRequest) -> int:
    try:
        weeks = int(request.GET.get("weeks", 8))
    except ValueError:
        return 8
    return weeks if weeks in WEEK_CHOICES else 8


def _recent_weeks(team: Team, count: int) -> list[ReviewWeek]:
    weeks = list(ReviewWeek.objects.filter(team=team).order_by("-starts_at")[:count])
    weeks.reverse()
    return weeks


@dataclass(frozen=True)
class _Window:
    """A led team's page over its last weeks: the team, how many weeks (?weeks=), those weeks
    oldest first and the scorecard now."""

    team: Team
    count: int
    weeks: list[ReviewWeek]
    scorecard: ScorecardSpec

    def context(self, **extra: object) -> dict[str, object]:
        return {"team": self.team, "week_count": self.count, "week_choices": WEEK_CHOICES, **extra}


def _window(request: AuthenticatedRequest, team_id: int) -> _Window:
    team = access.get_led_team(request.user, team_id)
    count = _week_count(request)
    return _Window(team, count, _recent_weeks(team, count), selectors.scorecard_now(team=team))


def _url_for_id(viewname: str, *args: object, absolute_for: HttpRequest | None = None) -> Callable[[int], str]:
    """reverse() once for many ids (an export has 130,000 links; reverse() costs ~20 µs each)."""
    marker = "999999999999"
    url = reverse(viewname, args=[*args, marker])
    if absolute_for is not None:
        url = absolute_for.build_absolute_uri(url)
    head, tail = url.split(marker)
    return lambda pk: f"{head}{pk}{tail}"


@lru_cache(maxsize=1024)
def _cell_html(present: bool, is_away: bool, completed: int, required: int, quota: int) -> str:
    """One cell of the weeks matrix, as the template used to write it. Built here because a year
    of a big team is tens of thousands of cells, and the template engine spends tens of
    microseconds on each. Only numbers and fixed words go in: nothing to escape."""
    if not present:
        css, text = "none", "—"
    elif is_away:
        css, text = "away", "away"
    else:
        css = "open" if completed < required else "met"
        text = f"{completed}/{required}"
        if quota - required:
            text += f'<small title="{quota - required} fewer conversations than the quota">*</small>'
    return f'\n        <td class="{css}">\n          {text}\n        </td>\n      '


def _matrix_rows(
    team: Team, matrix: selectors.TeamWeeks, agents: Iterable[selectors.AgentName]
) -> list[tuple[str, str, SafeString, SafeString]]:
    """(agent page, agent name, a sparkline of their weeks, the row's cells as HTML) for each of `agents`."""
    agent_url = _url_for_id("reviews:agent_detail", team.pk)
    week_ids = [week.pk for week in matrix.weeks]
    cells = selectors.team_week_cells(matrix.weeks, [agent.pk for agent in agents])
    absent = _cell_html(False, False, 0, 0, 0)
    rows = []
    for agent in agents:
        html = []
        percents: list[int | None] = []
        for week_id in week_ids:
            cell = cells.get((agent.pk, week_id))
            html.append(
                absent
                if cell is None
                else _cell_html(cell.present, cell.is_away, cell.completed, cell.required, cell.quota)
            )
            percents.append(_completion_percent(cell))
        spark = charts.completion_sparkline(percents, who=agent.name)  # numbers and an escaped name
        rows.append((agent_url(agent.pk), agent.name, mark_safe(spark), mark_safe("".join(html))))  # see _cell_html
    return rows


def _completion_percent(cell: selectors.WeekCell | None) -> int | None:
    """A week's reviews done as a share of those required; None when nothing was required."""
    if cell is None or not cell.present or cell.is_away or not cell.required:
        return None
    return round(100 * selectors.counted_toward_quota(cell.completed, cell.required) / cell.required)


@login_required
def teams(request: AuthenticatedRequest) -> HttpResponse:
    """Every team the person leads (staff: every team), where a lead of several lands."""
    led = (
        access.led_teams(request.user)
        .annotate(active_agents=Count("agents", filter=Q(agents__is_active=True)))
        .order_by("name")
    )
    return render(request, "reviews/teams.html", {"teams": led})


@login_required
def team_week(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    count = _week_count(request)
    matrix = selectors.team_weeks(team, weeks=count)
    label = request.GET.get("week")
    week = next((w for w in matrix.weeks if w.label == label), matrix.weeks[-1] if matrix.weeks else None)
    # A big team's agents in pages: both tables show the same ones; the team's figures count everyone.
    agents = Paginator(matrix.agents, AGENTS_A_PAGE).get_page(request.GET.get("page"))
    rows = selectors.week_completion(week, agent_ids=[agent.pk for agent in agents]) if week else []
    skips = selectors.skip_counts(week) if week else {}
    return render(
        request,
        "reviews/team_week.html",
        {
            "team": team,
            "matrix": matrix,
            "matrix_rows": _matrix_rows(team, matrix, agents),
            "agents_page": agents,
            "week": week,
            "week_count": count,
            "week_choices": WEEK_CHOICES,
            "rows": rows,
            "completion_percent": matrix.percent(week) if week else None,
            "acknowledged_percent": selectors.acknowledgement_rate(week) if week else None,
            "skips": [(label, skips.get(value, 0)) for value, label in SkipReason.choices],
            "sent": list(selectors.week_requests(week)) if week else [],
            "sync": sync_health(),
            "locked_out": selectors.locked_out_members(team),
        },
    )


@login_required
@require_POST
def sign_in_unlock(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    try:
        member_user_id = int(request.POST.get("user_id", ""))
    except ValueError as exc:
        raise Http404("No such teammate.") from exc
    member = access.get_team_member_user(request.user, team_id, member_user_id)
    services.sign_in_unlock(user=member, unlocked_by=request.user)
    messages.success(request, f"{member.email} can sign in again.")
    return redirect("reviews:team_week", team_id=team_id)


@login_required
def trends(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    window = _window(request, team_id)
    week_trends = selectors.review_trends(
        reviews=Review.objects.filter(assignment__week__team=window.team),
        weeks=window.weeks,
        scorecard=window.scorecard,
    )
    context = window.context(
        trends=week_trends,
        scorecard=window.scorecard,
        charts=charts.criterion_charts(week_trends, window.scorecard.criteria),
    )
    return render(request, "reviews/trends.html", context)


@login_required
def complaints(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    count = _week_count(request)
    weeks = _recent_weeks(team, count)
    settings = services.team_settings_get(team=team)
    return render(
        request,
        "reviews/complaints.html",
        {
            "team": team,
            "week_count": count,
            "week_choices": WEEK_CHOICES,
            "weeks": weeks,
            "rows": selectors.recurring_complaints(team, weeks=weeks, settings=settings),
            "settings": settings,
        },
    )


@login_required
def agreement(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    window = _window(request, team_id)
    agreement = selectors.team_agreement(window.team, weeks=window.weeks, scorecard=window.scorecard)
    return render(request, "reviews/agreement.html", window.context(agreement=agreement))


@login_required
def reports(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    window = _window(request, team_id)
    report = selectors.team_report(window.team, weeks=window.weeks, scorecard=window.scorecard)
    return render(request, "reviews/reports.html", window.context(scorecard=window.scorecard, report=report))


@login_required
def agent_detail(request: AuthenticatedRequest, team_id: int, agent_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    agent = access.get_team_agent(request.user, team, agent_id)
    weeks = _recent_weeks(team, _week_count(request))
    scorecard = selectors.scorecard_now(team=team)
    coaching = selectors.agent_coaching(agent, weeks=weeks, scorecard=scorecard)
    ids = {review.pk for review in coaching["notes"]}
    return render(
        request,
        "reviews/agent_detail.html",
        {
            "team": team,
            "agent": agent,
            "coaching": coaching,
            "focus_items": selectors.focus_chain(agent, team=team),
            "one_on_ones": selectors.one_on_ones_of(agent, team=team),
            "scorecard": scorecard,
            "shown": access.Shown(scores=ids, reviewers=ids),  # a team the user leads: everything
            "week_count": _week_count(request),
            "week_choices": WEEK_CHOICES,
        },
    )


def _csv_response(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export_page(request: AuthenticatedRequest, team: Team, form: ExportForm, *, status: int = 200) -> HttpResponse:
    context = {"team": team, "form": form, "week_count": _week_count(request), "week_choices": WEEK_CHOICES}
    return render(request, "reviews/team_export.html", context, status=status)


@login_required
def export(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    """The export page: which weeks, dates, agent and tag go into the files."""
    team = access.get_led_team(request.user, team_id)
    return _export_page(request, team, ExportForm(agents=team.agents.order_by("name")))


def _export_form(request: AuthenticatedRequest, team: Team) -> ExportForm:
    return ExportForm(request.GET, agents=team.agents.order_by("name"))


@login_required
def export_reviews(request: AuthenticatedRequest, team_id: int) -> HttpResponse | StreamingHttpResponse:
    team = access.get_led_team(request.user, team_id)
    form = _export_form(request, team)
    if not form.is_valid():
        # A filter that cannot work: the page again, saying what to change, what was typed kept.
        return _export_page(request, team, form, status=400)
    filters = form.cleaned_data
    weeks = _recent_weeks(team, _week_count(request))
    reviews = selectors.reviews_for_export(
        weeks=weeks, start=filters["start"], end=filters["end"], reviewee_id=filters["agent"]
    )
    return _csv_response(
        exports.review_rows(
            reviews,
            conversation_page=_url_for_id("reviews:conversation", absolute_for=request),
            review_page=_url_for_id("reviews:review_detail", absolute_for=request),
            tag=filters["tag"],
        ),
        exports.export_filename(team, weeks, "reviews"),
    )


@login_required
def export_completion(request: AuthenticatedRequest, team_id: int) -> HttpResponse | StreamingHttpResponse:
    team = access.get_led_team(request.user, team_id)
    form = _export_form(request, team)
    if not form.is_valid():
        return _export_page(request, team, form, status=400)
    filters = form.cleaned_data
    weeks = selectors.weeks_between(_recent_weeks(team, _week_count(request)), filters["start"], filters["end"])
    return _csv_response(
        exports.completion_rows(weeks, agent_id=filters["agent"]),
        exports.export_filename(team, weeks, "quota-completion"),
    )


@login_required
def team_settings(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    team = access.get_led_team(request.user, team_id)
    form = TeamSettingsForm(request.POST or None, instance=services.team_settings_get(team=team))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved. The changes apply from the next weekly batch.")
        return redirect("reviews:team_week", team_id=team.pk)
    return render(request, "reviews/team_settings.html", {"team": team, "form": form})
