"""The weekly quota: fair batches of teammates' conversations, and what happens as weeks go by."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command

from conversations.models import ExclusionReason
from reviews import services
from reviews.models import AgentWeek, Assignment, ReviewWeek, SkipReason, TeamSettings
from reviews.selectors import skip_counts, team_completion_percent, week_completion
from reviews.services import QuotaError, assignment_complete, assignment_skip, assignments_pull, week_assign

from .factories import MONDAY, WEEK_START

pytestmark = pytest.mark.django_db


def batches(week):
    result: dict[int, list[Assignment]] = {}
    for assignment in Assignment.objects.filter(week=week).select_related("conversation"):
        result.setdefault(assignment.reviewer_id, []).append(assignment)
    return result


def test_every_agent_gets_five_teammates_conversations(team_of_five, monday):
    builder, agents = team_of_five

    week = week_assign(team=builder.team)

    assert (week.label, week.starts_at, week.ends_at) == ("2026-W48", WEEK_START, WEEK_START + timedelta(days=7))
    for agent in agents:
        mine = Assignment.objects.filter(week=week, reviewer=agent)
        assert mine.count() == 5
        assert not mine.filter(conversation__assignee=agent).exists()
        assert AgentWeek.objects.get(week=week, agent=agent).required == 5
    # 25 reviews: 23 conversations, 2 of them (10%, the default) with a second opinion.
    first = Assignment.objects.filter(role=Assignment.Role.FIRST).values_list("conversation_id", flat=True)
    second = Assignment.objects.filter(role=Assignment.Role.SECOND).values_list("conversation_id", flat=True)
    assert len(first) == len(set(first)) == 23
    assert len(second) == len(set(second)) == 2
    assert set(second) <= set(first)


def test_assigning_the_same_week_twice_changes_nothing(team_of_five, monday):
    builder, _ = team_of_five
    call_command("assign_week", "--team", builder.team.name, "--week", "2026-W48")
    before = list(Assignment.objects.values_list("pk", "reviewer_id", "conversation_id"))

    call_command("assign_week", "--team", builder.team.name, "--week", "2026-W48")
    week_assign(team=builder.team)

    assert list(Assignment.objects.values_list("pk", "reviewer_id", "conversation_id")) == before
    assert ReviewWeek.objects.count() == 1


def test_excluded_reviewed_and_already_assigned_conversations_are_never_assigned(build, monday):
    builder = build()
    ana, ben = builder.agent("Ana"), builder.agent("Ben")
    builder.conversations(ana, 3, exclusion_reason=ExclusionReason.SHORT)
    builder.conversations(ana, 2, exclusion_reason=ExclusionReason.SPAM_TAG)
    reviewed_last_week = builder.conversations(ana, 1)[0]
    earlier = services.review_week_get_or_create(team=builder.team, starts_at=WEEK_START - timedelta(days=7))
    Assignment.objects.create(
        week=earlier,
        reviewer=ben,
        reviewee=ana,
        conversation=reviewed_last_week,
        status=Assignment.Status.COMPLETED,
        completed_at=MONDAY - timedelta(days=3),
    )
    fresh = builder.conversations(ana, 2)

    week = week_assign(team=builder.team)

    assert {a.conversation for a in Assignment.objects.filter(week=week)} == set(fresh)


def test_reviews_received_are_spread_evenly_across_teammates(build, monday):
    builder = build()
    agents = [builder.agent(f"Agent {n}") for n in range(6)]
    for agent, supply in zip(agents, [20, 15, 9, 6, 5, 5], strict=True):
        builder.conversations(agent, supply)

    week = week_assign(team=builder.team)

    received = Counter(Assignment.objects.filter(week=week).values_list("reviewee_id", flat=True))
    assert sum(received.values()) == 30
    assert max(received.values()) - min(received.values()) <= 1


def test_the_same_pairs_are_avoided_in_consecutive_weeks(build, monday):
    builder = build()
    agents = [builder.agent(f"Agent {n}") for n in range(6)]
    for agent in agents:
        builder.conversations(agent, 4, closed_days_ago=2)
        builder.conversations(agent, 4, closed_days_ago=9)
    services.team_settings_get(team=builder.team)
    builder.team.review_settings.reviews_per_week = 2
    builder.team.review_settings.save()
    last_week = week_assign(team=builder.team, starts_at=WEEK_START - timedelta(days=7))

    this_week = week_assign(team=builder.team)

    def pairs(week):
        return set(Assignment.objects.filter(week=week).values_list("reviewer_id", "reviewee_id"))

    assert len(pairs(last_week)) >= 6
    assert pairs(this_week).isdisjoint(pairs(last_week))


def test_beat_avoids_each_teams_pairs_of_last_week(build, monday):
    builders = [build(f"Team {number}") for number in range(2)]
    last_weeks = []
    for builder in builders:
        for name in range(6):
            agent = builder.agent(f"Agent {name}")
            builder.conversations(agent, 4, closed_days_ago=2)
            builder.conversations(agent, 4, closed_days_ago=9)
        TeamSettings.objects.create(team=builder.team, reviews_per_week=2)
        last_weeks.append(week_assign(team=builder.team, starts_at=WEEK_START - timedelta(days=7)))

    this_weeks = services.due_weeks_assign()

    def pairs(week):
        return set(Assignment.objects.filter(week=week).values_list("reviewer_id", "reviewee_id"))

    assert [week.team for week in this_weeks] == [builder.team for builder in builders]
    for last_week, this_week in zip(last_weeks, this_weeks, strict=True):
        assert len(pairs(last_week)) >= 10
        assert pairs(this_week).isdisjoint(pairs(last_week))


def test_the_batch_samples_csat_extremes_as_configured(build, monday):
    builder = build()
    agents = [builder.agent(f"Agent {n}") for n in range(5)]
    for agent in agents:
        builder.conversations(agent, 6, csat=None)
        builder.conversations(agent, 3, csat=1)
        builder.conversations(agent, 3, csat=5)
    settings = services.team_settings_get(team=builder.team)
    settings.lowest_csat_percent, settings.highest_csat_percent = 40, 20
    settings.second_opinion_percent = 0  # the mix alone
    settings.save()

    week = week_assign(team=builder.team)

    ratings = Counter(Assignment.objects.filter(week=week).values_list("conversation__csat_rating", flat=True))
    assert ratings == {1: 10, 5: 5, None: 10}


def test_a_given_seed_gives_the_same_batches(team_of_five, monday):
    builder, _ = team_of_five
    first = week_assign(team=builder.team, seed=42)
    chosen = set(Assignment.objects.filter(week=first).values_list("reviewer_id", "conversation_id"))
    first.delete()

    again = week_assign(team=builder.team, seed=42)

    assert set(Assignment.objects.filter(week=again).values_list("reviewer_id", "conversation_id")) == chosen


def test_a_short_supply_widens_the_window_then_records_the_shortfall(build, monday):
    builder = build()
    agents = [builder.agent(name) for name in ("Ana", "Ben", "Cleo")]
    builder.conversations(agents[0], 2, closed_days_ago=3)
    builder.conversations(agents[1], 2, closed_days_ago=20)
    builder.conversations(agents[2], 2, closed_days_ago=40)  # too old even for the wider window

    week = week_assign(team=builder.team)

    assert week.lookback_days_used == 28
    rows = {row.agent.name: row for row in week_completion(week)}
    assert sum(row.required for row in rows.values()) == 4
    assert {row.quota for row in rows.values()} == {5}
    assert all(row.shortfall >= 3 for row in rows.values())
    assert not any(row.is_behind for row in rows.values() if row.required == 0)


def test_the_week_follows_the_teams_time_zone_and_start(build):
    import time_machine

    builder = build()
    settings = services.team_settings_get(team=builder.team)
    settings.time_zone, settings.week_starts_on = "Pacific/Auckland", 0
    settings.week_starts_at = settings.week_starts_at.replace(hour=8)
    settings.save()
    # Sunday 20:00 UTC is Monday 09:00 in Auckland: the team's new week has begun.
    with time_machine.travel(WEEK_START - timedelta(hours=4), tick=False):
        week = week_assign(team=builder.team)

    assert week.label == "2026-W48"
    assert week.starts_at.isoformat() == "2026-11-22T19:00:00+00:00"
    assert settings.week_start_for_label("2026-W48") == week.starts_at


def test_an_away_agent_gets_no_batch_and_is_not_behind(team_of_five, monday):
    builder, agents = team_of_five
    agents[0].is_away = True
    agents[0].save()

    week = week_assign(team=builder.team)

    assert not Assignment.objects.filter(week=week, reviewer=agents[0]).exists()
    row = next(row for row in week_completion(week) if row.agent == agents[0])
    assert (row.is_away, row.required, row.is_behind) == (True, 0, False)


def test_an_agent_added_midweek_gets_a_share_of_the_batch(team_of_five, monday):
    builder, _ = team_of_five
    week = week_assign(team=builder.team)
    monday.move_to(MONDAY + timedelta(days=3))  # Thursday 09:00: 3 days 15 hours of 7 days left
    newcomer = builder.agent("Finn")

    services.quota_refresh(week=week)

    agent_week = AgentWeek.objects.get(week=week, agent=newcomer)
    assert (agent_week.quota, agent_week.joined_midweek) == (3, True)
    assert Assignment.objects.filter(week=week, reviewer=newcomer).count() == 3


def test_a_full_batch_for_newcomers_when_the_team_says_so(team_of_five, monday):
    builder, _ = team_of_five
    settings = services.team_settings_get(team=builder.team)
    settings.midweek_joiners = "full"
    settings.save()
    week = week_assign(team=builder.team)
    newcomer = builder.agent("Finn")

    services.quota_refresh(week=week)

    assert Assignment.objects.filter(week=week, reviewer=newcomer).count() == 5


def test_a_deactivated_agents_open_reviews_go_back_to_the_pool(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    leaver = agents[0]
    first = Assignment.objects.filter(week=week, reviewer=leaver).first()
    assignment_complete(assignment=first)
    leaver.is_active = False
    leaver.save()

    services.quota_refresh(week=week)

    statuses = Counter(Assignment.objects.filter(week=week, reviewer=leaver).values_list("status", flat=True))
    assert statuses == {"released": 4, "completed": 1}
    assert AgentWeek.objects.get(week=week, agent=leaver).required == 1
    released = Assignment.objects.filter(status="released").values_list("conversation_id", flat=True)
    pulled = assignments_pull(agent=agents[1], count=20)
    assert set(released) & {a.conversation_id for a in pulled}


def test_a_skipped_conversation_is_replaced_and_its_reason_kept(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    handed_back = Assignment.objects.filter(week=week, reviewer=agents[0]).first()

    replacement = assignment_skip(assignment=handed_back, reason=SkipReason.WRONG_LANGUAGE, note="German")

    handed_back.refresh_from_db()
    assert (handed_back.status, handed_back.skip_reason, handed_back.skip_note) == (
        "skipped",
        "wrong_language",
        "German",
    )
    assert replacement.kind == Assignment.Kind.REPLACEMENT
    assert replacement.reviewee != agents[0]
    assert Assignment.objects.active().filter(week=week, reviewer=agents[0]).count() == 5
    assert skip_counts(week) == {"wrong_language": 1}
    # Handed back means not reviewable: nobody else is offered it (a teammate already giving it
    # a second opinion keeps theirs).
    assert not (
        Assignment.objects.active()
        .filter(conversation=handed_back.conversation)
        .exclude(role=Assignment.Role.SECOND)
        .exists()
    )


def test_a_skip_needs_a_reason(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week=week, reviewer=agents[0]).first()

    with pytest.raises(QuotaError, match="Choose why"):
        assignment_skip(assignment=assignment, reason="boring")
    with pytest.raises(QuotaError, match="Say in a few words"):
        assignment_skip(assignment=assignment, reason=SkipReason.OTHER, note="  ")
    assert Assignment.objects.get(pk=assignment.pk).status == "assigned"


def test_a_skip_with_nothing_to_replace_it_lowers_what_is_required(build, monday):
    builder = build()
    ana, ben = builder.agent("Ana"), builder.agent("Ben")
    builder.conversations(ana, 5)
    builder.conversations(ben, 5)
    week = week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week=week, reviewer=ana).first()

    assert assignment_skip(assignment=assignment, reason=SkipReason.SENSITIVE) is None

    assert AgentWeek.objects.get(week=week, agent=ana).required == 4


def test_pulling_more_gives_new_teammates_conversations(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)

    pulled = assignments_pull(agent=agents[0], count=3)

    assert len(pulled) == 3
    assert all(a.kind == "pulled" and a.week == week and a.reviewee != agents[0] for a in pulled)
    assert Assignment.objects.active().filter(reviewer=agents[0]).count() == 8
    first_reviews = Assignment.objects.filter(role=Assignment.Role.FIRST).values_list("conversation_id", flat=True)
    assert len(set(first_reviews)) == len(first_reviews) == 28 - 2, "new conversations; two second opinions"


def test_pulling_from_an_empty_pool_gives_nothing_and_a_bad_count_is_refused(build, monday):
    builder = build()
    ana, ben = builder.agent("Ana"), builder.agent("Ben")
    builder.conversations(ana, 1)
    builder.conversations(ben, 1)

    assert len(assignments_pull(agent=ana, count=5)) == 0  # the weekly batch took the only one
    with pytest.raises(QuotaError):
        assignments_pull(agent=ana, count=0)


def test_leads_are_left_out_of_batches_unless_the_team_says_otherwise(team_of_five, monday):
    builder, agents = team_of_five
    builder.team.leads.add(agents[0].user)
    week = week_assign(team=builder.team)
    assert not Assignment.objects.filter(week=week, reviewer=agents[0]).exists()
    assert Assignment.objects.filter(week=week, reviewee=agents[0]).exists()

    week.delete()
    settings = services.team_settings_get(team=builder.team)
    settings.leads_review, settings.leads_are_reviewed = True, False
    settings.save()
    week = week_assign(team=builder.team)

    assert Assignment.objects.filter(week=week, reviewer=agents[0]).count() == 5
    assert not Assignment.objects.filter(week=week, reviewee=agents[0]).exists()


def test_a_review_counts_for_its_own_week_and_a_closed_week_takes_no_more(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    done, late = Assignment.objects.filter(week=week, reviewer=agents[0])[:2]
    monday.move_to(MONDAY + timedelta(days=6, hours=14))  # Sunday 23:00, still week 48
    assert assignment_complete(assignment=done)
    monday.move_to(MONDAY + timedelta(days=7))
    next_week = week_assign(team=builder.team)

    assert assignment_complete(assignment=late) is False  # week 48 is over

    rows = {row.agent: row for row in week_completion(week)}
    assert (rows[agents[0]].completed, rows[agents[0]].remaining) == (1, 4)
    assert all(row.completed == 0 for row in week_completion(next_week))
    assert team_completion_percent(list(rows.values())) == 4  # 1 of 25


def test_changing_the_week_start_midweek_applies_from_the_next_week(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    settings = services.team_settings_get(team=builder.team)
    settings.week_starts_on = 6  # Sunday
    settings.save()

    assert week_assign(team=builder.team) == week
    assert len(assignments_pull(agent=agents[0], count=1)) == 1
    monday.move_to(MONDAY + timedelta(days=7))  # the next Monday: a Sunday start gives yesterday
    following = week_assign(team=builder.team)

    assert following.starts_at == week.ends_at  # no overlap with the week that just ended
    assert following.label == "2026-W49"
    monday.move_to(MONDAY + timedelta(days=13))  # Sunday 6 December: the first Sunday-start week
    sunday_week = week_assign(team=builder.team)

    assert (sunday_week.starts_at, sunday_week.label) == (following.ends_at, "2026-W50")
    assert settings.week_start_for_label("2026-W50") == sunday_week.starts_at
    assert ReviewWeek.objects.count() == 3


def test_nothing_can_be_handed_back_once_the_week_has_closed(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    assignment = Assignment.objects.filter(week=week, reviewer=agents[0]).first()
    monday.move_to(MONDAY + timedelta(days=7))

    with pytest.raises(QuotaError, match="has closed"):
        assignment_skip(assignment=assignment, reason=SkipReason.SENSITIVE)
    assert AgentWeek.objects.get(week=week, agent=agents[0]).required == 5


def test_the_completion_query_count_does_not_grow_with_the_team(build, monday, django_assert_max_num_queries):
    builder = build()
    agents = [builder.agent(f"Agent {n}") for n in range(30)]
    for agent in agents:
        builder.conversations(agent, 6)
    week = week_assign(team=builder.team)

    with django_assert_max_num_queries(1):
        rows = week_completion(week)

    assert len(rows) == 30


def test_moving_the_start_to_midweek_makes_one_longer_bridging_week(team_of_five, monday):
    builder, _ = team_of_five
    week = week_assign(team=builder.team)
    settings = services.team_settings_get(team=builder.team)
    settings.week_starts_on = 2  # Wednesday
    settings.save()

    labels = []
    for days in (7, 8, 10, 13, 16, 20):
        monday.move_to(MONDAY + timedelta(days=days))
        labels.append(week_assign(team=builder.team).label)

    weeks = list(ReviewWeek.objects.order_by("starts_at"))
    assert [w.label for w in weeks] == ["2026-W48", "2026-W49", "2026-W50"]
    assert weeks[1].starts_at == week.ends_at  # Monday 30 Nov
    assert weeks[1].ends_at.isoformat() == "2026-12-09T00:00:00+00:00"  # a Wednesday, nine days on
    assert all(earlier.ends_at == later.starts_at for earlier, later in zip(weeks, weeks[1:], strict=False))


@pytest.mark.parametrize("start_day", range(7))
@pytest.mark.parametrize("hour", [0, 9, 12, 23])
def test_a_weeks_label_leads_back_to_that_week(start_day, hour):
    from datetime import time

    from reviews.models import TeamSettings, week_label

    for zone in ("UTC", "America/Los_Angeles", "Pacific/Auckland"):
        settings = TeamSettings(week_starts_on=start_day, week_starts_at=time(hour), time_zone=zone)
        start = settings.week_start_at(MONDAY)
        for _ in range(60):
            assert settings.week_start_for_label(week_label(start)) == start
            start = settings.week_start_for_date(start.date() + timedelta(days=7))


def test_assign_week_without_a_week_uses_the_week_under_way(team_of_five, monday):
    builder, _ = team_of_five
    week = week_assign(team=builder.team)
    settings = services.team_settings_get(team=builder.team)
    settings.week_starts_on = 6
    settings.save()

    call_command("assign_week", "--team", builder.team.name)

    assert list(ReviewWeek.objects.all()) == [week]


def test_one_teams_failure_does_not_hold_up_the_others(build, monday, caplog):
    first, second = build("First"), build("Second")
    for builder in (first, second):
        for name in ("Ana", "Ben"):
            builder.conversations(builder.agent(name), 3)
    # A time zone the server's tz database does not know (say, dropped by an update): the
    # first team's week cannot even be found.
    TeamSettings.objects.create(team=first.team, time_zone="Mars/Olympus")

    weeks = services.due_weeks_assign()

    assert [week.team for week in weeks] == [second.team]
    assert Assignment.objects.filter(week__team=second.team).count() == 6
    assert f"Could not make the weekly batches of team {first.team.pk}" in caplog.text


def test_the_hourly_run_gives_a_teammate_who_joined_midweek_their_share(team_of_five, monday):
    builder, agents = team_of_five
    services.due_weeks_assign()
    monday.move_to(MONDAY + timedelta(days=3))  # Thursday 09:00: 3 days 15 hours of 7 days left
    newcomer = builder.agent("Finn")
    builder.conversations(newcomer, 4)

    [week] = services.due_weeks_assign()

    agent_week = AgentWeek.objects.get(week=week, agent=newcomer)
    assert (agent_week.quota, agent_week.required, agent_week.joined_midweek) == (3, 3, True)
    batch = Assignment.objects.filter(week=week, reviewer=newcomer)
    assert batch.count() == 3
    assert not batch.filter(reviewee=newcomer).exists()
    # Everyone else keeps the batch they had.
    assert all(Assignment.objects.filter(week=week, reviewer=agent).count() == 5 for agent in agents)


def test_the_next_hourly_run_gives_a_late_joiner_nothing_more(team_of_five, monday):
    builder, _ = team_of_five
    week = week_assign(team=builder.team)
    monday.move_to(MONDAY + timedelta(days=1))
    newcomer = builder.agent("Finn")
    services.due_weeks_assign()
    before = list(Assignment.objects.filter(week=week).values_list("pk", "reviewer_id", "conversation_id"))

    monday.move_to(MONDAY + timedelta(days=1, hours=1))
    services.due_weeks_assign()

    assert list(Assignment.objects.filter(week=week).values_list("pk", "reviewer_id", "conversation_id")) == before
    assert AgentWeek.objects.filter(week=week, agent=newcomer).count() == 1


def test_the_hourly_run_gives_no_batch_to_a_lead_or_an_away_newcomer(team_of_five, monday):
    builder, _ = team_of_five
    week = week_assign(team=builder.team)
    lead, away = builder.agent("Lena"), builder.agent("Ahmed", is_away=True)
    builder.team.leads.add(lead.user)

    services.due_weeks_assign()

    assert not AgentWeek.objects.filter(week=week, agent=lead).exists()
    assert (AgentWeek.objects.get(week=week, agent=away).quota, away.assignments_to_review.count()) == (0, 0)


def test_the_hourly_run_releases_a_deactivated_agents_open_reviews(team_of_five, monday):
    builder, agents = team_of_five
    week = week_assign(team=builder.team)
    leavers = agents[:2]
    for leaver in leavers:
        assignment_complete(assignment=Assignment.objects.filter(week=week, reviewer=leaver).first())
        leaver.is_active = False
        leaver.save()

    services.due_weeks_assign()

    for leaver in leavers:
        statuses = Counter(Assignment.objects.filter(week=week, reviewer=leaver).values_list("status", flat=True))
        assert statuses == {"released": 4, "completed": 1}
        assert AgentWeek.objects.get(week=week, agent=leaver).required == 1
    assert AgentWeek.objects.get(week=week, agent=agents[2]).required == 5


def teams_of(build, teams, agents):
    builders = [build(f"Team {number}") for number in range(teams)]
    for builder in builders:
        for name in range(agents):
            builder.conversations(builder.agent(f"Agent {name}"), 8)
    return builders


@pytest.mark.parametrize("agents", [3, 12])
def test_making_the_weeks_costs_the_same_queries_for_any_team_size(
    build, monday, agents, django_assert_max_num_queries
):
    teams_of(build, 3, agents)

    # Teams, leads, agents, their absences, recent starters, running weeks, each team's last week and that
    # week's pairs; then
    # per team a savepoint, the eligible conversations, the week, its assignments, its agent
    # weeks and the savepoint's release (the test's transaction makes the team's transaction
    # a savepoint).
    with django_assert_max_num_queries(8 + 6 * 3):
        weeks = services.due_weeks_assign()

    assert Assignment.objects.filter(week__in=weeks).count() == 3 * agents * 5


@pytest.mark.parametrize("agents", [3, 12])
def test_an_hour_with_nobody_joining_or_leaving_costs_eight_queries_for_all_teams(
    build, monday, agents, django_assert_max_num_queries
):
    teams_of(build, 3, agents)
    services.due_weeks_assign()
    monday.move_to(MONDAY + timedelta(hours=1))

    # Teams, leads, agents, their absences, recent starters, running weeks, their agent weeks, leavers
    # with open reviews.
    with django_assert_max_num_queries(8):
        weeks = services.due_weeks_assign()

    assert len(weeks) == 3


@pytest.mark.parametrize("agents", [3, 12])
def test_late_joiners_cost_the_same_queries_in_any_team_size(build, monday, agents, django_assert_max_num_queries):
    builders = teams_of(build, 3, agents)
    services.due_weeks_assign()
    monday.move_to(MONDAY + timedelta(days=2))
    for builder in builders[:2]:
        builder.agent("Finn")
        builder.agent("Gus")

    # The eight of a quiet hour (absences among them); then for each team with newcomers a savepoint, the week
    # locked, leavers' open reviews, the agent weeks, the eligible conversations, the
    # newcomers' assignments and agent weeks, and the release.
    with django_assert_max_num_queries(8 + 8 * 2):
        services.due_weeks_assign()

    assert AgentWeek.objects.filter(joined_midweek=True, quota=4).count() == 4
    assert Assignment.objects.filter(reviewer__name__in=["Finn", "Gus"]).count() == 4 * 4
