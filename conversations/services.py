"""Sync workflows: fill Carousel from the helpdesk, page by page, under a per-source lock."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from . import spotlight
from .helpdesks import fields
from .helpdesks.errors import HelpdeskConfigError, HelpdeskError
from .helpdesks.records import (
    AgentRecord,
    ConversationPage,
    ConversationRecord,
    Helpdesk,
    MessageRecord,
    RecordProblem,
    TeamRecord,
    UnchangedFilter,
)
from .models import (
    Agent,
    Attachment,
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

if TYPE_CHECKING:
    from .helpdesks.intercom import IntercomClient

logger = logging.getLogger(__name__)

# Conversations updated while a run pages through the search may sort onto pages it has
# already read; starting the next run a little before this one started catches them.
CURSOR_OVERLAP = timedelta(minutes=5)


def _credential(name: str) -> str:
    """A secret from the settings, without the line break a file or a paste leaves at its end."""
    value: str = getattr(settings, name).strip()
    # requests refuses such a header and quotes it, secret and all, in its error.
    if any(character.isspace() or not character.isprintable() for character in value):
        raise HelpdeskConfigError(f"{name} has a space or a line break inside it; set it again without one.")
    return value


def _intercom_client(*, purpose: str, **http_options: Any) -> IntercomClient:
    from .helpdesks.intercom import IntercomClient

    access_token = _credential("INTERCOM_ACCESS_TOKEN")
    if not access_token:
        raise HelpdeskConfigError(f"INTERCOM_ACCESS_TOKEN is not set, so Carousel cannot {purpose} Intercom.")
    return IntercomClient(
        access_token=access_token,
        api_base=settings.INTERCOM_API_BASE,
        api_version=settings.INTERCOM_API_VERSION,
        **http_options,
    )


def intercom_publisher() -> IntercomClient:
    """A client that writes to Intercom (internal articles): it never retries a request that
    may have been carried out, so nothing is published twice; a rate limit is still waited out."""
    return _intercom_client(purpose="publish to", timeout=settings.HELPDESK_TIMEOUT_SECONDS, max_retries=0)


def helpdesk_for_source(source: str) -> Helpdesk:
    """The configured client for a source, with the shared HTTP settings."""
    http_options = {
        "timeout": settings.HELPDESK_TIMEOUT_SECONDS,
        "max_retries": settings.HELPDESK_MAX_RETRIES,
        "concurrency": settings.HELPDESK_CONCURRENCY,
    }
    if source == Source.INTERCOM:
        return _intercom_client(purpose="read", **http_options)
    if source == Source.ZENDESK:
        from .helpdesks.zendesk import ZendeskClient

        email, api_token = _credential("ZENDESK_EMAIL"), _credential("ZENDESK_API_TOKEN")
        if not (settings.ZENDESK_SUBDOMAIN or settings.ZENDESK_API_BASE) or not (email and api_token):
            raise HelpdeskConfigError(
                "ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN must all be set to read Zendesk."
            )
        return ZendeskClient(
            subdomain=settings.ZENDESK_SUBDOMAIN,
            email=email,
            api_token=api_token,
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


def _problems_record(run: SyncRun, problems: list[RecordProblem]) -> None:
    SyncProblem.objects.bulk_create(
        SyncProblem(
            run=run,
            external_id=_line(problem.external_id, 100),
            message=_line(problem.message, 10_000),
            payload_excerpt=_line(problem.payload_excerpt, 10_000),
            skipped=problem.skipped,
        )
        for problem in problems
    )


def _database_reason(exc: DatabaseError) -> str:
    """What a refused write means, in the words of the sync page rather than the database's."""
    said = str(exc)
    if "message_unique_per_conversation" in said or "conversations_message.external_id" in said:
        return "two of its messages have the same id, so the helpdesk's answer cannot be stored as it is"
    first_line = said.strip().splitlines()[0] if said.strip() else type(exc).__name__
    return f"the database refused it ({first_line[:200]})"


