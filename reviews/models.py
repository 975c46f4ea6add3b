from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from conversations.models import Agent, Conversation, Source, Team


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London or America/New_York.")


class MidweekJoiners(models.TextChoices):
    PRO_RATA = "pro_rata", "A share of the batch for the days left"
    FULL = "full", "A full batch"


# The one limit for anything written about a review (notes, replies, hand-back notes), stated
# in the forms and checked wherever text comes in. Long enough for coaching, short enough to read.
NOTE_MAX_LENGTH = 2000


class Signal(models.TextChoices):
    """What makes a conversation worth a closer look, beside its CSAT (reviews/spotlight.py);
    in this order when it has several."""

    COMPLAINT = "complaint", "complaint"
    NEGATIVE = "negative", "strongly negative customer"
    ESCALATED = "escalated", "escalation"
    REOPENED = "reopened", "reopened"
    SLOW = "slow", "long time to close"
    BACK_AND_FORTH = "back_and_forth", "many back-and-forths"


def _all_signals() -> list[str]:
    return list(Signal.values)


COMPLAINT_TOPIC_MAX = 100  # what a review stores of its topic


def _tag_list(value: str) -> list[str]:
    return [tag.strip().lower() for tag in value.split(",") if tag.strip()]


class TeamSettings(models.Model):
    """How a team's weekly review batches are made; one row per team."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="review_settings")
    reviews_per_week = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    week_starts_on = models.PositiveSmallIntegerField(
        default=0,
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ],
    )
    week_starts_at = models.TimeField(default=time(0, 0), help_text="Local time in the team's time zone.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    lookback_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1)],
        help_text="Conversations closed in this many days before the week.",
    )
    max_lookback_days = models.PositiveSmallIntegerField(
        default=28, validators=[MinValueValidator(1)], help_text="How far back to look when supply is short."
    )
    lowest_csat_percent = models.PositiveSmallIntegerField(
        default=20, validators=[MaxValueValidator(100)], help_text="Share of the batch from the lowest CSAT ratings."
    )
    highest_csat_percent = models.PositiveSmallIntegerField(
        default=20, validators=[MaxValueValidator(100)], help_text="Share of the batch from the highest CSAT ratings."
    )
    leads_review = models.BooleanField(default=False, help_text="Leads get a weekly batch too.")
    leads_are_reviewed = models.BooleanField(default=True, help_text="Leads' own conversations can be reviewed.")
    midweek_joiners = models.CharField(max_length=20, choices=MidweekJoiners.choices, default=MidweekJoiners.PRO_RATA)
    start_stop_continue = models.BooleanField(
        "start, stop, continue",
        default=False,
        help_text="Reviews may note what the agent should start, stop and continue doing.",
    )
    ramp_weeks = models.PositiveSmallIntegerField(
        "onboarding ramp (weeks)",
        default=4,
        validators=[MaxValueValidator(26)],
        help_text="A new hire's first weeks, from their start date, in which they are reviewed more; 0 for none.",
    )
    ramp_multiplier = models.PositiveSmallIntegerField(
        "onboarding multiplier",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="In their first week a new hire receives this many times the reviews and gives this many times "
        "fewer; it tapers to normal over the ramp.",
    )
    blind_reviewee = models.BooleanField(
        "blind reviews",
        default=False,
        help_text="Reviewers do not see who handled a conversation while they score it (leads always do).",
    )
    anonymous_reviewer = models.BooleanField(
        "anonymous reviewers",
        default=False,
        help_text="Agents see “a teammate” instead of who reviewed them (leads always see both). A review "
        "written anonymously stays anonymous.",
    )
    dispute_days = models.PositiveSmallIntegerField(
        "days to dispute",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="How long after a review its agent may dispute it.",
    )
    second_opinion_percent = models.PositiveSmallIntegerField(
        "second opinions (%)",
        default=10,
        validators=[MaxValueValidator(50)],
        help_text="Share of each week's conversations a second teammate reviews too, to measure agreement.",
    )
    self_review_first = models.BooleanField(
        "rate your own first",
        default=False,
        help_text="Agents rate their own conversation on the scorecard before its peer review is shown to them, "
        "and then see the gap.",
    )
    # Spotlight sampling: a share of each batch from conversations the signals flag.
    spotlight_percent = models.PositiveSmallIntegerField(
        "spotlight (%)",
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Share of each batch from conversations the signals below flag, beside the CSAT extremes; 0 for "
        "none.",
    )
    spotlight_signals = models.JSONField(
        "signals", default=_all_signals, blank=True, help_text="What flags a conversation for the spotlight."
    )
    complaint_tags = models.CharField(
        max_length=300,
        default="complaint",
        blank=True,
        help_text="Helpdesk tags that mark a complaint, separated by commas; each is a topic of the recurring "
        "complaints page.",
    )
    escalation_tags = models.CharField(
        max_length=300,
        default="escalation, escalated",
        blank=True,
        help_text="Helpdesk tags that mark an escalation, separated by commas.",
    )
    slow_close_hours = models.PositiveSmallIntegerField(
        "long time to close (hours)",
        default=72,
        validators=[MinValueValidator(1)],
        help_text="From the customer's first message to closing.",
    )
    many_back_and_forths = models.PositiveSmallIntegerField(
        "many back-and-forths",
        default=6,
        validators=[MinValueValidator(2)],
        help_text="How many times an agent answered the customer.",
    )
    complaint_topics = models.TextField(
        blank=True,
        help_text="Topics a reviewer may pick for a complaint, one per line; counted on the recurring complaints "
        "page beside the tags.",
    )

    class Meta:
        verbose_name_plural = "team settings"
        constraints = [
            # The messages are what a form shows if clean() ever lets one through.
            models.CheckConstraint(
                condition=Q(lowest_csat_percent__lte=100 - F("highest_csat_percent") - F("spotlight_percent")),
                name="teamsettings_sample_shares_at_most_100",
                violation_error_message="The lowest CSAT, highest CSAT and spotlight shares can add up to at most "
                "100%.",
            ),
            models.CheckConstraint(
                condition=Q(max_lookback_days__gte=F("lookback_days")),
                name="teamsettings_max_lookback_not_shorter",
                violation_error_message="The longest look-back must be at least the normal look-back.",
            ),
            models.CheckConstraint(
                condition=Q(reviews_per_week__gte=1, week_starts_on__lte=6),
                name="teamsettings_week_values_valid",
                violation_error_message="Reviews per week must be at least 1, on a day from Monday to Sunday.",
            ),
            models.CheckConstraint(
                condition=Q(ramp_weeks__lte=26, ramp_multiplier__gte=1, ramp_multiplier__lte=4),
                name="teamsettings_ramp_values_valid",
                violation_error_message="The ramp is at most 26 weeks, with a multiplier from 1 to 4.",
            ),
            models.CheckConstraint(
                condition=Q(second_opinion_percent__lte=50),
                name="teamsettings_second_opinions_at_most_half",
                violation_error_message="At most half of the week's conversations can get a second opinion.",
            ),
        ]

    def __str__(self) -> str:
        return f"Review settings of {self.team}"

    def clean(self) -> None:
        # Beside the field, in words: a field with an error here is left out of the constraint
        # checks, so the form never shows a constraint's name.
        errors = {}
        shares = (self.lowest_csat_percent or 0) + (self.highest_csat_percent or 0)
        if shares > 100:
            errors["highest_csat_percent"] = (
                f"The lowest and highest CSAT shares add up to {shares}%; together they can be at most 100%."
            )
        elif shares + (self.spotlight_percent or 0) > 100:
            errors["spotlight_percent"] = (
                f"With the CSAT shares ({shares}%) the spotlight can be at most {100 - shares}%."
            )
        too_long = [topic for topic in self.complaint_topic_list if len(topic) > COMPLAINT_TOPIC_MAX]
        if too_long:
            errors["complaint_topics"] = (
                f"Keep each topic under {COMPLAINT_TOPIC_MAX} characters; “{too_long[0][:40]}…” has {len(too_long[0])}."
            )
        unknown = set(self.spotlight_signals or []) - set(Signal.values)
        if unknown:
            errors["spotlight_signals"] = f"Unknown signals: {', '.join(sorted(unknown))}."
        if self.max_lookback_days is not None and self.max_lookback_days < (self.lookback_days or 0):
            errors["max_lookback_days"] = f"Must be at least the normal look-back ({self.lookback_days} days)."
        if errors:
            raise ValidationError(errors)

    @property
    def complaint_tag_list(self) -> list[str]:
        return _tag_list(self.complaint_tags)

    @property
    def escalation_tag_list(self) -> list[str]:
        return _tag_list(self.escalation_tags)

    @property
    def complaint_topic_list(self) -> list[str]:
        return list(dict.fromkeys(line.strip() for line in self.complaint_topics.splitlines() if line.strip()))

    def ramp_weight(self, started_on: date | None, week_start: date) -> float:
        """How many times the usual reviews an agent receives in the week starting then (and
        how many times fewer they give): the multiplier in their first week, tapering evenly
        to 1 when the ramp ends; 1 for everyone else."""
        if started_on is None or self.ramp_weeks == 0:
            return 1.0
        weeks_in = max(0, (week_start - started_on).days // 7)
        if weeks_in >= self.ramp_weeks:
            return 1.0
        return 1 + (self.ramp_multiplier - 1) * (1 - weeks_in / self.ramp_weeks)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def week_start_for_date(self, day: date) -> datetime:
        """The start of the team's week that begins on or before this local date."""
        offset = (day.weekday() - self.week_starts_on) % 7
        start_day = day - timedelta(days=offset)
        return datetime.combine(start_day, self.week_starts_at, tzinfo=self.zone)

    def week_start_at(self, moment: datetime) -> datetime:
        """The start of the team's week containing this moment, in the team's own time zone."""
        local = moment.astimezone(self.zone)
        start = self.week_start_for_date(local.date())
        if start > local:
            start = self.week_start_for_date(local.date() - timedelta(days=1))
        return start

    def week_start_for_label(self, label: str) -> datetime:
        """'2026-W48' is the team's week whose middle falls in ISO week 48 of 2026."""
        try:
            year, week = label.upper().split("-W")
            thursday = date.fromisocalendar(int(year), int(week), 4)
        except ValueError as exc:
            raise ValueError(f"{label!r} is not a week like 2026-W48.") from exc
        return self.week_start_for_date(thursday)


