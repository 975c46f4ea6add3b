"""Builds the demo: Ledgerly's three teams with twelve weeks of history, from the material in
content.py. The conversations go through the file import (the same code as a sync), and
the weeks, reviews, replies and hand-backs through the same services as the app's pages.

Everything is drawn from random generators seeded with fixed numbers, so each demo tells
the same story; only its dates follow the clock, ending with this week's batches."""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from conversations.helpdesks.files import FileHelpdesk
from conversations.models import Agent, Conversation, Source, SyncRun, Team
from conversations.services import conversations_sync

from .. import selectors, services
from ..models import (
    LOW_CSAT_AT_MOST,
    Assignment,
    FocusItem,
    FocusOutcome,
    Review,
    ReviewWeek,
    Scale,
    Scorecard,
    SkipReason,
    TeamSettings,
)
from ..scorecards import CriterionSpec, RatingAnswer, default_levels
from . import content
from .content import TOPICS, DemoTeam, Person

HISTORY_WEEKS = 12


def _seed(*parts: object) -> int:
    """A fixed seed per purpose: the same demo on every machine and database."""
    return zlib.crc32("/".join(str(part) for part in parts).encode())


def _agent_id(person: Person) -> str:
    return f"a-{person.first.lower()}"


# --- Conversations ----------------------------------------------------------------------------


def _details(rng: random.Random) -> dict[str, str]:
    customer = rng.choice(content.CUSTOMERS)
    return {
        "customer": customer,
        "first": customer.split()[0],
        "business": rng.choice(content.BUSINESSES),
        "bank": rng.choice(content.BANKS),
        "amount": f"£{rng.choice([12, 19, 24, 29, 39, 49, 59, 79, 99, 149, 288, 348])}.00",
        "invoice": f"INV-{rng.randint(1000, 9999)}",
        "month": rng.choice(content.MONTHS),
    }


def _message(number: int, author: str, at: datetime, body: str, **extra: str) -> dict[str, Any]:
    return {"id": str(number), "author": author, "created_at": at.isoformat(), "body": body, **extra}


def _conversation(
    rng: random.Random, team: DemoTeam, external_id: str, closed_at: datetime, assignee: Person
) -> dict[str, Any]:
    details = _details(rng)
    topic_key = rng.choice(team.topics)
    topic = TOPICS[topic_key]
    agent = _agent_id(assignee)
    kind = rng.choices(["normal", "short", "spam", "bot"], weights=[88, 6, 3, 3])[0]
    started = closed_at - timedelta(minutes=rng.randint(20, 30 * 60))
    customer = {"name": details["customer"]}
    tags = [topic_key.replace("_", "-")]
    if kind == "spam":
        messages = [_message(1, "customer", started, rng.choice(content.SPAM_LINES), name="Growth Partners")]
        messages.append(_message(2, "agent", closed_at, "Closing this one.", agent=agent))
        tags = ["Spam"] if rng.random() < 0.5 else tags
    elif kind == "bot":
        messages = [
            _message(1, "customer", started, rng.choice(topic["customer"]).format(**details), **customer),
            _message(2, "bot", closed_at, rng.choice(content.BOT_LINES), name="Ledgerly Assistant"),
        ]
    elif kind == "short":
        messages = [
            _message(1, "customer", started, rng.choice(content.SHORT_CUSTOMER), **customer),
            _message(2, "agent", closed_at, rng.choice(content.SHORT_AGENT), agent=agent),
        ]
    else:
        lines = [
            ("customer", rng.choice(topic["customer"])),
            ("agent", rng.choice(topic["agent"])),
            ("customer", rng.choice(topic["follow"])),
            ("agent", rng.choice(topic["close"])),
        ]
        if rng.random() < 0.25:
            lines.insert(2, ("note", "Checked the account history before replying."))
        if rng.random() < 0.3:
            lines += [("customer", "Thanks again, really appreciate it."), ("agent", "Any time, {first}!")]
        step = (closed_at - started) / len(lines)
        messages = []
        for number, (author, text) in enumerate(lines, start=1):
            at = started + step * (number - 1) if number < len(lines) else closed_at
            who = customer if author == "customer" else {"agent": agent}
            messages.append(_message(number, author, at, f"<p>{text.format(**details)}</p>", **who))
        if rng.random() < 0.15:
            tags.append("urgent")
    record: dict[str, Any] = {
        "id": external_id,
        "subject": rng.choice(topic["subject"]) if kind != "spam" else "Partnership opportunity",
        "created_at": started.isoformat(),
        "updated_at": closed_at.isoformat(),
        "closed_at": closed_at.isoformat(),
        "state": "closed",
        "assignee": agent,
        "team": team.key,
        "tags": tags,
        "spam": kind == "spam" and "Spam" not in tags,
        "url": f"https://help.ledgerly.example/conversations/{external_id}",
        "messages": messages,
    }
    if kind == "normal" and rng.random() < 0.6:
        rating = rng.choices([1, 2, 3, 4, 5], weights=[9, 8, 12, 26, 45])[0]
        record["csat"] = {"rating": rating, "remark": rng.choice(content.CSAT_REMARKS[rating])}
    return record