def teams_sync(*, source: str, records: list[TeamRecord], problems: list[RecordProblem]) -> dict[str, Team]:
    """Upsert teams; one that cannot be stored is added to `problems` and the rest go on."""
    teams = {team.external_id: team for team in Team.objects.filter(source=source)}
    for record in records:
        team = teams.get(record.external_id)
        name = _line(record.name, 200)
        try:
            with transaction.atomic():
                if team is None:
                    teams[record.external_id] = Team.objects.create(
                        source=source, external_id=record.external_id, name=name
                    )
                elif team.name != name:
                    team.name = name
                    team.save(update_fields=["name"])
        except DatabaseError as exc:
            problems.append(RecordProblem(record.external_id, f"Team skipped: {_database_reason(exc)}.", name))
    return teams


def agents_sync(
    *, source: str, records: list[AgentRecord], teams: dict[str, Team], problems: list[RecordProblem]
) -> dict[str, Agent]:
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
        agent.name = _line(record.name, 200)
        agent.email = record.email if len(record.email) <= 254 else ""
        agent.is_active = record.is_active
        agent.is_away = record.is_away
        if agent.started_on is None:
            # Kept once stored: a lead may have corrected it.
            agent.started_on = record.started_on
        user = users_by_email.get(record.email.lower()) if agent.user_id is None else None
        if user is not None:
            agent.user = user
        try:
            with transaction.atomic():
                agent.save()
        except DatabaseError as exc:
            problems.append(
                RecordProblem(record.external_id, f"Teammate skipped: {_database_reason(exc)}.", agent.name)
            )
            # Conversations still link to the teammate as stored before, if they were.
            if agent.pk:
                agents[record.external_id] = Agent.objects.get(pk=agent.pk)
            continue
        if user is not None:
            users_by_email.pop(record.email.lower())
        agents[record.external_id] = agent
    return agents


def _unchanged_filter(source: str) -> UnchangedFilter:
    def unchanged(listed: list[tuple[str, datetime | None]]) -> set[str]:
        stored = dict(
            Conversation.objects.filter(
                source=source, external_id__in=[external_id for external_id, _ in listed]
            ).values_list("external_id", "updated_at")
        )
        # Equal or older than what is stored: nothing to fetch. Unknown: fetch and compare.
        return {
            external_id
            for external_id, updated_at in listed
            if updated_at is not None and external_id in stored and updated_at <= stored[external_id]
        }

    return unchanged


def _refetch_everything(listed: list[tuple[str, datetime | None]]) -> set[str]:
    return set()


def _line(value: str, limit: int) -> str:
    """One field of outside text as the database takes it: no NUL characters, at most `limit`."""
    return value.replace("\x00", "")[:limit]


def _attachments(record: MessageRecord, warnings: list[str]) -> list[Attachment]:
    kept = []
    for attachment in record.attachments:
        url = fields.web_link(attachment.url)
        if not url or len(url) > 2000:
            warnings.append(
                f"An attachment ({_line(attachment.name, 80)}) was left out: its link is not a usable http(s) link."
            )
            continue
        kept.append(
            Attachment(
                name=_line(attachment.name, 255) or "attachment",
                url=url,
                content_type=_line(attachment.content_type, 100),
                size=attachment.size if attachment.size is not None and 0 <= attachment.size < 2**63 else None,
            )
        )
    return kept


def _message_row(record: MessageRecord, agents: dict[str, Agent]) -> Message:
    body_html = sanitise_html(record.body.replace("\x00", ""))
    author = agents.get(record.author_external_id) if record.author_external_id else None
    external_id = record.external_id
    if len(external_id) > 100:
        external_id = fields.derived_id(external_id)
    return Message(
        external_id=external_id,
        author_kind=record.author_kind,
        author_agent=author,
        author_name=_line(author.name if author else record.author_name, 200),
        created_at=record.created_at,
        body_html=body_html,
        body_text=html_to_text(body_html),
    )