def week_label(start: datetime) -> str:
    """The ISO week holding most of the team's week (the local date three days in): a week
    that starts on a Sunday is named after the Monday-to-Sunday week it mostly covers."""
    year, week, _ = (start.date() + timedelta(days=3)).isocalendar()
    return f"{year}-W{week:02d}"


class ReviewWeek(models.Model):
    # db_index=False here and on the week keys below: the unique pairs lead with the same
    # column and serve its lookups; one index fewer to write for every week made.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="review_weeks", db_index=False)
    label = models.CharField(max_length=10)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    seed = models.BigIntegerField(help_text="Seed of the random choices, kept so a batch can be explained.")
    lookback_days_used = models.PositiveSmallIntegerField(default=0)
    assigned_at = models.DateTimeField(null=True, blank=True, help_text="When the weekly batches were made.")

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["team", "label"], name="reviewweek_unique_label_per_team"),
            models.UniqueConstraint(fields=["team", "starts_at"], name="reviewweek_unique_start_per_team"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="reviewweek_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.label}"

    def is_open(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) < self.ends_at


class AgentWeek(models.Model):
    """One agent's quota for one week: the KPI leads check."""

    week = models.ForeignKey(ReviewWeek, on_delete=models.CASCADE, related_name="agent_weeks", db_index=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="review_weeks")
    quota = models.PositiveSmallIntegerField(help_text="What the team asks of this agent this week.")
    required = models.PositiveSmallIntegerField(help_text="The quota less what the pool could not supply.")
    is_away = models.BooleanField(default=False)
    joined_midweek = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "agent"], name="agentweek_unique_agent_per_week"),
            models.CheckConstraint(condition=Q(required__lte=F("quota")), name="agentweek_required_within_quota"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} in {self.week}"

    @property
    def shortfall(self) -> int:
        """Conversations fewer than the quota because the team had too few to hand out."""
        return self.quota - self.required