def _closing_times(rng: random.Random, start: datetime, count: int) -> Iterator[datetime]:
    """`count` times in the 7 days from `start`, mostly in working hours."""
    for _ in range(count):
        day = rng.choices(range(7), weights=[18, 18, 18, 18, 16, 6, 6])[0]
        yield start + timedelta(days=day, hours=rng.randint(8, 18), minutes=rng.randint(0, 59))


def conversations_document(week_starts: dict[str, datetime]) -> dict[str, Any]:
    """The import file of every team: for each of the twelve weeks of history and this week,
    the conversations closed in the seven days before it began (its pool)."""
    conversations = []
    for team in content.TEAMS:
        rng = random.Random(_seed("conversations", team.key))
        # The playing lead answers fewer conversations than the others.
        weights = [1 if person == content.PLAYING_LEAD else 3 for person in team.agents]
        for weeks_ago in range(HISTORY_WEEKS, -1, -1):
            count = team.conversations_this_week if weeks_ago == 0 else team.conversations_a_week
            pool_start = week_starts[team.key] - timedelta(days=7 * (weeks_ago + 1))
            for number, closed_at in enumerate(sorted(_closing_times(rng, pool_start, count)), start=1):
                assignee = rng.choices(team.agents, weights=weights)[0]
                external_id = f"{team.key}-{weeks_ago:02d}-{number:03d}"
                conversations.append(_conversation(rng, team, external_id, closed_at, assignee))
    return {
        "format": "carousel.conversations/v1",
        "teams": [{"id": team.key, "name": team.name} for team in content.TEAMS],
        "agents": [
            {"id": _agent_id(person), "name": person.name, "email": person.email, "team": team.key}
            for team in content.TEAMS
            for person in team.agents
        ],
        "conversations": conversations,
    }


# --- People -----------------------------------------------------------------------------------


def people_create() -> None:
    """Every sign-in of the README's table, before the import links teammates to them."""
    everyone = [content.LEAD, content.ADMIN, *(p for team in content.TEAMS for p in team.agents if p.account)]
    for person in everyone:
        if User.objects.filter(username=person.email).exists():
            continue
        staff = person == content.ADMIN
        User.objects.create_user(
            username=person.email,
            email=person.email,
            password=content.PASSWORD,
            first_name=person.first,
            last_name=person.last,
            is_staff=staff,
            is_superuser=staff,
        )


def _leads_set(teams: dict[str, Team]) -> None:
    lead = User.objects.get(username=content.LEAD.email)
    for team in teams.values():
        team.leads.add(lead)
    teams["onboarding"].leads.add(User.objects.get(username=content.PLAYING_LEAD.email))


# --- Reviews ----------------------------------------------------------------------------------


