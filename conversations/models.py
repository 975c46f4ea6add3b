from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Source(models.TextChoices):
    INTERCOM = "intercom", "Intercom"
    ZENDESK = "zendesk", "Zendesk"
    FILE = "file", "File import"


class Team(models.Model):
    name = models.CharField(max_length=200)
    # Teams synced from a helpdesk carry its id; teams made in admin have none.
    source = models.CharField(max_length=20, choices=Source.choices, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="led_teams")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="team_unique_external_id_per_source",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AgentQuerySet(models.QuerySet["Agent"]):
    def unlinked(self) -> AgentQuerySet:
        """Teammates nobody has invited yet: a lead sees them as a to-do list."""
        return self.filter(user__isnull=True, is_active=True)


class Agent(models.Model):
    """A teammate in the helpdesk, linked to the Carousel user with the same email."""

    source = models.CharField(max_length=20, choices=Source.choices)
    external_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    is_away = models.BooleanField(default=False, help_text="Away agents get no weekly batch (Intercom away mode).")
    # From the helpdesk where it has one (never overwritten once stored), else set by a lead.
    started_on = models.DateField(
        "start date",
        null=True,
        blank=True,
        help_text="First day in the team: new hires receive more reviews and give fewer in their first weeks.",
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agent",
    )

    objects = AgentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="agent_unique_external_id_per_source"),
        ]

    def __str__(self) -> str:
        return self.name


class ExclusionReason(models.TextChoices):
    SPAM_FLAGGED = "spam_flagged", "Spam (flagged in the helpdesk)"
    SPAM_TAG = "spam_tag", "Spam (spam tag)"
    BOT_ONLY = "bot_only", "No human agent reply"
    SHORT = "short", "Too short to review"


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def reviewable(self) -> ConversationQuerySet:
        return self.filter(exclusion_reason="")

    def excluded(self) -> ConversationQuerySet:
        return self.exclude(exclusion_reason="")