def _derived_ids_number(messages: list[Message]) -> None:
    """Identical messages without an id share a derived one: the second becomes "<id>-2", and so on."""
    seen: Counter[str] = Counter()
    for message in messages:
        if message.external_id.startswith(fields.DERIVED_PREFIX):
            seen[message.external_id] += 1
            if seen[message.external_id] > 1:
                message.external_id = f"{message.external_id}-{seen[message.external_id]}"


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
    "is_truncated",
    "exclusion_reason",
    "synced_at",
    "search_text",
    "customer_sentiment",
    "back_and_forths",
    "reopens",
]


@dataclass
class _Incoming:
    """One conversation ready to write: its row, its messages, and what the lead should know."""

    row: Conversation
    messages: list[Message]
    # Each message's attachments, in the same order (most messages have none).
    attachments: list[list[Attachment]]
    warnings: list[str]
    stored_pk: int | None
    # Picked for review: the stored messages stay as they are and new ones are added.
    keeps_transcript: bool


def _incoming(
    record: ConversationRecord,
    *,
    source: str,
    teams: dict[str, Team],
    agents: dict[str, Agent],
    stored_pk: int | None,
    keeps_transcript: bool,
) -> _Incoming:
    warnings = list(record.warnings)
    messages = [_message_row(message, agents) for message in record.messages]
    _derived_ids_number(messages)
    attachments = [_attachments(message, warnings) for message in record.messages]
    row = _conversation_row(record, source=source, teams=teams, agents=agents, messages=messages, warnings=warnings)
    return _Incoming(
        row=row,
        messages=messages,
        attachments=attachments,
        warnings=warnings,
        stored_pk=stored_pk,
        keeps_transcript=keeps_transcript,
    )


def _conversation_row(
    record: ConversationRecord,
    *,
    source: str,
    teams: dict[str, Team],
    agents: dict[str, Agent],
    messages: list[Message],
    warnings: list[str],
) -> Conversation:
    """The conversation as stored, with its message and word counts and why it is excluded, if it is."""
    words: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for message in messages:
        kinds[message.author_kind] += 1
        words[message.author_kind] += word_count(message.body_text)
    url = fields.web_link(record.url)
    if record.url and (not url or len(url) > 500):
        url = ""
        warnings.append("Its helpdesk link was left out: it is not an http(s) link.")
    assignee = agents.get(record.assignee_external_id)
    subject = _line(record.subject, 500)
    tags = [_line(tag, 100) for tag in record.tags]
    remark = record.csat_remark.replace("\x00", "")
    return Conversation(
        source=source,
        external_id=record.external_id,
        url=url,
        subject=subject,
        team=teams.get(record.team_external_id) or (assignee.team if assignee else None),
        assignee=assignee,
        state=_line(record.state, 20),
        created_at=record.created_at,
        updated_at=record.updated_at,
        closed_at=record.closed_at,
        tags=tags,
        csat_rating=record.csat_rating,
        csat_remark=remark,
        customer_message_count=kinds[AuthorKind.CUSTOMER],
        agent_message_count=kinds[AuthorKind.AGENT],
        customer_word_count=words[AuthorKind.CUSTOMER],
        agent_word_count=words[AuthorKind.AGENT],
        is_spam=record.is_spam,
        is_truncated=record.is_truncated,
        exclusion_reason=conversation_exclusion_reason(
            is_spam=record.is_spam,
            tags=record.tags,
            customer_messages=kinds[AuthorKind.CUSTOMER],
            agent_messages=kinds[AuthorKind.AGENT],
            customer_words=words[AuthorKind.CUSTOMER],
        ),
        search_text=search_text(subject, tags, remark, [message.body_text for message in messages]),
        customer_sentiment=spotlight.customer_sentiment(
            message.body_text for message in messages if message.author_kind == AuthorKind.CUSTOMER
        ),
        back_and_forths=min(spotlight.back_and_forths(message.author_kind for message in messages), 32767),
        reopens=min(record.reopens, 32767) if record.reopens is not None else None,
    )