class SkipReason(models.TextChoices):
    WRONG_LANGUAGE = "wrong_language", "Wrong language"
    NOT_SUPPORT = "not_support", "Not really a support conversation"
    AUTOMATED = "automated", "Mostly automated"
    SENSITIVE = "sensitive", "Sensitive"
    OTHER = "other", "Other"


class PickReason(models.TextChoices):
    """Why a weekly batch holds a conversation: the team's sample mix, as its reviewer reads it."""

    LOWEST_CSAT = "lowest_csat", "lowest CSAT"
    HIGHEST_CSAT = "highest_csat", "highest CSAT"
    COMPLAINT = Signal.COMPLAINT.value, Signal.COMPLAINT.label
    NEGATIVE = Signal.NEGATIVE.value, Signal.NEGATIVE.label
    ESCALATED = Signal.ESCALATED.value, Signal.ESCALATED.label
    REOPENED = Signal.REOPENED.value, Signal.REOPENED.label
    SLOW = Signal.SLOW.value, Signal.SLOW.label
    BACK_AND_FORTH = Signal.BACK_AND_FORTH.value, Signal.BACK_AND_FORTH.label
    RANDOM = "random", "random"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self) -> AssignmentQuerySet:
        return self.filter(status__in=Assignment.ACTIVE_STATUSES)

    def toward_quota(self) -> AssignmentQuerySet:
        """What the weekly quota counts: everything but the conversations a lead sent."""
        return self.exclude(kind=Assignment.Kind.REQUESTED)


class Assignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", "To do"
        COMPLETED = "completed", "Done"
        SKIPPED = "skipped", "Handed back"
        RELEASED = "released", "Released"

    class Role(models.TextChoices):
        FIRST = "first", "Review"
        SECOND = "second", "Second opinion"

    class Kind(models.TextChoices):
        BATCH = "batch", "Weekly batch"
        PULLED = "pulled", "Pulled on demand"
        REPLACEMENT = "replacement", "Replacement for a skip"
        # Outside the batch: a lead asks for this conversation to be reviewed, by a
        # teammate or by themselves. Counted apart from the quota, and open past its week.
        REQUESTED = "requested", "Sent by a lead"

    ACTIVE_STATUSES = (Status.ASSIGNED, Status.COMPLETED)

    week = models.ForeignKey(ReviewWeek, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    reviewer = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="assignments_to_review")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="assignments")
    # Who handled the conversation when it was assigned: fairness is counted on this.
    reviewee = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="assignments_reviewed")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BATCH)
    # A second opinion reviews a conversation someone else reviews the same week, blind to
    # each other until both have submitted: agreement between them is measured.
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.FIRST)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSIGNED)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    skip_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was skipped or released.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH, help_text="What the lead asks to look at.")
    # Batches only; empty for those made before the reasons were kept.
    picked_because = models.CharField(max_length=20, choices=PickReason.choices, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["week", "reviewer"], name="assignment_week_reviewer"),
            # Agreement reads a window's second opinions, a tenth of its assignments.
            models.Index(
                fields=["week", "conversation"], condition=Q(role="second"), name="assignment_second_opinions"
            ),
        ]
        constraints = [
            # The database, not the code, guarantees a conversation is never handed out twice
            # in the same role, nor twice to the same person, even to two agents pulling at
            # the same moment.
            # A lead may still send a conversation someone reviews in their batch.
            models.UniqueConstraint(
                fields=["conversation", "role"],
                condition=Q(status__in=["assigned", "completed"]) & ~Q(kind="requested"),
                name="assignment_one_active_per_conversation_and_role",
            ),
            models.UniqueConstraint(
                fields=["conversation", "reviewer"],
                condition=Q(status__in=["assigned", "completed"]),
                name="assignment_one_active_per_conversation_and_reviewer",
            ),
            models.CheckConstraint(condition=~Q(reviewer=F("reviewee")), name="assignment_never_own_conversation"),
            models.CheckConstraint(
                condition=Q(status="skipped", skip_reason__gt="") | (~Q(status="skipped") & Q(skip_reason="")),
                name="assignment_skip_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="completed", completed_at__isnull=False)
                | (~Q(status="completed") & Q(completed_at__isnull=True)),
                name="assignment_completed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(kind="requested") | Q(request_note="", requested_by__isnull=True),
                name="assignment_request_only_when_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.conversation}"

    @property
    def why_picked(self) -> str:
        """What My week and the review page say: the batch's reason, or how it came otherwise."""
        if self.picked_because:
            return self.get_picked_because_display()
        return "" if self.kind == self.Kind.BATCH else self.get_kind_display().lower()

    def is_reviewable(self, now: datetime | None = None) -> bool:
        """Its review can be written or changed: still assigned (or done) and its week open.
        A conversation a lead sent waits for its review past the week it was sent in."""
        if self.kind == self.Kind.REQUESTED and self.status == self.Status.ASSIGNED:
            return True
        return self.status in self.ACTIVE_STATUSES and self.week.is_open(now)


class Scale(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    THREE_POINT = "three_point", "Three-point"
    FOUR_POINT = "four_point", "Four-point"
    FIVE_POINT = "five_point", "Five-point"


SCALE_SIZES = {Scale.YES_NO: 2, Scale.THREE_POINT: 3, Scale.FOUR_POINT: 4, Scale.FIVE_POINT: 5}
# A new criterion's level names, lowest first, until the lead writes their own.
SCALE_LABELS = {
    Scale.YES_NO: ["No", "Yes"],
    Scale.THREE_POINT: ["Needs improvement", "Good", "Exceptional"],
    Scale.FOUR_POINT: ["Poor", "Needs improvement", "Good", "Exceptional"],
    Scale.FIVE_POINT: ["Poor", "Needs improvement", "Good", "Very good", "Exceptional"],
}


def level_score(level: int, scale_size: int) -> float:
    """A rating placed on 0-100% along its scale: the lowest level 0%, the highest 100%, the
    others evenly between (Good on the three-point scale is 50%), as Zendesk QA does."""
    return 100 * (level - 1) / (scale_size - 1)


class Scorecard(models.Model):
    """One version of a team's scorecard: its criteria, their scales and definitions. A version
    is never edited once made: a change is a new version, so a review always shows the
    scorecard it was made with."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="scorecards")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["team", "-version"]
        get_latest_by = "version"
        constraints = [models.UniqueConstraint(fields=["team", "version"], name="scorecard_unique_version_per_team")]

    def __str__(self) -> str:
        return f"{self.team} scorecard v{self.version}"


class Criterion(models.Model):
    """One question of a scorecard version, rated on its scale."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    # The same criterion across versions, so its score can be followed over time; also the
    # name of its fields in the review form and of its columns in the export.
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, help_text="What it looks at; for a process, its checklist.")
    position = models.PositiveSmallIntegerField()
    scale = models.CharField(max_length=20, choices=Scale.choices)
    allow_na = models.BooleanField("N/A allowed", default=False)
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])
    critical = models.BooleanField(default=False, help_text="Rated at its lowest level, the whole review scores 0%.")
    low_levels = models.PositiveSmallIntegerField(
        default=1,
        help_text="How many of the lowest levels count as low: they ask for root causes, and a note if required.",
    )
    note_required_when_low = models.BooleanField("note required when rated low", default=False)

    class Meta:
        ordering = ["scorecard", "position"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "key"], name="criterion_unique_key_per_scorecard"),
            models.UniqueConstraint(fields=["scorecard", "position"], name="criterion_unique_position_per_scorecard"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=10), name="criterion_weight_1_to_10"),
            models.CheckConstraint(
                condition=Q(low_levels__gte=1)
                & (Q(low_levels__lte=1) | ~Q(scale="yes_no"))
                & (Q(low_levels__lte=2) | ~Q(scale="three_point"))
                & Q(low_levels__lte=4),
                name="criterion_low_levels_below_the_top",
                violation_error_message="The low levels must leave at least the highest level not low.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scorecard})"

    @property
    def size(self) -> int:
        return SCALE_SIZES[Scale(self.scale)]

    def is_low(self, level: int | None) -> bool:
        return level is not None and level <= self.low_levels


class CriterionLevel(models.Model):
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField(help_text="1 is the lowest.")
    label = models.CharField(max_length=60)
    definition = models.TextField(blank=True)

    class Meta:
        ordering = ["criterion", "value"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "value"], name="criterionlevel_unique_value"),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=5), name="criterionlevel_value_1_to_5"),
        ]

    def __str__(self) -> str:
        return self.label