class Conversation(models.Model):
    source = models.CharField(max_length=20, choices=Source.choices)
    external_id = models.CharField(max_length=100)
    url = models.URLField(max_length=500, blank=True, help_text="The conversation in the helpdesk.")
    subject = models.CharField(max_length=500, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    assignee = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    state = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(help_text="Last update in the helpdesk.")
    closed_at = models.DateTimeField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    csat_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_remark = models.TextField(blank=True)
    customer_message_count = models.PositiveIntegerField(default=0)
    agent_message_count = models.PositiveIntegerField(default=0)
    customer_word_count = models.PositiveIntegerField(default=0)
    agent_word_count = models.PositiveIntegerField(default=0)
    is_spam = models.BooleanField(default=False, help_text="Flagged as spam by the helpdesk.")
    is_truncated = models.BooleanField(
        default=False, help_text="The helpdesk holds more messages than it returned; the rest are missing here."
    )
    exclusion_reason = models.CharField(max_length=20, choices=ExclusionReason.choices, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)
    # Subject, tags, the customer's remark and every message's words, for search; written by
    # the sync. PostgreSQL keeps its text-search document beside it (migration 0007).
    search_text = models.TextField(blank=True, default="", db_default="", editable=False)
    # A lead offered it for review although a rule set it aside: the rule it overrides (a sync
    # that sets it aside by the same rule again leaves it included), why and who.
    included_rule = models.CharField(max_length=20, choices=ExclusionReason.choices, blank=True, db_default="")
    included_note = models.TextField(blank=True, db_default="")
    included_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    included_at = models.DateTimeField(null=True, blank=True)
    # What spotlight sampling reads, measured by the sync (conversations/spotlight.py).
    customer_sentiment = models.FloatField(
        null=True, blank=True, help_text="How the customer felt, -1 to 1 (VADER); empty if they wrote nothing."
    )
    back_and_forths = models.PositiveSmallIntegerField(default=0, db_default=0)
    reopens = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: the helpdesk does not say.")

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                name="conversation_unique_external_id_per_source",
            ),
            models.CheckConstraint(
                condition=Q(csat_rating__isnull=True) | Q(csat_rating__gte=1, csat_rating__lte=5),
                name="conversation_csat_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(exclusion_reason__in=["", *ExclusionReason.values]),
                name="conversation_exclusion_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(included_rule="", included_at__isnull=True)
                | (Q(included_rule__in=ExclusionReason.values) & Q(included_at__isnull=False) & ~Q(included_note="")),
                name="conversation_included_with_rule_time_and_note",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "closed_at"], name="conversation_team_closed"),
            # Only the few excluded rows: an index over every row's empty reason misleads
            # SQLite's planner into reading all conversations when it looks for reviewable ones.
            models.Index(fields=["exclusion_reason"], condition=~Q(exclusion_reason=""), name="conversation_excluded"),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.get_source_display()} #{self.external_id}"


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    BOT = "bot", "Bot"
    NOTE = "note", "Internal note"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    external_id = models.CharField(max_length=100)
    author_kind = models.CharField(max_length=20, choices=AuthorKind.choices)
    author_agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    author_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    body_html = models.TextField(blank=True, help_text="Sanitised at ingest; safe to render.")
    body_text = models.TextField(blank=True)
    # Arrived after the conversation was picked for review: the reviewer did not see it.
    added_after_review = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "external_id"], name="message_unique_per_conversation"),
            models.CheckConstraint(condition=Q(author_kind__in=AuthorKind.values), name="message_author_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A file sent with a message; kept as a link to the helpdesk's copy, never downloaded."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    url = models.URLField(max_length=2000)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes, as the helpdesk says.")

    class Meta:
        ordering = ["id"]
        constraints = [
            # Rendered as a link: nothing but http(s) may ever be one (no javascript: or data:).
            models.CheckConstraint(
                condition=Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="attachment_url_is_a_web_link",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another sync was running)"

    source = models.CharField(max_length=20, choices=Source.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    fetched = models.PositiveIntegerField(default=0, help_text="Conversations read in full.")
    unchanged = models.PositiveIntegerField(
        default=0, help_text="Listed by the helpdesk but unchanged since the last sync."
    )
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    excluded_counts = models.JSONField(
        default=dict, blank=True, help_text="Excluded conversations per exclusion reason."
    )
    errors = models.PositiveIntegerField(default=0, help_text="Records skipped as malformed.")
    truncated = models.PositiveIntegerField(
        default=0, help_text="Conversations stored with fewer messages than the helpdesk holds."
    )
    error_text = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["running", "succeeded", "failed", "skipped"]),
                name="syncrun_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} sync {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def excluded(self) -> int:
        return sum(self.excluded_counts.values())

    @property
    def excluded_by_label(self) -> list[tuple[str, int]]:
        """(what a lead reads, how many), e.g. ("Too short to review", 5); a reason this version
        no longer knows shows as stored rather than disappearing."""
        labels = dict(ExclusionReason.choices)
        return [(labels.get(reason, reason), count) for reason, count in self.excluded_counts.items()]


class SyncProblem(models.Model):
    """A record the sync could not read; kept so a lead can see what was skipped."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="problems")
    external_id = models.CharField(max_length=100, blank=True)
    message = models.TextField()
    payload_excerpt = models.TextField(blank=True)
    # False: the record was stored, with something filled in or left out (a warning).
    skipped = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.external_id or '?'}: {self.message[:80]}"


class SyncCursor(models.Model):
    """Where the next sync of a source starts, and the lock that keeps runs apart."""

    source = models.CharField(max_length=20, choices=Source.choices, unique=True)
    # Conversations updated at or after this time are fetched by the next run.
    updated_since = models.DateTimeField(null=True, blank=True)
    # Set while a run is part-way through: the helpdesk's page token to resume from,
    # and the updated_since that run will move to when it finishes.
    resume_token = models.TextField(blank=True)
    pending_updated_since = models.DateTimeField(null=True, blank=True)
    # What the interrupted listing asked for, so a resumed --since or --full run finishes
    # the same listing rather than an ordinary incremental one.
    resume_since = models.DateTimeField(null=True, blank=True)
    resume_refetch_all = models.BooleanField(default=False)
    lock_owner = models.CharField(max_length=64, blank=True)
    lock_expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_source_display()} cursor"

    @classmethod
    def lock_acquire(cls, *, source: str, owner: str) -> bool:
        """Claim the source with a conditional UPDATE so two workers can never both win."""
        cls.objects.get_or_create(source=source)
        now = timezone.now()
        claimed = (
            cls.objects.filter(source=source)
            .filter(Q(lock_owner="") | Q(lock_expires_at__lt=now) | Q(lock_owner=owner))
            .update(
                lock_owner=owner,
                lock_expires_at=now + timedelta(seconds=settings.SYNC_LOCK_SECONDS),
            )
        )
        return claimed == 1

    @classmethod
    def lock_release(cls, *, source: str, owner: str) -> None:
        cls.objects.filter(source=source, lock_owner=owner).update(lock_owner="", lock_expires_at=None)
