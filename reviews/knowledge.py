"""A highlight as a draft knowledge-base article: the transcript with the customer's details
left out, and what the reviewer wrote about it. Markdown to download, HTML to download or to
publish (Intercom's internal articles take HTML)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape

from conversations.models import AuthorKind, Message

from .models import Review

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LINK = re.compile(r"https?://\S+")
# Phone, card, account and order numbers: six digits or more, spaces and dashes allowed.
NUMBER = re.compile(r"\+?\d(?:[\d ().-]{4,}\d)")
SPOKEN: dict[str, str] = {AuthorKind.CUSTOMER: "Customer", AuthorKind.AGENT: "Agent", AuthorKind.BOT: "Bot"}


@dataclass(frozen=True)
class ArticleDraft:
    title: str
    markdown: str
    html: str


class _Redactor:
    """Leaves out what identifies the customer: their name (each part of it), email
    addresses, links and long numbers."""

    def __init__(self, customer_names: Iterable[str]):
        parts = {part for name in customer_names for part in re.split(r"\W+", name) if len(part) >= 2}
        self.names = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(parts, key=len, reverse=True))) + r")\b", re.I)
            if parts
            else None
        )

    def __call__(self, text: str) -> str:
        text = EMAIL.sub("[email]", text)
        text = LINK.sub("[link]", text)
        text = NUMBER.sub(lambda match: "[number]" if sum(c.isdigit() for c in match[0]) >= 6 else match[0], text)
        return self.names.sub("[customer]", text) if self.names else text


def article_draft(review: Review, messages: Iterable[Message]) -> ArticleDraft:
    """From a review with its ratings (`with_ratings`, `with_people`) and its conversation's
    messages in order. Internal notes stay out: they are the team's, not the customer's."""
    spoken = [message for message in messages if message.author_kind in SPOKEN and message.body_text.strip()]
    redact = _Redactor(
        message.author_name for message in spoken if message.author_kind == AuthorKind.CUSTOMER and message.author_name
    )
    title = redact(review.conversation.subject.strip()) or "A conversation worth learning from"
    origin = f"{review.assignment.week.team.name}, week {review.assignment.week.label}"
    why = [
        (rating.criterion.name, rating.label, redact(rating.note.strip()))
        for rating in review.ratings.all()
        if rating.note.strip()
    ]
    lines = [(SPOKEN[message.author_kind], redact(message.body_text.strip())) for message in spoken]
    markdown = [
        f"# {title}",
        "",
        f"*A draft from a highlighted review in Carousel ({origin}). The customer's details are left out.*",
        "",
        "## Why it is a good example",
        "",
        *(f"- **{name}** ({label}): {note}" for name, label, note in why),
        *([] if why else ["- (The reviewer left no notes.)"]),
        "",
        "## The conversation",
        "",
    ]
    for who, text in lines:
        markdown += [f"**{who}:** " + text.replace("\n", "  \n"), ""]
    html = [
        f"<h1>{escape(title)}</h1>",
        f"<p><em>A draft from a highlighted review in Carousel ({escape(origin)}). "
        "The customer's details are left out.</em></p>",
        "<h2>Why it is a good example</h2>",
        "<ul>"
        + "".join(
            f"<li><strong>{escape(name)}</strong> ({escape(label)}): {escape(note)}</li>" for name, label, note in why
        )
        + ("" if why else "<li>(The reviewer left no notes.)</li>")
        + "</ul>",
        "<h2>The conversation</h2>",
        *(f"<p><strong>{who}:</strong> {escape(text).replace(chr(10), '<br>')}</p>" for who, text in lines),
    ]
    return ArticleDraft(title=title, markdown="\n".join(markdown).rstrip() + "\n", html="\n".join(html) + "\n")