class _Notes:
    """Review notes from content.py's fragments, never the same text twice."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make: Any) -> str:
        for _ in range(40):
            text = make()
            if text not in self.used:
                self.used.add(text)
                return text
        return ""  # every wording used up: no note rather than a repeated one

    def quality(self, level: int, topic: str, details: dict[str, str]) -> str:
        openings, findings, endings = content.QUALITY_NOTES[level]
        topic_words = content.TOPIC_WORDS[topic]

        def make() -> str:
            opening = self.rng.choice(openings).format(topic=topic_words, **details)
            return opening + self.rng.choice(findings) + self.rng.choice(endings)

        return self._unique(make)

    def tone(self, level: int, details: dict[str, str]) -> str:
        if level == 2 and self.rng.random() < 0.4:
            return ""  # "good" often goes without saying
        openings, endings = content.TONE_NOTES[level]
        return self._unique(lambda: self.rng.choice(openings).format(**details) + self.rng.choice(endings))


def _verdict(rng: random.Random, weeks_ago: int) -> tuple[int, int]:
    """Quality and tone levels, mostly good, a little better as the weeks go by."""
    better = (HISTORY_WEEKS - weeks_ago) / HISTORY_WEEKS
    quality = rng.choices([1, 2, 3], weights=[14 - 6 * better, 66, 12 + 8 * better])[0]
    tone = rng.choices([1, 2, 3], weights=[9, 70, 16 + 6 * better])[0]
    return quality, tone


def _seconded(assignment: Assignment, quality: int, tone: int) -> tuple[int, int]:
    """A second opinion mostly agrees with the first review, when it is in: teammates who
    read the same scorecard, not two dice. Drawn apart so the rest of the demo stays as it was."""
    first = (
        Review.objects.filter(conversation_id=assignment.conversation_id, assignment__week_id=assignment.week_id)
        .exclude(assignment=assignment)
        .first()
    )
    if first is None:
        return quality, tone
    levels = dict(first.ratings.values_list("criterion__key", "level"))
    agree = random.Random(_seed("second opinion", assignment.pk))
    return (
        (levels["quality"] or quality) if agree.random() < 0.75 else quality,
        (levels["tone"] or tone) if agree.random() < 0.75 else tone,
    )


def _conversation_details(assignment: Assignment) -> tuple[str, dict[str, str]]:
    conversation = assignment.conversation
    topic = conversation.tags[0].replace("-", "_") if conversation.tags else ""
    customer = next((m.author_name for m in conversation.messages.all() if m.author_kind == "customer"), "")
    first = customer.split()[0] if customer else "the customer"
    body = " ".join(m.body_text for m in conversation.messages.all())
    business = next((b for b in content.BUSINESSES if b in body), "their business")
    return (topic if topic in content.TOPIC_WORDS else "refund"), {"first": first, "business": business}


def _review(
    assignment: Assignment, *, rng: random.Random, notes: _Notes, weeks_ago: int, at: datetime, extras: _Extras
) -> Review:
    quality, tone = _verdict(rng, weeks_ago)
    if assignment.role == Assignment.Role.SECOND:
        quality, tone = _seconded(assignment, quality, tone)
    topic, details = _conversation_details(assignment)
    process_note, missed = ("", 0) if rng.random() > 0.15 else rng.choice(content.PROCESS_NOTES)
    ratings = {
        "quality": RatingAnswer(
            quality, notes.quality(quality, topic, details) if quality != 2 or rng.random() < 0.8 else ""
        ),
        "tone": RatingAnswer(tone, notes.tone(tone, details)),
        "process": RatingAnswer(1 if missed else 2, process_note, (missed,) if missed else ()),
    }
    if extras.product_knowledge:
        ratings["product_knowledge"] = RatingAnswer(
            None if rng.random() < 0.1 else rng.choices([2, 3, 4, 5], weights=[8, 20, 50, 22])[0]
        )
    csat = assignment.conversation.csat_rating
    low_csat = csat is not None and csat <= LOW_CSAT_AT_MOST
    return services.review_submit(
        assignment=assignment,
        answers={
            "ratings": ratings,
            "share_as_example": quality == 3 and tone >= 2 and rng.random() < 0.45,
            "start_note": rng.choice(content.START_NOTES) if extras.start_stop_continue else "",
            "stop_note": rng.choice(content.STOP_NOTES) if extras.start_stop_continue else "",
            "continue_note": rng.choice(content.CONTINUE_NOTES) if extras.start_stop_continue else "",
            # Most low ratings in the demo are about the product or a policy, as in life.
            "csat_cause": rng.choice(["agent", "product", "product", "policy", "other"]) if low_csat else "",
            "complaint_topic": _complaint_topic(assignment) if low_csat else "",
        },
        now=at,
        actor=assignment.reviewer.user,
    )


@dataclass(frozen=True)
class _Extras:
    """What a team's reviews hold beyond the default scorecard, that week."""

    product_knowledge: bool = False
    start_stop_continue: bool = False


