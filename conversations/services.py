"""Sync workflows: fill Carousel from the helpdesk, page by page, under a per-source lock."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from .helpdesks.errors import HelpdeskConfigError, HelpdeskError
from .helpdesks.records import AgentRecord, ConversationPage, Helpdesk, MessageRecord, TeamRecord
from .models import (
    Agent,
    AuthorKind,
    Conversation,
    ExclusionReason,
    Message,
    Source,
    SyncCursor,
    SyncProblem,
    SyncRun,
    Team,
)
from .sanitize import html_to_text, sanitise_html, word_count

logger = logging.getLogger(__name__)

# Conversations updated while a run pages through the search may sort onto pages it has
# already read; starting the next run a little before this one started catches them.
CURSOR_OVERLAP = timedelta(minutes=5)


def helpdesk_for_source(source: str) -> Helpdesk:
    """The configured client for a source, with the shared HTTP settings."""
    http_options = {
        "timeout": settings.HELPDESK_TIMEOUT_SECONDS,
        "max_retries": settings.HELPDESK_MAX_RETRIES,
        "concurrency": settings.HELPDESK_CONCURRENCY,
    }
    if source == Source.INTERCOM:
        from .helpdesks.intercom import IntercomClient

        if not settings.INTERCOM_ACCESS_TOKEN:
            raise HelpdeskConfigError("INTERCOM_ACCESS_TOKEN is not set, so Carousel cannot read Intercom.")
        return IntercomClient(
            access_token=settings.INTERCOM_ACCESS_TOKEN,
            api_base=settings.INTERCOM_API_BASE,
            api_version=settings.INTERCOM_API_VERSION,
            **http_options,
        )
    if source == Source.ZENDESK:
        from .helpdesks.zendesk import ZendeskClient

        if not (settings.ZENDESK_SUBDOMAIN or settings.ZENDESK_API_BASE) or not (
            settings.ZENDESK_EMAIL and settings.ZENDESK_API_TOKEN
        ):
            raise HelpdeskConfigError(
                "ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN must all be set to read Zendesk."
            )
        return ZendeskClient(
            subdomain=settings.ZENDESK_SUBDOMAIN,
            email=settings.ZENDESK_EMAIL,
            api_token=settings.ZENDESK_API_TOKEN,
            api_base=settings.ZENDESK_API_BASE or None,
            **http_options,
        )
    if source == Source.FILE:
        from .helpdesks.files import FileHelpdesk

        if not settings.HELPDESK_IMPORT_PATH:
            raise HelpdeskConfigError(
                "HELPDESK_IMPORT_PATH is not set: with HELPDESK=file, use "
                "'manage.py import_conversations FILE' or point it at a file or folder."
            )
        return FileHelpdesk.from_path(settings.HELPDESK_IMPORT_PATH)
    raise HelpdeskConfigError(f"Unknown helpdesk {source!r}.")


def conversation_exclusion_reason(
    *,
    is_spam: bool,
    tags: tuple[str, ...] | list[str],
    customer_messages: int,
    agent_messages: int,
    customer_words: int,
) -> str:
    """Why a conversation is not worth a review, or "" when it is."""
    spam_tags = {tag.casefold() for tag in settings.SYNC_SPAM_TAGS}
    if is_spam:
        return ExclusionReason.SPAM_FLAGGED
    if spam_tags.intersection(tag.casefold() for tag in tags):
        return ExclusionReason.SPAM_TAG
    if agent_messages == 0:
        return ExclusionReason.BOT_ONLY
    if (
        customer_messages < settings.SYNC_MIN_CUSTOMER_MESSAGES
        or agent_messages < settings.SYNC_MIN_AGENT_REPLIES
        or customer_words < settings.SYNC_MIN_CUSTOMER_WORDS
    ):
        return ExclusionReason.SHORT
    return ""


def teams_sync(*, source: str, records: list[TeamRecord]) -> dict[str, Team]:
    teams = {team.external_id: team for team in Team.objects.filter(source=source)}
    for record in records:
        team = teams.get(record.external_id)
        if team is None:
            teams[record.external_id] = Team.objects.create(
                source=source, external_id=record.external_id, name=record.name
            )
        elif team.name != record.name:
            team.name = record.name
            team.save(update_fields=["name"])
    return teams


def agents_sync(*, source: str, records: list[AgentRecord], teams: dict[str, Team]) -> dict[str, Agent]:
    """Upsert teammates and link each to the Carousel user with the same email."""
    agents = {agent.external_id: agent for agent in Agent.objects.filter(source=source)}
    emails = {record.email.lower() for record in records if record.email}
    users_by_email = {
        user.email_lower: user
        for user in get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails, agent__isnull=True)
    }
    for record in records:
        agent = agents.get(record.external_id) or Agent(source=source, external_id=record.external_id)
        helpdesk_teams = [teams[team_id] for team_id in record.team_external_ids if team_id in teams]
        # An agent in several helpdesk teams keeps the one a lead chose, if it is among them.
        if helpdesk_teams and agent.team_id not in {team.pk for team in helpdesk_teams}:
            agent.team = helpdesk_teams[0]
        agent.name = record.name
        agent.email = record.email
        agent.is_active = record.is_active
        agent.is_away = record.is_away
        if agent.user_id is None and record.email.lower() in users_by_email:
            agent.user = users_by_email.pop(record.email.lower())
        agent.save()
        agents[record.external_id] = agent
    return agents


def _unchanged_filter(source: str):
    def unchanged(listed: list[tuple[str, datetime]]) -> set[str]:
        stored = dict(
            Conversation.objects.filter(
                source=source, external_id__in=[external_id for external_id, _ in listed]
            ).values_list("external_id", "updated_at")
        )
        return {external_id for external_id, updated_at in listed if stored.get(external_id) == updated_at}

    return unchanged


def _refetch_everything(listed: list[tuple[str, datetime]]) -> set[str]:
    return set()


def _message_row(record: MessageRecord, agents: dict[str, Agent]) -> Message:
    body_html = sanitise_html(record.body)
    author = agents.get(record.author_external_id) if record.author_external_id else None
    return Message(
        external_id=record.external_id,
        author_kind=record.author_kind,
        author_agent=author,
        author_name=(author.name if author else record.author_name)[:200],
        created_at=record.created_at,
        body_html=body_html,
        body_text=html_to_text(body_html),
    )


CONVERSATION_UPDATE_FIELDS = [
    "url",
    "subject",
    "team",
    "assignee",
    "state",
    "created_at",
    "updated_at",
    "closed_at",
    "tags",
    "csat_rating",
    "csat_remark",
    "customer_message_count",
    "agent_message_count",
    "customer_word_count",
    "agent_word_count",
    "is_spam",
    "exclusion_reason",
    "synced_at",
]


def _page_store(
    *, page: ConversationPage, run: SyncRun, source: str, teams: dict[str, Team], agents: dict[str, Agent]
) -> Counter:
    """Upsert one page of conversations and their messages; returns the run's new counts."""
    counts: Counter = Counter()
    records = {record.external_id: record for record in page.conversations}
    existing = set(
        Conversation.objects.filter(source=source, external_id__in=list(records)).values_list("external_id", flat=True)
    )
    now = timezone.now()
    rows: list[Conversation] = []
    messages_by_conversation: dict[str, list[Message]] = {}
    for record in records.values():
        messages = [_message_row(message, agents) for message in record.messages]
        words = Counter()
        kinds = Counter()
        for message in messages:
            kinds[message.author_kind] += 1
            words[message.author_kind] += word_count(message.body_text)
        reason = conversation_exclusion_reason(
            is_spam=record.is_spam,
            tags=record.tags,
            customer_messages=kinds[AuthorKind.CUSTOMER],
            agent_messages=kinds[AuthorKind.AGENT],
            customer_words=words[AuthorKind.CUSTOMER],
        )
        assignee = agents.get(record.assignee_external_id)
        team = teams.get(record.team_external_id) or (assignee.team if assignee else None)
        rating = record.csat_rating if record.csat_rating in range(1, 6) else None
        rows.append(
            Conversation(
                source=source,
                external_id=record.external_id,
                url=record.url[:500],
                subject=record.subject[:500],
                team=team,
                assignee=assignee,
                state=record.state[:20],
                created_at=record.created_at,
                updated_at=record.updated_at,
                closed_at=record.closed_at,
                tags=list(record.tags),
                csat_rating=rating,
                csat_remark=record.csat_remark,
                customer_message_count=kinds[AuthorKind.CUSTOMER],
                agent_message_count=kinds[AuthorKind.AGENT],
                customer_word_count=words[AuthorKind.CUSTOMER],
                agent_word_count=words[AuthorKind.AGENT],
                is_spam=record.is_spam,
                exclusion_reason=reason,
                synced_at=now,
            )
        )
        messages_by_conversation[record.external_id] = messages
        counts["updated" if record.external_id in existing else "created"] += 1
        if reason:
            counts[f"excluded:{reason}"] += 1
        else:
            counts["kept"] += 1

    Conversation.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["source", "external_id"],
        update_fields=CONVERSATION_UPDATE_FIELDS,
    )
    changed_ids = [row.pk for row in rows if row.external_id in existing]
    # Parts can be edited or redacted in the helpdesk: replace the transcript whole.
    Message.objects.filter(conversation_id__in=changed_ids).delete()
    message_rows = []
    for row in rows:
        for message in messages_by_conversation[row.external_id]:
            message.conversation_id = row.pk
            message_rows.append(message)
    Message.objects.bulk_create(message_rows, batch_size=2000)
    SyncProblem.objects.bulk_create(
        SyncProblem(
            run=run,
            external_id=problem.external_id[:100],
            message=problem.message,
            payload_excerpt=problem.payload_excerpt,
        )
        for problem in page.problems
    )
    counts["fetched"] = len(records)
    counts["unchanged"] = page.unchanged
    counts["errors"] = len(page.problems)
    return counts