# PostgreSQL's tsvector holds at most 1 MB; a transcript's first 100,000 characters find it.
SEARCH_TEXT_MAX = 100_000


def search_text(subject: str, tags: list[str], remark: str, bodies: list[str]) -> str:
    """What search looks through: the subject, tags, the customer's remark and the messages."""
    return "\n".join([subject, " ".join(tags), remark, *bodies])[:SEARCH_TEXT_MAX]


def _incoming_write(batch: list[_Incoming], reviewed: dict[int, set[str]]) -> None:
    """Upsert conversations and their transcripts; raises DatabaseError if any row is refused."""
    for item in batch:
        # A failed attempt may have handed out ids that its rollback took back.
        item.row.pk = None
        for message in item.messages:
            message.pk = None
    Conversation.objects.bulk_create(
        [item.row for item in batch],
        update_conflicts=True,
        unique_fields=["source", "external_id"],
        update_fields=CONVERSATION_UPDATE_FIELDS,
    )
    # A lead included some anyway: set aside by the same rule again, they stay offered (and
    # the run counts them as kept).
    reincluded = set(
        Conversation.objects.filter(pk__in=[item.row.pk for item in batch], exclusion_reason=F("included_rule"))
        .exclude(included_rule="")
        .values_list("pk", flat=True)
    )
    if reincluded:
        Conversation.objects.filter(pk__in=reincluded).update(exclusion_reason="")
        for item in batch:
            if item.row.pk in reincluded:
                item.row.exclusion_reason = ""
    # Parts can be edited or redacted in the helpdesk: replace the transcript whole, unless
    # the conversation was picked for review; then reviewer and reviewee keep what was reviewed.
    replaced = [item.row.pk for item in batch if item.stored_pk is not None and not item.keeps_transcript]
    Message.objects.filter(conversation_id__in=replaced).delete()
    message_rows = []
    attached: list[tuple[Message, list[Attachment]]] = []
    for item in batch:
        kept = reviewed[item.row.pk] if item.keeps_transcript else set()
        for message, attachments in zip(item.messages, item.attachments, strict=True):
            if message.external_id in kept:
                continue
            message.conversation_id = item.row.pk
            message.added_after_review = item.keeps_transcript
            message_rows.append(message)
            if attachments:
                attached.append((message, attachments))
    Message.objects.bulk_create(message_rows, batch_size=2000)
    # bulk_create has set each message's pk (both databases return them).
    attachment_rows = []
    for message, attachments in attached:
        for attachment in attachments:
            attachment.pk, attachment.message_id = None, message.pk
            attachment_rows.append(attachment)
    Attachment.objects.bulk_create(attachment_rows)


def _stored_versions(source: str, external_ids: list[str]) -> dict[str, tuple[int, datetime]]:
    """The pk and updated_at of each of these conversations that is stored already."""
    return {
        external_id: (pk, updated_at)
        for external_id, pk, updated_at in Conversation.objects.filter(
            source=source, external_id__in=external_ids
        ).values_list("external_id", "pk", "updated_at")
    }


