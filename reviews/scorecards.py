"""A scorecard as plain values: what the review form asks, what the scorecard page edits and
how a review is scored. Read from a version's rows, or from DEFAULT_SCORECARD for a team that
has not needed one saved yet (reading never writes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .models import SCALE_LABELS, SCALE_SIZES, Criterion, Scale, Scorecard, level_score

# What a version's criteria need prefetched to become a ScorecardSpec.
SCORECARD_PREFETCH = ("criteria__levels", "criteria__root_causes")


@dataclass(frozen=True)
class LevelSpec:
    value: int  # 1 is the lowest
    label: str
    definition: str = ""


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    name: str
    scale: str
    levels: tuple[LevelSpec, ...]
    description: str = ""
    root_causes: tuple[str, ...] = ()
    allow_na: bool = False
    weight: int = 1
    critical: bool = False
    low_levels: int = 1
    note_required_when_low: bool = False

    @property
    def size(self) -> int:
        return SCALE_SIZES[Scale(self.scale)]

    @property
    def scale_label(self) -> str:
        return Scale(self.scale).label

    @property
    def shown_levels(self) -> tuple[LevelSpec, ...]:
        """The order a form offers them: lowest first, but Yes before No as people say it."""
        return tuple(reversed(self.levels)) if self.scale == Scale.YES_NO else self.levels

    def is_low(self, level: int | None) -> bool:
        return level is not None and level <= self.low_levels

    def label_of(self, level: int | None) -> str:
        if level is None:
            return "N/A"
        return next(spec.label for spec in self.levels if spec.value == level)

    @property
    def low_labels(self) -> str:
        """'Needs improvement', or 'Poor or Needs improvement': the levels that ask for more."""
        return " or ".join(level.label for level in self.levels[: self.low_levels])

    @property
    def definitions(self) -> bool:
        return any(level.definition for level in self.levels)


@dataclass(frozen=True)
class ScorecardSpec:
    version: int
    criteria: tuple[CriterionSpec, ...]
    pk: int | None = None  # None: the default, not saved for this team yet

    def criterion(self, key: str) -> CriterionSpec | None:
        return next((criterion for criterion in self.criteria if criterion.key == key), None)


@dataclass(frozen=True)
class RatingAnswer:
    """A reviewer's answer to one criterion, as the review form cleans it."""

    level: int | None  # None: N/A
    note: str = ""
    causes: tuple[int, ...] = ()  # positions of the root causes ticked, from 1


def default_levels(scale: str, definitions: Iterable[str] = ()) -> tuple[LevelSpec, ...]:
    texts = list(definitions)
    return tuple(
        LevelSpec(value, label, texts[value - 1] if value <= len(texts) else "")
        for value, label in enumerate(SCALE_LABELS[Scale(scale)], start=1)
    )


# Today's rubric, the design Carousel started from: every team's scorecard until a lead
# changes it. Migration 0011 holds its own copy, as migrations must.
DEFAULT_SPEC = ScorecardSpec(
    version=1,
    criteria=(
        CriterionSpec(
            key="quality",
            name="Quality",
            description="accuracy and completeness",
            scale=Scale.THREE_POINT,
            levels=default_levels(
                Scale.THREE_POINT,
                [
                    "Inaccurate or incomplete: the wrong functionality, a symptom treated instead of the root "
                    "problem, or the customer left without an answer or workaround.",
                    "Accurate and complete: the right functionality conveyed clearly, and the customer's problem "
                    "solved.",
                    "Accurate, complete and thorough: the root problem found, the best answer or workaround given, "
                    "and the next question anticipated.",
                ],
            ),
        ),
        CriterionSpec(
            key="tone",
            name="Tone",
            description="empathy and professionalism",
            scale=Scale.THREE_POINT,
            levels=default_levels(
                Scale.THREE_POINT,
                [
                    "Distant or robotic: canned phrases, no acknowledgement of the customer's situation, or "
                    "unprofessional.",
                    "Friendly and professional; the customer's perspective acknowledged.",
                    "A real connection: empathy for the customer's perspective, warm and professional throughout, "
                    "de-escalates where needed.",
                ],
            ),
        ),
        CriterionSpec(
            key="process",
            name="Followed internal processes",
            description="Verified the customer's identity before account changes; tagged the conversation; "
            "added an internal note for anything escalated; followed the refund and escalation policies.",
            scale=Scale.YES_NO,
            levels=default_levels(Scale.YES_NO),
            root_causes=(
                "Verified the customer's identity before account changes",
                "Tagged the conversation",
                "Added an internal note for anything escalated",
                "Followed the refund and escalation policies",
            ),
        ),
    ),
)


def criterion_spec(criterion: Criterion) -> CriterionSpec:
    """From a criterion with its levels and root causes prefetched."""
    return CriterionSpec(
        key=criterion.key,
        name=criterion.name,
        description=criterion.description,
        scale=criterion.scale,
        levels=tuple(LevelSpec(level.value, level.label, level.definition) for level in criterion.levels.all()),
        root_causes=tuple(cause.label for cause in criterion.root_causes.all()),
        allow_na=criterion.allow_na,
        weight=criterion.weight,
        critical=criterion.critical,
        low_levels=criterion.low_levels,
        note_required_when_low=criterion.note_required_when_low,
    )


def scorecard_spec(scorecard: Scorecard | None) -> ScorecardSpec:
    """A saved version, its criteria prefetched (SCORECARD_PREFETCH), or the default."""
    if scorecard is None:
        return DEFAULT_SPEC
    return ScorecardSpec(
        version=scorecard.version,
        criteria=tuple(criterion_spec(criterion) for criterion in scorecard.criteria.all()),
        pk=scorecard.pk,
    )


def with_criterion(spec: ScorecardSpec, criterion: CriterionSpec) -> tuple[CriterionSpec, ...]:
    """The criteria with this one changed in its place, or added at the end."""
    if spec.criterion(criterion.key) is None:
        return (*spec.criteria, criterion)
    return tuple(criterion if old.key == criterion.key else old for old in spec.criteria)


def review_score(ratings: Iterable[tuple[CriterionSpec, int | None]]) -> float | None:
    """The quality score of one review, 0-100% (docs/quality-score.md): each rating placed on
    its scale, N/A left out, the weighted mean of the rest; a critical criterion rated at its
    lowest level makes the whole review 0%. None when every criterion was N/A."""
    weighted = total_weight = 0.0
    for criterion, level in ratings:
        if level is None:
            continue
        if criterion.critical and level == 1:
            return 0.0
        weighted += criterion.weight * level_score(level, criterion.size)
        total_weight += criterion.weight
    return weighted / total_weight if total_weight else None