def _afterwards(review: Review, *, rng: random.Random, at: datetime, now: datetime) -> None:
    """What the reviewee does with a review: read it, sometimes reply, and sometimes the
    reviewer answers back."""
    reviewee = review.reviewee.user
    if reviewee is None or at >= now:
        return
    if rng.random() < 0.18:
        services.review_comment_add(review=review, author=reviewee, body=rng.choice(content.REPLIES), now=at)
        reviewer = review.reviewer.user
        if reviewer is not None and rng.random() < 0.4 and at + timedelta(hours=3) < now:
            body = rng.choice(content.REVIEWER_ANSWERS)
            services.review_comment_add(review=review, author=reviewer, body=body, now=at + timedelta(hours=3))
    elif rng.random() < 0.75:
        services.review_acknowledge(review=review, now=at)
    else:
        return
    # Half of those who read a review say how helpful it was, mostly "very"; drawn apart so
    # the rest of the demo stays as it was.
    helpful = random.Random(_seed("helpful", review.pk))
    if helpful.random() < 0.5:
        services.review_helpfulness_rate(review=review, value=helpful.choices([3, 2, 1], weights=[6, 3, 1])[0], now=at)


# How reliably each agent finishes their batch: most do, a couple often fall short.
_DILIGENCE = {"tom": 0.62, "hana": 0.7, "ivan": 0.66, "felix": 0.72}


def _week_play(
    week: ReviewWeek, *, weeks_ago: int, rng: random.Random, notes: _Notes, now: datetime, extras: _Extras
) -> None:
    assignments = (
        week.assignments.order_by("pk")
        .select_related("reviewer__user", "reviewee__user", "conversation")
        .prefetch_related("conversation__messages")
    )
    for assignment in assignments:
        first = assignment.reviewer.name.split()[0].lower()
        mine = assignment.reviewer.email == content.DEMO_AGENT.email
        if weeks_ago == 0:
            # This week so far: the demo agent has done one, the others about a third.
            done_so_far = Assignment.objects.filter(week=week, reviewer=assignment.reviewer).exclude(
                status=Assignment.Status.ASSIGNED
            )
            if (mine and done_so_far.exists()) or (not mine and rng.random() > 0.35):
                continue
            at = week.starts_at + (now - week.starts_at) * rng.uniform(0.3, 0.95)
        else:
            reliable = _DILIGENCE.get(first, 0.93) - 0.015 * weeks_ago
            if rng.random() > reliable:
                continue
            at = week.starts_at + timedelta(
                days=rng.randint(0, 4), hours=rng.randint(9, 17), minutes=rng.randint(0, 59)
            )
        if at < week.starts_at:
            continue
        if rng.random() < 0.03 and not (weeks_ago == 0 and mine):
            reason = rng.choice([SkipReason.WRONG_LANGUAGE, SkipReason.AUTOMATED, SkipReason.NOT_SUPPORT])
            services.assignment_skip(assignment=assignment, reason=reason, now=at)
            continue
        review = _review(assignment, rng=rng, notes=notes, weeks_ago=weeks_ago, at=at, extras=extras)
        if weeks_ago > 1 or (weeks_ago == 1 and assignment.reviewee.email != content.DEMO_AGENT.email):
            # Last week's reviews of the demo agent stay unread: their menu shows new feedback.
            _afterwards(review, rng=rng, at=at + timedelta(hours=rng.randint(2, 40)), now=now)


def _absences_add(teams: dict[str, Team], week_starts: dict[str, datetime], now: datetime) -> None:
    """Kenji is away from Wednesday to Friday this week; Grace has a holiday booked next week."""
    lead = User.objects.get(username=content.LEAD.email)
    kenji = Agent.objects.get(team=teams["product"], email=f"kenji@{content.DOMAIN}")
    this_monday = week_starts["product"].date()
    services.absence_add(
        agent=kenji,
        starts_on=this_monday + timedelta(days=2),
        ends_on=this_monday + timedelta(days=4),
        by=lead,
        now=now,
    )
    grace = Agent.objects.get(team=teams["billing"], email=f"grace@{content.DOMAIN}")
    next_monday = week_starts["billing"].date() + timedelta(days=7)
    services.absence_add(agent=grace, starts_on=next_monday, ends_on=next_monday + timedelta(days=4), by=lead, now=now)