def _reviewed_transcripts(conversation_pks: list[int]) -> dict[int, set[str]]:
    """The conversations among these that were picked for review, each with its stored message ids."""
    # Every assignment row, handed back or not: the conversation was shown to a reviewer.
    picked = (
        Conversation.objects.filter(pk__in=conversation_pks, assignments__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    reviewed: dict[int, set[str]] = {pk: set() for pk in picked}
    for conversation_id, external_id in Message.objects.filter(conversation_id__in=list(reviewed)).values_list(
        "conversation_id", "external_id"
    ):
        reviewed[conversation_id].add(external_id)
    return reviewed


def _batch_write(
    batch: list[_Incoming], reviewed: dict[int, set[str]], problems: list[RecordProblem]
) -> list[_Incoming]:
    """Writes the batch in one savepoint; if the database refuses it, each conversation in its own.

    One bad record then costs nothing but itself, and the usual page pays for one savepoint,
    not one per conversation. Returns what was written; each refusal is added to `problems`.
    """
    try:
        with transaction.atomic():
            _incoming_write(batch, reviewed)
        return batch
    except DatabaseError:
        written = []
        for item in batch:
            try:
                with transaction.atomic():
                    _incoming_write([item], reviewed)
            except DatabaseError as exc:
                problems.append(
                    RecordProblem(
                        item.row.external_id,
                        f"Conversation skipped: {_database_reason(exc)}. The version stored before, if any, is kept.",
                        _line(item.row.subject, 200),
                    )
                )
                continue
            written.append(item)
        return written


def _page_store(
    *,
    page: ConversationPage,
    run: SyncRun,
    source: str,
    teams: dict[str, Team],
    agents: dict[str, Agent],
    restore_equal: bool,
) -> Counter[str]:
    """Upsert one page of conversations and their messages; returns the run's new counts."""
    counts: Counter[str] = Counter()
    problems = list(page.problems)
    records = {record.external_id: record for record in page.conversations}
    stored = _stored_versions(source, list(records))
    reviewed = _reviewed_transcripts([pk for pk, _ in stored.values()])
    batch: list[_Incoming] = []
    for record in records.values():
        stored_pk, stored_updated_at = stored.get(record.external_id, (None, None))
        # Never back in time: an older version leaves the stored one as it is, and so does an
        # equal one, unless a full sync asked to store everything again (new rules, new fields).
        if stored_updated_at is not None and (
            record.updated_at < stored_updated_at or (record.updated_at == stored_updated_at and not restore_equal)
        ):
            counts["unchanged"] += 1
        elif len(record.external_id) > 100:
            problems.append(RecordProblem(record.external_id, "Conversation skipped: its id is over 100 characters."))
        else:
            batch.append(
                _incoming(
                    record,
                    source=source,
                    teams=teams,
                    agents=agents,
                    stored_pk=stored_pk,
                    keeps_transcript=stored_pk in reviewed,
                )
            )
    for item in _batch_write(batch, reviewed, problems):
        counts["updated" if item.stored_pk is not None else "created"] += 1
        reason = item.row.exclusion_reason
        counts[f"excluded:{reason}" if reason else "kept"] += 1
        counts["truncated"] += item.row.is_truncated
        problems.extend(RecordProblem(item.row.external_id, warning, skipped=False) for warning in item.warnings)
    _problems_record(run, problems)
    counts["fetched"] = len(records)
    counts["unchanged"] += page.unchanged
    counts["errors"] = sum(problem.skipped for problem in problems)
    return counts


def _run_counts_add(run: SyncRun, counts: Counter[str]) -> None:
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
        truncated=F("truncated") + counts["truncated"],
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
        if helpdesk is not None:
            helpdesk.close()
    run.refresh_from_db()
    return run


@dataclass(frozen=True)
class _Listing:
    """Where a run starts reading the helpdesk's listing, and where the next run will start."""

    updated_since: datetime | None
    resume_token: str
    # Fetch and store again even what is stored at the same version (--full).
    refetch_all: bool
    next_since: datetime


def _listing_start(cursor: SyncCursor, *, run: SyncRun, since: datetime | None, full: bool) -> _Listing:
    next_since = run.started_at - CURSOR_OVERLAP
    if full or since:
        return _Listing(None if full else since, "", full, next_since)
    if cursor.resume_token:
        # The last run stopped mid-listing: finish that listing, as it was asked for.
        return _Listing(
            cursor.resume_since,
            cursor.resume_token,
            cursor.resume_refetch_all,
            cursor.pending_updated_since or next_since,
        )
    return _Listing(cursor.updated_since, "", False, next_since)


def _cursor_move(*, source: str, owner: str, listing: _Listing, next_token: str | None) -> None:
    """Past the page just stored; raises HelpdeskError if another run has taken the lock."""
    if next_token:
        moved = {
            "resume_token": next_token,
            "pending_updated_since": listing.next_since,
            "resume_since": listing.updated_since,
            "resume_refetch_all": listing.refetch_all,
        }
    else:
        moved = {"resume_token": "", "pending_updated_since": None, "updated_since": listing.next_since}
    # The cursor moves, and the lock is renewed, only while this run still holds it:
    # a run that lost its lock must not overwrite the cursor of the run that took it.
    still_ours = SyncCursor.objects.filter(source=source, lock_owner=owner).update(
        **moved, lock_expires_at=timezone.now() + timedelta(seconds=settings.SYNC_LOCK_SECONDS)
    )
    if not still_ours:
        raise HelpdeskError("This sync lost its lock to another run and stopped; its last page was not kept.")


def _people_sync(*, run: SyncRun, source: str, helpdesk: Helpdesk) -> tuple[dict[str, Team], dict[str, Agent]]:
    """Teams and teammates first, so each conversation can link to them."""
    # Fails fast on a rejected token, before anything is written.
    problems = helpdesk.check_access()
    team_listing = helpdesk.teams()
    problems.extend(team_listing.problems)
    teams = teams_sync(source=source, records=team_listing.records, problems=problems)
    agent_listing = helpdesk.agents()
    problems.extend(agent_listing.problems)
    agents = agents_sync(source=source, records=agent_listing.records, teams=teams, problems=problems)
    _problems_record(run, problems)
    SyncRun.objects.filter(pk=run.pk).update(errors=F("errors") + sum(problem.skipped for problem in problems))
    return teams, agents


def _sync_pages(
    *, run: SyncRun, source: str, helpdesk: Helpdesk, since: datetime | None, full: bool, owner: str
) -> None:
    teams, agents = _people_sync(run=run, source=source, helpdesk=helpdesk)
    listing = _listing_start(SyncCursor.objects.get(source=source), run=run, since=since, full=full)
    pages = helpdesk.conversation_pages(
        updated_since=listing.updated_since,
        resume_token=listing.resume_token,
        unchanged=_refetch_everything if listing.refetch_all else _unchanged_filter(source),
    )
    for page in pages:
        with transaction.atomic():
            counts = _page_store(
                page=page, run=run, source=source, teams=teams, agents=agents, restore_equal=listing.refetch_all
            )
            _run_counts_add(run, counts)
            _cursor_move(source=source, owner=owner, listing=listing, next_token=page.next_token)


class IncludeError(Exception):
    """A request to include a conversation that the rules refuse; the message is shown to the lead."""


# As long as any note written about a review (reviews.models.NOTE_MAX_LENGTH).
INCLUDE_NOTE_MAX = 2000


def conversation_include(*, conversation: Conversation, by: User, note: str, now: datetime | None = None) -> None:
    """A lead offers a conversation a rule set aside for review after all, saying why. Counted
    per rule (`selectors.rule_counts`) so the thresholds can be tuned; spam and short
    conversations are only ever included by hand."""
    note = note.strip()
    if not note:
        raise IncludeError("Say why it is worth reviewing: it is how the thresholds get tuned.")
    if len(note) > INCLUDE_NOTE_MAX:
        raise IncludeError(f"Keep the reason to {INCLUDE_NOTE_MAX:,} characters.")
    rule = conversation.exclusion_reason
    if not rule:
        raise IncludeError("This conversation is offered for review already.")
    # Conditional: a sync that changed its reason a moment ago is not overruled blindly.
    included = Conversation.objects.filter(pk=conversation.pk, exclusion_reason=rule).update(
        exclusion_reason="", included_rule=rule, included_note=note, included_by=by, included_at=now or timezone.now()
    )
    if not included:
        raise IncludeError("The sync changed this conversation a moment ago: look at it again, then include it.")