class RootCause(models.Model):
    """One line of a criterion's tick-list when it is rated low: for a process, a step of
    its checklist that was missed."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="root_causes")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["criterion", "position"]

    def __str__(self) -> str:
        return self.label


class CsatCause(models.TextChoices):
    AGENT = "agent", "Within the agent's control"
    PRODUCT = "product", "The product"
    POLICY = "policy", "A policy"
    OTHER = "other", "Something else"


# CSAT ratings are 1 to 5; these ask the reviewer whether the rating was the agent's doing.
LOW_CSAT_AT_MOST = 2
CSAT_OUTSIDE_AGENT = [CsatCause.PRODUCT, CsatCause.POLICY, CsatCause.OTHER]


class Helpfulness(models.IntegerChoices):
    """How useful the person reviewed found a review: its feedback, never its verdict."""

    NOT = 1, "Not helpful"
    SOMEWHAT = 2, "Somewhat helpful"
    VERY = 3, "Very helpful"


class ReviewQuerySet(models.QuerySet["Review"]):
    def with_people(self) -> ReviewQuerySet:
        return self.select_related("reviewer", "reviewee", "conversation", "scorecard", "assignment__week")

    def with_ratings(self) -> ReviewQuerySet:
        """Each review's ratings with their criterion (its levels and root causes) and the
        root causes ticked, in four queries for any number of reviews: all a review's
        scorecard version is, since every criterion of it has a rating."""
        return self.prefetch_related(
            models.Prefetch(
                "ratings",
                queryset=Rating.objects.select_related("criterion")
                .prefetch_related("criterion__levels", "criterion__root_causes", "root_causes")
                .order_by("criterion__position"),
            )
        )

    def highlights(self) -> ReviewQuerySet:
        return self.filter(share_as_example=True, unshared_at__isnull=True)


class Review(models.Model):
    # What a reviewer answers beside the ratings: the review form shows these and the
    # service stores them.
    ANSWER_FIELDS = ("share_as_example", "start_note", "stop_note", "continue_note", "csat_cause", "complaint_topic")

    # One review per assignment, enforced by the database: a double click or a second tab
    # cannot make two.
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="reviews_written")
    reviewee = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="reviews_received")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="reviews")
    # The quality score (see docs/quality-score.md), kept with the review so that a year of
    # a big team averages in one pass; empty when every criterion was N/A.
    score = models.FloatField(null=True, blank=True)
    start_note = models.TextField("start", blank=True, max_length=NOTE_MAX_LENGTH)
    stop_note = models.TextField("stop", blank=True, max_length=NOTE_MAX_LENGTH)
    continue_note = models.TextField("continue", blank=True, max_length=NOTE_MAX_LENGTH)
    csat_cause = models.CharField(
        "low CSAT", max_length=20, choices=CsatCause.choices, blank=True, help_text="Asked when the CSAT is low."
    )
    share_as_example = models.BooleanField(default=False)
    # What the customer complained about, from the team's list (TeamSettings.complaint_topics):
    # counted on the recurring complaints page.
    complaint_topic = models.CharField(max_length=COMPLAINT_TOPIC_MAX, blank=True)
    # The team's settings when it was written: a reviewer promised anonymity keeps it, and a
    # review written to be read after the agent's own rating stays so.
    anonymous = models.BooleanField(default=False)
    self_review_first = models.BooleanField(default=False)
    unshared_at = models.DateTimeField(null=True, blank=True)
    unshared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True, help_text="When the reviewee acknowledged it.")
    # The reviewee's rating of the review itself: a signal on reviewers no manager audit needs.
    helpfulness = models.PositiveSmallIntegerField(choices=Helpfulness.choices, null=True, blank=True)
    helpfulness_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reviewee", "-created_at"], name="review_reviewee_newest"),
            models.Index(fields=["reviewer", "-created_at"], name="review_reviewer_newest"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reviewer=F("reviewee")), name="review_never_own_conversation"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100), name="review_score_0_to_100"
            ),
            models.CheckConstraint(
                condition=Q(helpfulness__isnull=True, helpfulness_at__isnull=True)
                | Q(helpfulness__gte=1, helpfulness__lte=3, helpfulness_at__isnull=False),
                name="review_helpfulness_1_to_3_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.conversation} by {self.reviewer}"

    @property
    def is_highlighted(self) -> bool:
        return self.share_as_example and self.unshared_at is None

    @property
    def csat_outside_agent(self) -> bool:
        return self.csat_cause in CSAT_OUTSIDE_AGENT

    @property
    def helpfulness_choices(self) -> list[tuple[int, str]]:
        """Most helpful first, as the reviewee is asked."""
        return list(reversed(Helpfulness.choices))

    def is_editable(self, now: datetime | None = None) -> bool:
        """Its author may change it until the team's week closes."""
        return self.assignment.is_reviewable(now)


