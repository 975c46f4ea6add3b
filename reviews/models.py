from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from conversations.models import Agent, Conversation, Team


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London or America/New_York.")


class MidweekJoiners(models.TextChoices):
    PRO_RATA = "pro_rata", "A share of the batch for the days left"
    FULL = "full", "A full batch"


# The one limit for anything written about a review (notes, replies, hand-back notes), stated
# in the forms and checked wherever text comes in. Long enough for coaching, short enough to read.
NOTE_MAX_LENGTH = 2000


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

    class Meta:
        verbose_name_plural = "team settings"
        constraints = [
            # The messages are what a form shows if clean() ever lets one through.
            models.CheckConstraint(
                condition=Q(lowest_csat_percent__lte=100 - F("highest_csat_percent")),
                name="teamsettings_csat_shares_at_most_100",
                violation_error_message="The lowest and highest CSAT shares can add up to at most 100%.",
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
        if self.max_lookback_days is not None and self.max_lookback_days < (self.lookback_days or 0):
            errors["max_lookback_days"] = f"Must be at least the normal look-back ({self.lookback_days} days)."
        if errors:
            raise ValidationError(errors)

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


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self) -> AssignmentQuerySet:
        return self.filter(status__in=Assignment.ACTIVE_STATUSES)


class Assignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", "To do"
        COMPLETED = "completed", "Done"
        SKIPPED = "skipped", "Handed back"
        RELEASED = "released", "Released"

    class Kind(models.TextChoices):
        BATCH = "batch", "Weekly batch"
        PULLED = "pulled", "Pulled on demand"
        REPLACEMENT = "replacement", "Replacement for a skip"

    ACTIVE_STATUSES = (Status.ASSIGNED, Status.COMPLETED)

    week = models.ForeignKey(ReviewWeek, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    reviewer = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="assignments_to_review")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="assignments")
    # Who handled the conversation when it was assigned: fairness is counted on this.
    reviewee = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="assignments_reviewed")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BATCH)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSIGNED)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    skip_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was skipped or released.")

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["week", "reviewer"], name="assignment_week_reviewer")]
        constraints = [
            # The database, not the code, guarantees a conversation is never handed out twice,
            # even to two agents pulling at the same moment.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(status__in=["assigned", "completed"]),
                name="assignment_one_active_per_conversation",
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
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} reviews {self.conversation}"

    def is_reviewable(self, now: datetime | None = None) -> bool:
        """Its review can be written or changed: still assigned (or done) and its week open."""
        return self.status in self.ACTIVE_STATUSES and self.week.is_open(now)


class Level(models.IntegerChoices):
    NEEDS_IMPROVEMENT = 1, "Needs improvement"
    GOOD = 2, "Good"
    EXCEPTIONAL = 3, "Exceptional"


DEFAULT_RUBRIC = {
    "quality_needs_improvement": "Inaccurate or incomplete: the wrong functionality, a symptom treated instead of the "
    "root problem, or the customer left without an answer or workaround.",
    "quality_good": "Accurate and complete: the right functionality conveyed clearly, and the customer's problem "
    "solved.",
    "quality_exceptional": "Accurate, complete and thorough: the root problem found, the best answer or workaround "
    "given, and the next question anticipated.",
    "tone_needs_improvement": "Distant or robotic: canned phrases, no acknowledgement of the customer's situation, "
    "or unprofessional.",
    "tone_good": "Friendly and professional; the customer's perspective acknowledged.",
    "tone_exceptional": "A real connection: empathy for the customer's perspective, warm and professional throughout, "
    "de-escalates where needed.",
    "process_checklist": "Verified the customer's identity before account changes; tagged the conversation; "
    "added an internal note for anything escalated; followed the refund and escalation policies.",
}


class Rubric(models.Model):
    """One version of a team's rubric definitions. Rows are never edited: a change is a new
    version, so a review always shows the scale it was made with."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rubrics")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quality_needs_improvement = models.TextField(default=DEFAULT_RUBRIC["quality_needs_improvement"])
    quality_good = models.TextField(default=DEFAULT_RUBRIC["quality_good"])
    quality_exceptional = models.TextField(default=DEFAULT_RUBRIC["quality_exceptional"])
    tone_needs_improvement = models.TextField(default=DEFAULT_RUBRIC["tone_needs_improvement"])
    tone_good = models.TextField(default=DEFAULT_RUBRIC["tone_good"])
    tone_exceptional = models.TextField(default=DEFAULT_RUBRIC["tone_exceptional"])
    process_checklist = models.TextField(default=DEFAULT_RUBRIC["process_checklist"])

    class Meta:
        ordering = ["team", "-version"]
        get_latest_by = "version"
        constraints = [models.UniqueConstraint(fields=["team", "version"], name="rubric_unique_version_per_team")]

    def __str__(self) -> str:
        return f"{self.team} rubric v{self.version}"

    def quality_levels(self) -> list[tuple[int, str, str]]:
        return [
            (Level.NEEDS_IMPROVEMENT, Level.NEEDS_IMPROVEMENT.label, self.quality_needs_improvement),
            (Level.GOOD, Level.GOOD.label, self.quality_good),
            (Level.EXCEPTIONAL, Level.EXCEPTIONAL.label, self.quality_exceptional),
        ]

    def tone_levels(self) -> list[tuple[int, str, str]]:
        return [
            (Level.NEEDS_IMPROVEMENT, Level.NEEDS_IMPROVEMENT.label, self.tone_needs_improvement),
            (Level.GOOD, Level.GOOD.label, self.tone_good),
            (Level.EXCEPTIONAL, Level.EXCEPTIONAL.label, self.tone_exceptional),
        ]


class ReviewQuerySet(models.QuerySet["Review"]):
    def with_people(self) -> ReviewQuerySet:
        return self.select_related("reviewer", "reviewee", "conversation", "rubric", "assignment__week")

    def highlights(self) -> ReviewQuerySet:
        return self.filter(share_as_example=True, unshared_at__isnull=True)


class Review(models.Model):
    # What a reviewer answers: the review form shows these and the service stores them.
    ANSWER_FIELDS = (
        "quality",
        "quality_note",
        "tone",
        "tone_note",
        "followed_process",
        "process_note",
        "share_as_example",
    )

    # One review per assignment, enforced by the database: a double click or a second tab
    # cannot make two.
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="reviews_written")
    reviewee = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="reviews_received")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="reviews")
    quality = models.PositiveSmallIntegerField(choices=Level.choices)
    quality_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    tone = models.PositiveSmallIntegerField(choices=Level.choices)
    tone_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    followed_process = models.BooleanField()
    process_note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    share_as_example = models.BooleanField(default=False)
    unshared_at = models.DateTimeField(null=True, blank=True)
    unshared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True, help_text="When the reviewee acknowledged it.")

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reviewee", "-created_at"], name="review_reviewee_newest"),
            models.Index(fields=["reviewer", "-created_at"], name="review_reviewer_newest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quality__in=Level.values), name="review_quality_level_valid"),
            models.CheckConstraint(condition=Q(tone__in=Level.values), name="review_tone_level_valid"),
            models.CheckConstraint(condition=~Q(reviewer=F("reviewee")), name="review_never_own_conversation"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.conversation} by {self.reviewer}"

    @property
    def is_highlighted(self) -> bool:
        return self.share_as_example and self.unshared_at is None

    def is_editable(self, now: datetime | None = None) -> bool:
        """Its author may change it until the team's week closes."""
        return self.assignment.is_reviewable(now)


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
