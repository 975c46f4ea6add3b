"""A team's scorecard: the current version, and a lead's changes, each saved as a new version
so that every review keeps the scorecard it was made with."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from conversations.models import Team

from ..models import Criterion, CriterionLevel, RootCause, Scorecard
from ..scorecards import DEFAULT_SPEC, SCORECARD_PREFETCH, CriterionSpec, ScorecardSpec, scorecard_spec, with_criterion

# Names the review form uses beside the criteria' own, and the scorecard's "new" page: no
# criterion's key may take one.
RESERVED_KEYS = {
    "share_as_example",
    "start_note",
    "stop_note",
    "continue_note",
    "csat_cause",
    "then",
    "csrfmiddlewaretoken",
    "new",
}


class ScorecardError(Exception):
    """A change the scorecard rules refuse; the message is shown to the lead."""


STALE = "Someone saved a new version of the scorecard while you were editing: look at it, then make your change again."


def scorecard_latest(*, team: Team) -> Scorecard | None:
    return Scorecard.objects.filter(team=team).prefetch_related(*SCORECARD_PREFETCH).order_by("-version").first()


def scorecard_current(*, team: Team, now: datetime | None = None) -> Scorecard:
    """The team's latest version, saved from the default the first time a review needs it."""
    scorecard = scorecard_latest(team=team)
    if scorecard is not None:
        return scorecard
    try:
        with transaction.atomic():
            _version_create(team=team, version=1, criteria=DEFAULT_SPEC.criteria, user=None, now=now)
    except IntegrityError:  # another request saved version 1 at the same moment
        pass
    scorecard = scorecard_latest(team=team)
    assert scorecard is not None
    return scorecard


def _version_create(
    *, team: Team, version: int, criteria: tuple[CriterionSpec, ...], user: User | None, now: datetime | None = None
) -> Scorecard:
    """A version's rows in four queries, however many criteria it has."""
    scorecard = Scorecard.objects.create(team=team, version=version, created_by=user, created_at=now or timezone.now())
    rows = Criterion.objects.bulk_create(
        [
            Criterion(
                scorecard=scorecard,
                key=spec.key,
                name=spec.name,
                description=spec.description,
                position=position,
                scale=spec.scale,
                allow_na=spec.allow_na,
                weight=spec.weight,
                critical=spec.critical,
                low_levels=spec.low_levels,
                note_required_when_low=spec.note_required_when_low,
            )
            for position, spec in enumerate(criteria, start=1)
        ]
    )
    CriterionLevel.objects.bulk_create(
        [
            CriterionLevel(criterion=row, value=level.value, label=level.label, definition=level.definition)
            for row, spec in zip(rows, criteria, strict=True)
            for level in spec.levels
        ]
    )
    RootCause.objects.bulk_create(
        [
            RootCause(criterion=row, label=label, position=position)
            for row, spec in zip(rows, criteria, strict=True)
            for position, label in enumerate(spec.root_causes, start=1)
        ]
    )
    return scorecard


def scorecard_save(*, team: Team, user: User, based_on: int, criteria: tuple[CriterionSpec, ...]) -> ScorecardSpec:
    """The criteria as the team's new version; the current one back if nothing changed.
    `based_on` is the version the lead was looking at: if another lead has saved one since,
    this change is refused rather than quietly undoing theirs."""
    if not criteria:
        raise ScorecardError("A scorecard needs at least one criterion.")
    try:
        return _version_next(team=team, user=user, based_on=based_on, criteria=criteria)
    except IntegrityError:  # two leads saving a team's first version at the same moment
        raise ScorecardError(STALE) from None


def _version_next(*, team: Team, user: User, based_on: int, criteria: tuple[CriterionSpec, ...]) -> ScorecardSpec:
    with transaction.atomic():
        latest = Scorecard.objects.select_for_update().filter(team=team).order_by("-version").first()
        if (latest.version if latest else DEFAULT_SPEC.version) != based_on:
            raise ScorecardError(STALE)
        current = scorecard_spec(scorecard_latest(team=team)) if latest else DEFAULT_SPEC
        if latest is not None and current.criteria == criteria:
            return current
        version = latest.version + 1 if latest else (1 if criteria == DEFAULT_SPEC.criteria else 2)
        if latest is None and version == 2:
            # The default the team has used so far is kept as version 1.
            _version_create(team=team, version=1, criteria=DEFAULT_SPEC.criteria, user=None)
        _version_create(team=team, version=version, criteria=criteria, user=user)
    return scorecard_spec(scorecard_latest(team=team))


def new_key(name: str, taken: set[str]) -> str:
    """A criterion's key from its name ('Product knowledge' -> 'product_knowledge'), unlike
    any key the team's scorecard ever had, so a new criterion never inherits another's history."""
    base = slugify(name).replace("-", "_")[:30] or "criterion"
    key, number = base, 1
    # Its form fields (key, key_note, key_causes) must not meet another criterion's.
    fields = {name for old in taken for name in (old, f"{old}_note", f"{old}_causes")} | RESERVED_KEYS
    while {key, f"{key}_note", f"{key}_causes"} & fields:
        number += 1
        key = f"{base}_{number}"
    return key


def keys_used(*, team: Team) -> set[str]:
    used = set(Criterion.objects.filter(scorecard__team=team).values_list("key", flat=True))
    return used | {criterion.key for criterion in DEFAULT_SPEC.criteria}


def criterion_save(*, team: Team, user: User, based_on: int, criterion: CriterionSpec) -> ScorecardSpec:
    """Add the criterion (a key not in the scorecard) or change it, as a new version."""
    current = scorecard_spec(scorecard_latest(team=team))
    return scorecard_save(team=team, user=user, based_on=based_on, criteria=with_criterion(current, criterion))


def criterion_archive(*, team: Team, user: User, based_on: int, key: str) -> ScorecardSpec:
    """Leave the criterion out of the next version; past reviews keep their ratings of it."""
    current = scorecard_spec(scorecard_latest(team=team))
    criteria = tuple(criterion for criterion in current.criteria if criterion.key != key)
    if len(criteria) == len(current.criteria):
        raise ScorecardError("That criterion is not on the scorecard any more.")
    if not criteria:
        raise ScorecardError("A scorecard needs at least one criterion: add another before archiving this one.")
    return scorecard_save(team=team, user=user, based_on=based_on, criteria=criteria)


def criterion_move(*, team: Team, user: User, based_on: int, key: str, offset: int) -> ScorecardSpec:
    """One place up (offset -1) or down (+1) the form."""
    current = scorecard_spec(scorecard_latest(team=team))
    criteria = list(current.criteria)
    keys = [criterion.key for criterion in criteria]
    if key not in keys:
        raise ScorecardError("That criterion is not on the scorecard any more.")
    here = keys.index(key)
    there = min(max(here + offset, 0), len(criteria) - 1)
    criteria.insert(there, criteria.pop(here))
    return scorecard_save(team=team, user=user, based_on=based_on, criteria=tuple(criteria))