class Rating(models.Model):
    """A review's answer to one criterion: a level (empty for N/A), a note, root causes."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="ratings")
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not applicable.")
    # The level on 0-100%, kept so that scores per criterion and week average in the database.
    score = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    root_causes = models.ManyToManyField(RootCause, blank=True, related_name="ratings")

    class Meta:
        ordering = ["review", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="rating_one_per_criterion"),
            models.CheckConstraint(
                condition=Q(level__isnull=True, score__isnull=True)
                | Q(level__gte=1, level__lte=5, score__gte=0, score__lte=100),
                name="rating_level_and_score_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.label}"

    @property
    def label(self) -> str:
        """The level's name in the review's own scorecard version; N/A for none."""
        if self.level is None:
            return "N/A"
        return next((level.label for level in self.criterion.levels.all() if level.value == self.level), "")

    @property
    def grade(self) -> str:
        """How the rating is coloured: low, mid, high (the top level) or na."""
        if self.level is None:
            return "na"
        if self.criterion.is_low(self.level):
            return "low"
        return "high" if self.level == self.criterion.size else "mid"


class ReviewComment(models.Model):
    """A short thread on a review: the reviewee replies, the reviewer answers."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_comments")
    body = models.TextField(max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="reviewcomment_not_empty")]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.review}"


class Dispute(models.Model):
    """The reviewee's challenge of a review, or of one criterion of it, and how it ended."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld"
        CHANGED = "changed", "Changed"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="disputes")
    criterion_key = models.SlugField(max_length=40, blank=True, help_text="Empty: the whole review.")
    reason = models.TextField(max_length=NOTE_MAX_LENGTH)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    # A teammate a lead named to resolve it; empty: the team's leads.
    resolver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="disputes_to_resolve"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH, help_text="Why it ended so.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The levels by criterion key before a change: the history a changed review keeps.
    ratings_before = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["review"], condition=Q(status="open"), name="dispute_one_open_per_review"),
            models.CheckConstraint(condition=~Q(reason=""), name="dispute_has_reason"),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True, resolution="")
                | (~Q(status="open") & Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="dispute_resolved_with_time_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute of {self.review} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def criterion_name(self) -> str:
        """The disputed criterion's name in the review's own version (`with_ratings`)."""
        if not self.criterion_key:
            return "The whole review"
        return next(
            (
                rating.criterion.name
                for rating in self.review.ratings.all()
                if rating.criterion.key == self.criterion_key
            ),
            self.criterion_key,
        )


class CalibrationSession(models.Model):
    """A lead's calibration: chosen teammates score chosen conversations blind, then the lead
    reveals the spread and records the agreed answer. Its scores live in its own tables, so
    they never reach feedback, the quality score or the quota."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="calibration_sessions")
    title = models.CharField(max_length=120)
    # The version everyone scores on, fixed when the session starts.
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="calibration_sessions")
    participants = models.ManyToManyField(Agent, related_name="calibration_sessions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revealed_at = models.DateTimeField(null=True, blank=True, help_text="Empty while everyone scores blind.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="calibrationsession_has_title")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_revealed(self) -> bool:
        return self.revealed_at is not None