def _disputes_add(team: Team) -> None:
    """Maya disputes a "needs improvement" on quality of recent weeks (still open); a dispute
    of Tom's was changed by the lead."""
    lead = User.objects.get(username=content.LEAD.email)
    weeks = list(ReviewWeek.objects.filter(team=team).order_by("-starts_at")[1:6])
    cases = [
        (content.DEMO_AGENT.email, weeks, content.DISPUTE_REASONS[0], None),
        (f"tom@{content.DOMAIN}", weeks[1:], content.DISPUTE_REASONS[1], content.DISPUTE_RESOLUTION),
    ]
    for email, in_weeks, reason, resolution in cases:
        # A "needs improvement" on quality is what gets disputed.
        theirs = Review.objects.filter(assignment__week__in=in_weeks, reviewee__email=email).order_by("-created_at")
        # Row ids (which seed some of the demo's draws) differ between databases: any review of
        # theirs will do when none says "needs improvement".
        review = theirs.filter(ratings__criterion__key="quality", ratings__level=1).first() or theirs.first()
        if review is None or review.reviewee.user is None:
            continue
        opened_at = review.created_at + timedelta(days=1)
        dispute = services.dispute_open(
            review=review, by=review.reviewee.user, criterion_key="quality", reason=reason, now=opened_at
        )
        if resolution is not None:
            ratings = {
                rating.criterion.key: RatingAnswer(
                    (3 if rating.level == 2 else 2) if rating.criterion.key == "quality" else rating.level,
                    rating.note,
                    tuple(cause.position for cause in rating.root_causes.all()),
                )
                for rating in review.ratings.select_related("criterion").prefetch_related("root_causes")
            }
            services.dispute_resolve(
                dispute=dispute, by=lead, reason=resolution, ratings=ratings, now=opened_at + timedelta(days=2)
            )


def _calibrations_add(team: Team, *, now: datetime) -> None:
    """Billing's lead calibrated a fortnight ago on two conversations its reviewers disagreed
    on (revealed, with agreed answers, one the scorecard's example of exceptional tone), and
    started a session this week that Maya has still to score."""
    lead = User.objects.get(username=content.LEAD.email)
    people = list(Agent.objects.filter(team=team, user__isnull=False).order_by("external_id"))
    weeks = list(ReviewWeek.objects.filter(team=team).order_by("-starts_at"))
    # Conversations reviewed twice, in a fixed order (external ids, not row ids, which differ
    # between databases); those whose two scores differ first.
    seconded = (
        Conversation.objects.filter(assignments__week__team=team, assignments__role=Assignment.Role.SECOND)
        .annotate(low=Min("reviews__score"), high=Max("reviews__score"))
        .order_by("external_id")
    )
    chosen = sorted(seconded, key=lambda conversation: conversation.low == conversation.high)
    refunds = [conversation for conversation in chosen if {"double-charge", "refund"} & set(conversation.tags)][:2]
    # Maya, the demo's agent, has all three to score.
    maya = next((agent.pk for agent in people if agent.email == content.DEMO_AGENT.email), None)
    others = [
        conversation for conversation in chosen if conversation not in refunds and conversation.assignee_id != maya
    ][:3]
    past = services.calibration_start(
        team=team,
        by=lead,
        title=content.CALIBRATION_PAST.format(label=weeks[2].label),
        conversations=refunds,
        participants=people,
        now=weeks[2].starts_at + timedelta(days=2),
    )
    current = services.calibration_start(
        team=team,
        by=lead,
        title=content.CALIBRATION_NOW.format(label=weeks[0].label),
        conversations=others,
        participants=people,
        now=weeks[0].starts_at,
    )
    agreed = {key: level for key, (level, _) in content.CALIBRATION_AGREED.items()}
    for session, scorers in ((past, people), (current, [p for p in people if p.email != content.DEMO_AGENT.email][:4])):
        for item in session.items.select_related("conversation"):
            for agent in scorers:
                if agent.pk == item.conversation.assignee_id:
                    continue
                rng = random.Random(_seed("calibration", item.conversation.external_id, agent.external_id))
                # Mostly the agreed level, a level either side now and then: the spread a session is for.
                ratings = {
                    "quality": RatingAnswer(max(1, min(3, agreed["quality"] + rng.choice((-1, 0, 0, 0, 1))))),
                    "tone": RatingAnswer(
                        max(1, min(3, agreed["tone"] + rng.choice((-1, 0, 0, 0)))),
                        rng.choice(content.CALIBRATION_NOTES) if rng.random() < 0.5 else "",
                    ),
                    "process": RatingAnswer(2 if rng.random() < 0.85 else 1),
                }
                services.calibration_score(item=item, participant=agent, ratings=ratings, now=session.created_at)
    services.calibration_reveal(session=past, now=past.created_at + timedelta(days=1))
    first = past.items.order_by("position").first()
    if first is not None:
        services.calibration_answers_record(
            item=first,
            by=lead,
            answers={
                key: services.AgreedAnswer(level, reason, as_example=key == "tone")
                for key, (level, reason) in content.CALIBRATION_AGREED.items()
            },
            now=past.created_at + timedelta(days=1),
        )


