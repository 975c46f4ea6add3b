"""Leads: weeks of completion, trends, an agent's coaching page and CSV exports, with permissions."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from conversations.models import Agent, SyncRun
from reviews import services
from reviews.models import Assignment, Rating, Review
from reviews.services import assignment_skip, week_assign
from reviews.views.team import AGENTS_A_PAGE, WEEK_CHOICES

from .factories import WEEK_START, answers

pytestmark = pytest.mark.django_db


def review(assignment, quality=2, tone=2, followed=True, note=""):
    return services.review_submit(
        assignment=assignment,
        answers=answers(quality=quality, tone=tone, followed=followed, quality_note=note),
        now=assignment.week.starts_at + timedelta(days=1),
    )


@pytest.fixture
def history(build, monday):
    """Three weeks of a four-person team: week 46 all done, week 47 half, week 48 just started."""
    builder = build("Billing")
    agents = [builder.agent(name) for name in ("Ana", "Ben", "Cleo", "Dev")]
    for agent in agents:
        for days_ago in (2, 9, 16):
            builder.conversations(agent, 5, closed_days_ago=days_ago, csat=None)
    weeks = [week_assign(team=builder.team, starts_at=WEEK_START - timedelta(days=7 * n), seed=n) for n in (2, 1, 0)]
    for assignment in Assignment.objects.filter(week=weeks[0]):
        review(assignment, quality=3, tone=2)
    for index, assignment in enumerate(Assignment.objects.filter(week=weeks[1]).order_by("pk")):
        if index % 2 == 0:
            review(assignment, quality=1, tone=3, followed=False, note=f"Missed the refund policy {index}")
    lead = get_user_model().objects.create_user("lead@ledgerly.example", email="lead@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    SyncRun.objects.create(
        source="intercom", status="succeeded", kept=40, excluded_counts={"short": 3}, finished_at=timezone.now()
    )
    SyncRun.objects.create(
        source="intercom",
        status="failed",
        error_text="The Intercom token was rejected (HTTP 401).",
        finished_at=timezone.now(),
    )
    other = build("Product")
    other_lead = get_user_model().objects.create_user("plead@ledgerly.example", password="pw")
    other.team.leads.add(other_lead)
    return {"team": builder.team, "agents": agents, "weeks": weeks, "lead": lead, "other_lead": other_lead}


def test_team_weeks_show_each_agents_done_over_required_and_team_percent(client, history):
    client.force_login(history["lead"])

    page = client.get(reverse("reviews:team_week", args=[history["team"].pk])).content.decode()

    assert "2026-W46" in page and "2026-W47" in page and "2026-W48" in page
    assert '<td class="met">\n          5/5' in page
    assert "<th>100%</th>" in page and "<th>0%</th>" in page
    assert "The Intercom token was rejected (HTTP 401)." in page
    assert "40 kept; set aside: too short to review 3." in " ".join(page.split())
    assert "to go" in page and "behind" not in page.lower()


def test_each_agent_row_has_a_sparkline_of_their_weeks(client, history):
    client.force_login(history["lead"])

    page = client.get(reverse("reviews:team_week", args=[history["team"].pk])).content.decode()

    sparks = re.findall(r'<svg class="spark"[^>]*aria-label="([^"]+)"', page)
    assert len(sparks) == 4
    ana = Agent.objects.get(team=history["team"], name="Ana")
    done_in_47 = Assignment.objects.filter(week=history["weeks"][1], reviewer=ana, status="completed").count()
    assert f"Ana: reviews done, week by week: 100%, {done_in_47 * 20}%, 0%" in sparks


def test_the_selected_week_shows_hand_backs_and_shortfall(client, history):
    assignment_skip(assignment=Assignment.objects.filter(week=history["weeks"][2]).first(), reason="sensitive")
    client.force_login(history["lead"])

    page = client.get(reverse("reviews:team_week", args=[history["team"].pk]), {"week": "2026-W48"}).content.decode()

    assert "Week 2026-W48" in page
    assert "Sensitive: 1" in page


def test_trends_show_level_shares_per_week_as_a_chart_and_a_table(client, history):
    client.force_login(history["lead"])

    page = client.get(reverse("reviews:trends", args=[history["team"].pk])).content.decode()

    assert page.count('<svg role="img"') == 3
    assert "2026-W47: Followed internal processes: yes in 0% of 10" not in page  # a 0% bar has no rectangle
    assert "2026-W46: Followed internal processes: yes in 100% of 20" in page
    assert "2026-W46: Exceptional 100% of 20" in page
    assert "2026-W47: Needs improvement 100% of 10" in page
    row_47 = page.split("<td>2026-W47</td>")[1].split("</tr>")[0].replace("\n", "").replace(" ", "")
    # 10 reviews scoring (0% + 100% + 0%) / 3; quality all Needs improvement, tone all
    # Exceptional, processes all No; no low CSAT.
    assert row_47 == (
        "<td>10</td><td>33%</td><td>100%</td><td>0%</td><td>0%</td><td>0%</td><td>0%</td><td>100%</td>"
        "<td>100%</td><td>0%</td><td>—</td>"
    )


def test_the_agent_page_is_labelled_coaching_and_lists_notes_received(client, history):
    client.force_login(history["lead"])
    ana = history["agents"][0]

    page = client.get(reverse("reviews:agent_detail", args=[history["team"].pk, ana.pk])).content.decode()

    assert "Coaching information for leads" in page
    assert "separate from the quota KPI" in page
    assert page.count("Reviewed by") == ana.reviews_received.count()


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_reviews_export_streams_every_review_with_links_and_iso_dates(client, history):
    client.force_login(history["lead"])

    response = client.get(reverse("reviews:export_reviews", args=[history["team"].pk]))

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert len(rows) == 30
    first = rows[0]
    assert first["week"] == "2026-W46"
    assert first["reviewed_at"].startswith("2026-11-10T")
    assert first["quality"] == "Exceptional" and first["followed_internal_processes"] == "Yes"
    assert first["quality_score"] == "83"  # (100% + 50% + 100%) / 3
    assert first["conversation_link"].startswith("http://testserver/conversations/")


def test_the_export_follows_the_weeks_shown(client, history):
    client.force_login(history["lead"])

    rows = read_csv(client.get(reverse("reviews:export_reviews", args=[history["team"].pk]), {"weeks": 4}))
    completion = read_csv(client.get(reverse("reviews:export_completion", args=[history["team"].pk])))

    assert {row["week"] for row in rows} == {"2026-W46", "2026-W47"}
    assert len(completion) == 12
    assert {row["completed"] for row in completion if row["week"] == "2026-W46"} == {"5"}
    assert list(completion[0]) == [
        "team",
        "week",
        "agent",
        "email",
        "quota",
        "required",
        "assigned",
        "completed",
        "handed_back",
        "shortfall",
        "away",
    ]


def test_the_reviews_export_says_which_team_review_csat_scorecard_and_what_happened_since(client, history):
    team = history["team"]
    shared = Review.objects.order_by("pk").first()
    Review.objects.filter(pk=shared.pk).update(share_as_example=True, seen_at=timezone.now())
    shared.conversation.csat_rating, shared.conversation.tags = 2, ["refund", "VIP"]
    shared.conversation.save()
    services.review_comment_add(review=shared, author=shared.reviewee.user, body="Thanks!")
    client.force_login(history["lead"])

    rows = {
        int(row["review_id"]): row for row in read_csv(client.get(reverse("reviews:export_reviews", args=[team.pk])))
    }

    row = rows[shared.pk]
    assert row["team"] == "Billing"
    assert row["review_link"] == f"http://testserver/reviews/{shared.pk}/"
    assert (row["csat"], row["tags"], row["scorecard_version"]) == ("2", "refund, VIP", "1")
    assert (row["shared_with_team"], row["seen_by_reviewee"], row["replies"]) == ("yes", "yes", "1")
    other = next(row for pk, row in rows.items() if pk != shared.pk)
    assert (other["csat"], other["shared_with_team"], other["seen_by_reviewee"], other["replies"]) == (
        "",
        "no",
        "no",
        "0",
    )


def test_the_exports_filter_by_date_agent_and_tag(client, history):
    team, ana = history["team"], history["agents"][0]
    tagged = Review.objects.filter(reviewee=ana).order_by("pk").first()
    tagged.conversation.tags = ["Refund"]
    tagged.conversation.save()
    client.force_login(history["lead"])
    url = reverse("reviews:export_reviews", args=[team.pk])

    everything = read_csv(client.get(url))
    of_ana = read_csv(client.get(url, {"agent": ana.pk}))
    refunds = read_csv(client.get(url, {"tag": "refund"}))
    week_47 = read_csv(client.get(url, {"start": "2026-11-16", "end": "2026-11-22"}))
    completion = read_csv(client.get(reverse("reviews:export_completion", args=[team.pk]), {"agent": ana.pk}))

    assert {row["reviewee"] for row in of_ana} == {"Ana"} and 0 < len(of_ana) < len(everything)
    of_tagged = Review.objects.filter(conversation=tagged.conversation)  # with its second opinion, if it has one
    assert sorted(int(row["review_id"]) for row in refunds) == sorted(of_tagged.values_list("pk", flat=True))
    assert {row["week"] for row in week_47} == {"2026-W47"}
    assert {row["agent"] for row in completion} == {"Ana"} and len(completion) == 3


def test_a_bad_export_filter_is_refused_in_words(client, history, build):
    stranger = build("Returns").agent("Rita")
    client.force_login(history["lead"])
    url = reverse("reviews:export_reviews", args=[history["team"].pk])

    backwards = client.get(url, {"start": "2026-11-20", "end": "2026-11-01"})
    elsewhere = client.get(url, {"agent": stranger.pk})

    # The export page again, saying what to change beside the field, with what was typed kept.
    assert backwards.status_code == 400
    page = backwards.content.decode()
    assert "The export was not made" in page and "The end date is before the start date." in page
    assert 'value="2026-11-20"' in page and 'value="2026-11-01"' in page
    assert elsewhere.status_code == 400 and "Select a valid choice." in elsewhere.content.decode()


def test_completion_counts_what_was_assigned_and_handed_back(client, history):
    week = history["weeks"][2]
    ana = history["agents"][0]
    assignment_skip(assignment=Assignment.objects.filter(week=week, reviewer=ana).first(), reason="wrong_language")
    client.force_login(history["lead"])

    rows = read_csv(client.get(reverse("reviews:export_completion", args=[history["team"].pk]), {"agent": ana.pk}))

    this_week = next(row for row in rows if row["week"] == week.label)
    handed_out = Assignment.objects.filter(week=week, reviewer=ana).exclude(status="released").count()
    assert (this_week["assigned"], this_week["handed_back"]) == (str(handed_out), "1")


def test_the_completion_file_keeps_the_weeks_with_a_day_in_the_date_range(client, history):
    client.force_login(history["lead"])
    url = reverse("reviews:export_completion", args=[history["team"].pk])

    # Week 47 runs Mon 16 to Sun 22 November: a range from its Sunday on keeps it and week 48.
    rows = read_csv(client.get(url, {"start": "2026-11-22", "end": "2026-11-30"}))

    assert {row["week"] for row in rows} == {"2026-W47", "2026-W48"}
    assert len(rows) == 2 * len(history["agents"])


def test_the_export_page_offers_the_weeks_and_every_filter(client, history):
    client.force_login(history["lead"])

    page = client.get(reverse("reviews:export", args=[history["team"].pk]), {"weeks": 12}).content.decode()

    assert '<option value="12" selected>The last 12 weeks</option>' in page
    for label in ("Reviewed from", "Reviewed until", "Agent reviewed", "Conversation tag"):
        assert f">{label}</label>" in page
    assert page.count("<option value=") == len(WEEK_CHOICES) + 1 + len(history["agents"])


def test_a_big_team_week_shows_its_agents_a_page_at_a_time_and_counts_everyone(client, build, monday):
    builder = build("Big")
    agents = [builder.agent(f"Agent {number:02d}") for number in range(AGENTS_A_PAGE + 5)]
    for agent in agents:
        builder.conversations(agent, 6)
    week = week_assign(team=builder.team)
    for assignment in Assignment.objects.filter(week=week, reviewer=agents[-1]):
        review(assignment)
    lead = get_user_model().objects.create_user("big@ledgerly.example", email="big@ledgerly.example", password="pw")
    builder.team.leads.add(lead)
    client.force_login(lead)
    url = reverse("reviews:team_week", args=[builder.team.pk])

    first, second = client.get(url).content.decode(), client.get(url, {"page": 2}).content.decode()

    assert f"Agents 1–{AGENTS_A_PAGE} of {AGENTS_A_PAGE + 5}" in first
    last = f"Agent {AGENTS_A_PAGE + 4:02d}"
    assert "Agent 00" in first and last not in first
    assert last in second and "Agent 00" not in second
    assert "Next agents" in first and "Previous agents" in second
    # The team's figure counts the agent on page 2, whichever page is shown.
    percent = round(100 * 5 / (5 * len(agents)))
    assert percent > 0
    for page in (first, second):
        assert f"Team completion: <strong>{percent}%</strong>" in page


@pytest.mark.parametrize(
    "name,extra",
    [
        ("team_week", []),
        ("trends", []),
        ("agent_detail", ["agent"]),
        ("export_reviews", []),
        ("export_completion", []),
        ("team_settings", []),
        ("scorecard", []),
        ("reports", []),
        ("criterion_new", []),
    ],
)
def test_lead_pages_are_404_for_agents_and_other_leads_and_open_to_staff(client, history, name, extra):
    args = [history["team"].pk] + [history["agents"][0].pk for _ in extra]
    url = reverse(f"reviews:{name}", args=args)
    staff = get_user_model().objects.create_user("root@ledgerly.example", password="pw", is_staff=True)

    for outsider in (history["agents"][0].user, history["other_lead"]):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_an_agent_of_another_team_is_not_found_under_this_team(client, history, build):
    stranger = build("Elsewhere").agent("Zed")
    client.force_login(history["lead"])

    url = reverse("reviews:agent_detail", args=[history["team"].pk, stranger.pk])

    assert client.get(url).status_code == 404


def test_lead_pages_have_a_fixed_number_of_queries(client, history, django_assert_max_num_queries):
    client.force_login(history["lead"])
    team = history["team"].pk
    # Each bound includes the menu's two queries for a lead with no teammate (that, the teams led)
    # and, where ratings are shown, four for the team's scorecard (its version, criteria, their
    # levels and root causes).
    for name, args, limit in [
        ("team_week", [team], 16),  # with the conversations leads sent, counted apart
        ("export", [team], 7),
        ("trends", [team], 12),
        ("reports", [team], 15),
        ("agent_detail", [team, history["agents"][0].pk], 22),  # with their focus items and 1:1s
    ]:
        with django_assert_max_num_queries(limit):
            assert client.get(reverse(f"reviews:{name}", args=args), {"weeks": 52}).status_code == 200
    # The criteria, their levels and root causes, the reviews, then the ratings and root
    # causes of each week with reviews (two here: 46 and 47).
    with django_assert_max_num_queries(9 + 2 * 2):
        read_csv(client.get(reverse("reviews:export_reviews", args=[team]), {"weeks": 52}))


def test_the_export_neutralises_spreadsheet_formulas(client, history):
    Rating.objects.filter(review=Review.objects.first(), criterion__key="quality").update(
        note='=HYPERLINK("https://evil.example","x")'
    )
    client.force_login(history["lead"])

    rows = read_csv(client.get(reverse("reviews:export_reviews", args=[history["team"].pk])))

    notes = [row["quality_note"] for row in rows if "HYPERLINK" in row["quality_note"]]
    assert notes == ['\'=HYPERLINK("https://evil.example","x")']


def test_the_export_neutralises_the_link_and_email_columns_too(client, history):
    from conversations.models import Agent, Conversation

    first = Review.objects.order_by("assignment__week__starts_at", "created_at", "id").first()
    Conversation.objects.filter(pk=first.conversation_id).update(url="=cmd|' /C calc'!A0")
    Agent.objects.filter(pk=history["agents"][0].pk).update(email="@SUM(1+1)*cmd|' /C calc'!A0")
    client.force_login(history["lead"])

    reviews = read_csv(client.get(reverse("reviews:export_reviews", args=[history["team"].pk])))
    completion = read_csv(client.get(reverse("reviews:export_completion", args=[history["team"].pk])))

    assert reviews[0]["conversation_link"] == "'=cmd|' /C calc'!A0"
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in {row["email"] for row in completion}


def test_export_file_names_are_safe_ascii_with_the_team_slug_and_dates(client, history):
    history["team"].name = 'Säo Paulo "Billing"\r\nX-Evil: 1'
    history["team"].save()
    client.force_login(history["lead"])

    reviews = client.get(reverse("reviews:export_reviews", args=[history["team"].pk]), {"weeks": 4})
    completion = client.get(reverse("reviews:export_completion", args=[history["team"].pk]), {"weeks": 4})

    assert reviews["Content-Disposition"] == (
        'attachment; filename="sao-paulo-billing-x-evil-1-reviews-2026-11-09-to-2026-11-29.csv"'
    )
    assert completion["Content-Disposition"].startswith('attachment; filename="sao-paulo-billing-x-evil-1-quota-')
    assert "X-Evil" not in reviews