def _run_counts_add(run: SyncRun, counts: Counter) -> None:
    excluded = dict(run.excluded_counts)
    for key, value in counts.items():
        if key.startswith("excluded:"):
            reason = key.removeprefix("excluded:")
            excluded[reason] = excluded.get(reason, 0) + value
    run.excluded_counts = excluded
    SyncRun.objects.filter(pk=run.pk).update(
        fetched=F("fetched") + counts["fetched"],
        unchanged=F("unchanged") + counts["unchanged"],
        created=F("created") + counts["created"],
        updated=F("updated") + counts["updated"],
        kept=F("kept") + counts["kept"],
        errors=F("errors") + counts["errors"],
        excluded_counts=excluded,
    )


def conversations_sync(
    *,
    source: str,
    since: datetime | None = None,
    full: bool = False,
    helpdesk: Helpdesk | None = None,
) -> SyncRun:
    """Fetch what changed since the last run; safe to run again, to kill and to resume.

    Each page is stored, and the cursor moved past it, in one transaction, so a crash
    loses at most the page in hand and the next run picks up from the last stored page.
    """
    owner = uuid.uuid4().hex
    if not SyncCursor.lock_acquire(source=source, owner=owner):
        now = timezone.now()
        return SyncRun.objects.create(
            source=source,
            status=SyncRun.Status.SKIPPED,
            started_at=now,
            finished_at=now,
            error_text="Another sync of this helpdesk is still running; this one did nothing.",
        )
    # Holding the lock, any run still marked running was cut off (a killed or restarted worker).
    SyncRun.objects.filter(source=source, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error_text="The worker stopped during this run; the next run resumed from its last stored page.",
    )
    run = SyncRun.objects.create(source=source)
    try:
        helpdesk = helpdesk or helpdesk_for_source(source)
        _sync_pages(run=run, source=source, helpdesk=helpdesk, since=since, full=full, owner=owner)
        run.status = SyncRun.Status.SUCCEEDED
    except HelpdeskError as exc:
        logger.warning("Sync of %s failed: %s", source, exc)
        run.status, run.error_text = SyncRun.Status.FAILED, str(exc)
    except Exception as exc:
        logger.exception("Sync of %s failed unexpectedly", source)
        run.status = SyncRun.Status.FAILED
        run.error_text = (
            f"Unexpected error ({type(exc).__name__}: {exc}). The next run resumes from the last stored page."
        )
    finally:
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error_text", "finished_at"])
        SyncCursor.lock_release(source=source, owner=owner)
        if helpdesk is not None and hasattr(helpdesk, "close"):
            helpdesk.close()
    run.refresh_from_db()
    return run