class CalibrationItem(models.Model):
    """One conversation of a session."""

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE, related_name="items")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="calibration_items")
    # Who handled it when the session started: they do not score it, even if the helpdesk
    # reassigns it later.
    handler = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "conversation"], name="calibrationitem_once_per_session"),
            models.UniqueConstraint(fields=["session", "position"], name="calibrationitem_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation} in {self.session}"


class CalibrationScore(models.Model):
    """A participant's level for one criterion of one conversation (empty for N/A)."""

    item = models.ForeignKey(CalibrationItem, on_delete=models.CASCADE, related_name="scores")
    participant = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="calibration_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="calibration_scores")
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "criterion__position", "participant__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "participant", "criterion"], name="calibrationscore_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=5), name="calibrationscore_level_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} on {self.criterion.name}: {self.level}"


class CalibrationAnswer(models.Model):
    """The level the session agreed on for one criterion of one conversation, and why."""

    item = models.ForeignKey(CalibrationItem, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="calibration_answers")
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not applicable.")
    reason = models.TextField(max_length=NOTE_MAX_LENGTH)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "criterion"], name="calibrationanswer_one_per_criterion"),
            models.CheckConstraint(condition=~Q(reason=""), name="calibrationanswer_has_reason"),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=5), name="calibrationanswer_level_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name} agreed at {self.level} for {self.item}"


class LevelExample(models.Model):
    """A conversation a calibration agreed is an example of one level of a criterion, shown
    beside that level's definition on the review form. Keyed by the criterion's key, so it
    outlives scorecard versions while the criterion keeps the level."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="level_examples")
    criterion_key = models.SlugField(max_length=40)
    # The criterion's scale when it was agreed: a level number means nothing on another scale.
    scale = models.CharField(max_length=20, choices=Scale.choices)
    level = models.PositiveSmallIntegerField()
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="level_examples")
    reason = models.TextField(max_length=NOTE_MAX_LENGTH, help_text="Why it is this level: the agreed reason.")
    answer = models.ForeignKey(
        CalibrationAnswer, null=True, blank=True, on_delete=models.SET_NULL, related_name="examples"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["criterion_key", "level", "-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "criterion_key", "conversation"], name="levelexample_one_level_per_conversation"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="levelexample_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation} as {self.criterion_key} level {self.level}"


class SelfReview(models.Model):
    """The agent's own rating of a conversation they handled, on the scorecard its peer review
    used, made before that review is shown to them (the team's setting). Never scored, never
    counted: it is there so the agent sees the gap."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="self_reviews")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="self_reviews")
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="self_reviews")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "agent"], name="selfreview_once_per_conversation"),
        ]

    def __str__(self) -> str:
        return f"{self.agent}'s own rating of {self.conversation}"


class SelfRating(models.Model):
    self_review = models.ForeignKey(SelfReview, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="self_ratings")
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: not applicable.")
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)

    class Meta:
        ordering = ["self_review", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["self_review", "criterion"], name="selfrating_one_per_criterion"),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=5), name="selfrating_level_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.level}"