def _sent_for_review_add(team: Team, *, now: datetime) -> None:
    """This week Billing's lead sent Maya one of a teammate's conversations, the lowest-rated
    nobody reviews, with a note: it waits on her week apart from her batch."""
    maya = Agent.objects.filter(team=team, email=content.DEMO_AGENT.email).first()
    conversation = (
        Conversation.objects.reviewable()
        .filter(team=team, csat_rating__isnull=False, assignee__isnull=False)
        .exclude(assignee=maya)
        .exclude(assignments__isnull=False)
        .order_by("csat_rating", "-closed_at", "external_id")
        .first()
    )
    if maya is None or conversation is None:
        return
    services.review_request(
        conversation=conversation,
        reviewer=maya,
        by=User.objects.get(username=content.LEAD.email),
        note=content.SENT_FOR_REVIEW_NOTE,
        now=now,
    )


def _focus_and_one_on_one_add(team: Team, *, now: datetime) -> None:
    """Maya's focus chain (set, followed up by someone else, a newer one open) and the 1:1
    Billing's lead held with her a fortnight ago, which she acknowledged."""
    maya = Agent.objects.filter(team=team, email=content.DEMO_AGENT.email).first()
    if maya is None:
        return
    received = list(
        Review.objects.filter(reviewee=maya, assignment__week__ends_at__lte=now)
        .select_related("assignment__week")
        .order_by("created_at", "id")
    )
    two_weeks_ago = [review for review in received if review.created_at < now - timedelta(days=10)]
    last_week = [review for review in received if review.created_at >= now - timedelta(days=10)]
    if two_weeks_ago and last_week:
        earlier = two_weeks_ago[-1]
        services.focus_record(review=earlier, text=content.FOCUS_EARLIER, now=earlier.created_at)
        follow = next((review for review in last_week if review.reviewer_id != earlier.reviewer_id), None)
        if follow is not None:
            focus = FocusItem.objects.get(review=earlier)
            services.focus_record(
                review=follow, text=content.FOCUS_NOW, follows=focus, outcome=FocusOutcome.PARTLY, now=follow.created_at
            )
    lead = User.objects.get(username=content.LEAD.email)
    held_on = (now - timedelta(days=14)).date()
    session = services.one_on_one_create(
        team=team,
        agent=maya,
        lead=lead,
        held_on=held_on,
        agenda=selectors.one_on_one_agenda(maya, team=team, today=held_on),
        notes=content.ONE_ON_ONE_NOTES,
        actions=[
            services.ActionAnswer(text, held_on + timedelta(days=days)) for text, days, _ in content.ONE_ON_ONE_ACTIONS
        ],
        now=now - timedelta(days=14),
    )
    for item, (_, days, done) in zip(session.action_items.order_by("due_on"), content.ONE_ON_ONE_ACTIONS, strict=True):
        if done:
            services.action_item_mark(item=item, done=True, now=now - timedelta(days=14) + timedelta(days=days - 1))
    services.one_on_one_acknowledge(session=session, now=now - timedelta(days=13))


def _own_rating_first(team: Team) -> None:
    settings = services.team_settings_get(team=team)
    settings.self_review_first = True
    settings.save()


def _own_ratings_add(team: Team) -> None:
    """Emma rated one of her reviewed conversations herself, a level kinder on tone than her
    reviewer; the rest of the team's recent reviews wait for theirs."""
    review = (
        Review.objects.filter(reviewee__team=team, reviewee__email=f"emma@{content.DOMAIN}", self_review_first=True)
        .order_by("created_at", "id")
        .first()
    )
    if review is None:
        return
    levels = dict(review.ratings.values_list("criterion__key", "level"))
    ratings = {
        key: RatingAnswer(min(3, level + 1) if key == "tone" and level is not None else level)
        for key, level in levels.items()
    }
    services.own_rating_submit(conversation=review.conversation, agent=review.reviewee, ratings=ratings)