def _sync_pages(
    *, run: SyncRun, source: str, helpdesk: Helpdesk, since: datetime | None, full: bool, owner: str
) -> None:
    # Fails fast on a rejected token, before anything is written.
    helpdesk.check_access()
    teams = teams_sync(source=source, records=helpdesk.teams())
    agents = agents_sync(source=source, records=helpdesk.agents(), teams=teams)

    cursor = SyncCursor.objects.get(source=source)
    if full or since:
        updated_since, resume_token = (None if full else since), ""
        next_since = run.started_at - CURSOR_OVERLAP
    elif cursor.resume_token:
        updated_since, resume_token = cursor.resume_since, cursor.resume_token
        full = cursor.resume_refetch_all
        next_since = cursor.pending_updated_since or run.started_at - CURSOR_OVERLAP
    else:
        updated_since, resume_token = cursor.updated_since, ""
        next_since = run.started_at - CURSOR_OVERLAP

    unchanged = _refetch_everything if full else _unchanged_filter(source)
    pages = helpdesk.conversation_pages(updated_since=updated_since, resume_token=resume_token, unchanged=unchanged)
    for page in pages:
        with transaction.atomic():
            counts = _page_store(page=page, run=run, source=source, teams=teams, agents=agents)
            _run_counts_add(run, counts)
            if page.next_token:
                moved = {
                    "resume_token": page.next_token,
                    "pending_updated_since": next_since,
                    "resume_since": updated_since,
                    "resume_refetch_all": full,
                }
            else:
                moved = {"resume_token": "", "pending_updated_since": None, "updated_since": next_since}
            # The cursor moves, and the lock is renewed, only while this run still holds it:
            # a run that lost its lock must not overwrite the cursor of the run that took it.
            still_ours = SyncCursor.objects.filter(source=source, lock_owner=owner).update(
                **moved, lock_expires_at=timezone.now() + timedelta(seconds=settings.SYNC_LOCK_SECONDS)
            )
            if not still_ours:
                raise HelpdeskError("This sync lost its lock to another run and stopped; its last page was not kept.")