class NotificationSettings(models.Model):
    """What email a person wants; everyone can turn theirs off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    weekly_email = models.BooleanField(
        default=True, help_text="Monday: your new batch and last week's feedback (leads: the team's completion)."
    )
    nudges = models.BooleanField(default=True, help_text="Mid-week: a reminder when reviews are still to do.")

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notification settings of {self.user}"


class NotificationSent(models.Model):
    """One row per email sent, so an hourly task never sends the same one twice."""

    class Kind(models.TextChoices):
        WEEKLY_AGENT = "weekly_agent", "Weekly batch and feedback"
        WEEKLY_LEAD = "weekly_lead", "Weekly team completion"
        NUDGE = "nudge", "Mid-week nudge"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.ForeignKey(ReviewWeek, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week", "kind"], name="notificationsent_once_per_week_and_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user} for {self.week}"


class AuditEvent(models.Model):
    """Who changed a review or a highlight, when, and from what to what."""

    class Action(models.TextChoices):
        REVIEW_CREATED = "review_created", "Review written"
        REVIEW_EDITED = "review_edited", "Review edited"
        HIGHLIGHT_SHARED = "highlight_shared", "Shared as an example"
        HIGHLIGHT_UNSHARED = "highlight_unshared", "Stopped sharing as an example"
        REVIEW_DELETED = "review_deleted", "Review deleted (admin)"
        DISPUTE_OPENED = "dispute_opened", "Dispute opened"
        DISPUTE_ASSIGNED = "dispute_assigned", "Dispute resolver named"
        DISPUTE_RESOLVED = "dispute_resolved", "Dispute resolved"
        REPLY_DELETED = "reply_deleted", "Reply deleted (admin)"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=30, choices=Action.choices)
    review = models.ForeignKey(Review, null=True, on_delete=models.SET_NULL, related_name="audit_events")
    changes = models.JSONField(default=dict, blank=True, help_text="Field: [before, after].")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} at {self.created_at:%Y-%m-%d %H:%M}"


INVITATION_DAYS = 7


class Invitation(models.Model):
    """A lead's invitation to a helpdesk teammate with no account: a sign-up link, sent by
    email, that works once and expires. Only a hash of the link's secret is kept."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="invitation_expires_after_sent"),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email}"

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.accepted_at is None and (now or timezone.now()) < self.expires_at


class Absence(models.Model):
    """Days a teammate is away (holiday, leave, training): their weekly quota shrinks by the
    share of the week's working days (Monday to Friday) they are away."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField("first day away")
    ends_on = models.DateField("last day away")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="absence_ends_on_or_after_start",
                violation_error_message="The last day away cannot be before the first day away.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} away {self.starts_on} to {self.ends_on}"


def working_days_present(week_start: date, absences: list[tuple[date, date]]) -> tuple[int, int]:
    """(working days present, working days) in the 7 days from week_start; Monday to Friday."""
    days = [week_start + timedelta(days=offset) for offset in range(7)]
    working = [day for day in days if day.weekday() < 5]
    present = [day for day in working if not any(start <= day <= end for start, end in absences)]
    return len(present), len(working)


class FocusOutcome(models.TextChoices):
    HAPPENED = "happened", "Yes, it happened"
    PARTLY = "partly", "Partly"
    NOT_YET = "not_yet", "Not yet"
    NO_CHANCE = "no_chance", "The conversation gave no chance to show it"


class FocusItem(models.Model):
    """One thing to try, set by a review for its reviewee. The agent's next review by someone
    else, of a conversation closed after it was set, says whether it happened. An agent has one
    open at a time: a newer one replaces it."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="focus")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="focus_items")
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    follow_up = models.OneToOneField(
        Review, null=True, blank=True, on_delete=models.SET_NULL, related_name="focus_followed"
    )
    outcome = models.CharField(max_length=20, choices=FocusOutcome.choices, blank=True)
    followed_at = models.DateTimeField(null=True, blank=True)
    replaced_at = models.DateTimeField(null=True, blank=True, help_text="A newer focus was set before a follow-up.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent"], condition=Q(outcome="", replaced_at__isnull=True), name="focusitem_one_open_per_agent"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="focusitem_has_text"),
            models.CheckConstraint(
                condition=Q(follow_up__isnull=True) | (~Q(outcome="") & Q(followed_at__isnull=False)),
                name="focusitem_follow_up_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.text}"

    @property
    def is_open(self) -> bool:
        return not self.outcome and self.replaced_at is None


class OneOnOne(models.Model):
    """A 1:1 coaching session between a lead and an agent: its agenda (pre-filled from the
    agent's recent reviews, highlights, disputes and focus items), the lead's notes and the
    action items. The agent acknowledges it; an edit after that asks for it again."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="one_on_ones")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="one_on_ones")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    held_on = models.DateField()
    agenda = models.TextField(blank=True, max_length=10_000)
    notes = models.TextField(blank=True, max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["agent", "-held_on"], name="oneonone_agent_latest")]

    def __str__(self) -> str:
        return f"1:1 with {self.agent} on {self.held_on}"


class ActionItem(models.Model):
    one_on_one = models.ForeignKey(OneOnOne, on_delete=models.CASCADE, related_name="action_items")
    text = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="actionitem_has_text")]

    def __str__(self) -> str:
        return self.text


class PublishedArticle(models.Model):
    """A highlight published to the helpdesk's knowledge base (an Intercom internal article)."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="published_article")
    source = models.CharField(max_length=20, choices=Source.choices)
    external_id = models.CharField(max_length=100, blank=True, help_text="Empty while it is being published.")
    title = models.CharField(max_length=500)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.title} ({self.get_source_display()} {self.external_id})"