def demo_build(*, now: datetime | None = None) -> SyncRun:
    """The whole demo on an empty database (the caller checks it is one)."""
    now = now or timezone.now()
    people_create()
    default_start = TeamSettings().week_start_at(now)
    week_starts = {team.key: default_start for team in content.TEAMS}
    run = conversations_sync(source=Source.FILE, helpdesk=FileHelpdesk([conversations_document(week_starts)]))
    teams = {team.external_id: team for team in Team.objects.filter(source=Source.FILE)}
    _leads_set(teams)
    notes = _Notes(random.Random(_seed("notes")))
    _start_stop_continue(teams["billing"])
    _complaints_set(teams["billing"])
    for key, team in teams.items():
        rng = random.Random(_seed("reviews", key))
        for weeks_ago in range(HISTORY_WEEKS, 0, -1):
            starts_at = week_starts[key] - timedelta(days=7 * weeks_ago)
            if key == "product" and weeks_ago == PRODUCT_KNOWLEDGE_WEEKS:
                _product_knowledge_add(team, at=starts_at)
            if key == "onboarding" and weeks_ago == OWN_RATING_WEEKS:
                _own_rating_first(team)
            with transaction.atomic():
                week = services.week_assign(
                    team=team, starts_at=starts_at, now=starts_at + timedelta(hours=1), seed=_seed(key, weeks_ago)
                )
                _week_play(week, weeks_ago=weeks_ago, rng=rng, notes=notes, now=now, extras=_extras(key, weeks_ago))
    _absences_add(teams, week_starts, now)
    _disputes_add(teams["billing"])
    _calibrations_add(teams["billing"], now=now)
    _own_ratings_add(teams["onboarding"])
    _focus_and_one_on_one_add(teams["billing"], now=now)
    _spotlight_on(teams["billing"])
    for week in services.due_weeks_assign(now=now):
        key = week.team.external_id
        with transaction.atomic():
            rng = random.Random(_seed("this week", key))
            _week_play(week, weeks_ago=0, rng=rng, notes=notes, now=now, extras=_extras(key, 0))
    _sent_for_review_add(teams["billing"], now=now)
    return run


PRODUCT_KNOWLEDGE_WEEKS = 4  # Product added the criterion this many weeks ago
OWN_RATING_WEEKS = 2  # Onboarding's agents rate their own conversations first since then


def _extras(key: str, weeks_ago: int) -> _Extras:
    return _Extras(
        product_knowledge=key == "product" and weeks_ago <= PRODUCT_KNOWLEDGE_WEEKS,
        start_stop_continue=key == "billing",
    )


def _complaint_topic(assignment: Assignment) -> str:
    tags = assignment.conversation.tags or []
    return content.COMPLAINT_TOPICS.get(tags[0], "") if tags else ""


def _complaints_set(team: Team) -> None:
    """Billing's reviewers pick complaint topics; its spotlight reads its tags (turned on later)."""
    settings = services.team_settings_get(team=team)
    settings.complaint_topics = "\n".join(content.COMPLAINT_TOPICS.values())
    settings.complaint_tags, settings.escalation_tags = content.COMPLAINT_TAGS, content.ESCALATION_TAGS
    settings.save()


def _spotlight_on(team: Team) -> None:
    settings = services.team_settings_get(team=team)
    settings.spotlight_percent = content.SPOTLIGHT_PERCENT
    settings.save()


def _start_stop_continue(team: Team) -> None:
    settings = services.team_settings_get(team=team)
    settings.start_stop_continue = True
    settings.save()


def _product_knowledge_add(team: Team, *, at: datetime) -> None:
    """Product's lead adds a five-point criterion: the scorecard's version 2, dated then."""
    lead = User.objects.get(username=content.LEAD.email)
    criterion = CriterionSpec(
        key="product_knowledge",
        name="Product knowledge",
        description="the right feature, setting or limit explained correctly",
        scale=Scale.FIVE_POINT,
        levels=default_levels(Scale.FIVE_POINT),
        weight=2,
        allow_na=True,
    )
    services.scorecard_current(team=team)  # version 1, the default, as the earlier reviews used
    saved = services.criterion_save(team=team, user=lead, based_on=1, criterion=criterion)
    Scorecard.objects.filter(team=team, version=saved.version).update(created_at=at)
