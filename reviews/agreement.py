"""How far reviewers agree: Krippendorff's alpha and reviewer leniency; plain values, no database.

A *unit* is one conversation and the levels its reviewers gave one criterion (None for
N/A, which is left out). Alpha comes from the `krippendorff` package: ordinal for scales,
nominal for yes/no. Its 95% interval is a bootstrap over conversations: each resample
draws as many conversations as there are, with replacement, and takes its alpha. Alpha
depends only on the coincidence matrix, which is a sum over conversations, so a resample is
the distinct kinds of conversation (two reviewers said Good and Exceptional, ...) counted
again; the thousand resamples are one matrix product, and a test holds the formula to the
package's own alpha.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np

# Krippendorff's threshold for drawing tentative conclusions; below it a team should calibrate.
CALIBRATE_BELOW = 0.667
RESAMPLES = 1000
# A leniency this close to 0 (points of the 0-100% scale) reads as in line with the others.
IN_LINE_POINTS = 5.0
Unit = Sequence[int | None]


@dataclass(frozen=True)
class Agreement:
    alpha: float | None  # None: fewer than two conversations rated by two reviewers, or no variation
    low: float | None  # the bootstrap 95% interval
    high: float | None
    conversations: int  # with at least two reviewers' levels

    @property
    def calibrate(self) -> bool:
        return self.alpha is not None and self.alpha < CALIBRATE_BELOW


def value_counts(units: Iterable[Unit], size: int) -> np.ndarray:
    """One row per conversation: how many reviewers gave each level (None left out)."""
    rows, levels = [], []
    count = 0
    for count, unit in enumerate(units, start=1):
        for level in unit:
            if level is not None:
                rows.append(count - 1)
                levels.append(level - 1)
    counts = np.zeros((count, size), dtype=np.float64)
    np.add.at(counts, (np.asarray(rows, dtype=np.intp), np.asarray(levels, dtype=np.intp)), 1)
    return counts


def _pairable(counts: np.ndarray) -> np.ndarray:
    """The conversations with two levels or more: those alpha rests on."""
    return counts[counts.sum(axis=1) >= 2]


def rated_twice(counts: np.ndarray) -> int:
    """How many conversations (rows of `value_counts`) have two levels or more."""
    return int((counts.sum(axis=1) >= 2).sum())


def alpha(units: Iterable[Unit], *, size: int, nominal: bool) -> float | None:
    """Krippendorff's alpha of levels 1..size; None where it is undefined."""
    return alpha_of(value_counts(units, size), nominal=nominal)


def alpha_of(counts: np.ndarray, *, nominal: bool) -> float | None:
    """`alpha` from the conversations' `value_counts`."""
    counts = _pairable(counts)
    if len(counts) < 2:
        return None
    value = _package_alpha(counts, nominal=nominal)
    return None if math.isnan(value) else value


def _package_alpha(counts: np.ndarray, *, nominal: bool) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(
            krippendorff.alpha(
                value_counts=counts,
                value_domain=np.arange(1, counts.shape[1] + 1),
                level_of_measurement="nominal" if nominal else "ordinal",
            )
        )


def _alphas(kind_counts: np.ndarray, kinds: np.ndarray, *, nominal: bool) -> np.ndarray:
    """Alpha for each row of `kind_counts` (how many conversations of each kind), by the
    package's formula: 1 - sum(o * d) / sum(e * d), with o the observed coincidences, e
    those expected by chance and d the distances between levels."""
    pairable = kinds.sum(axis=1)
    size = kinds.shape[1]
    per_kind = (kinds[:, :, None] * kinds[:, None, :] - kinds[:, :, None] * np.eye(size)) / (pairable - 1)[
        :, None, None
    ]
    observed = np.einsum("rk,kij->rij", kind_counts, per_kind)
    n_v = observed.sum(axis=2)
    n = n_v.sum(axis=1)
    expected = (n_v[:, :, None] * n_v[:, None, :] - n_v[:, :, None] * np.eye(size)) / (n - 1)[:, None, None]
    if nominal:
        distance = np.broadcast_to(1 - np.eye(size), observed.shape)
    else:
        # Ordinal: (the levels' counts from c to k, less half of c's and k's) squared.
        cumulative = np.cumsum(n_v, axis=1)
        distance = np.zeros_like(observed)
        for c in range(size):
            for k in range(c + 1, size):
                between = cumulative[:, k] - (cumulative[:, c - 1] if c else 0)
                distance[:, c, k] = distance[:, k, c] = (between - (n_v[:, c] + n_v[:, k]) / 2) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 - (observed * distance).sum(axis=(1, 2)) / (expected * distance).sum(axis=(1, 2))


def agreement(units: Iterable[Unit], *, size: int, nominal: bool, seed: int = 0) -> Agreement:
    """Alpha, its bootstrap 95% interval and how many conversations it rests on."""
    return agreement_of(value_counts(units, size), nominal=nominal, seed=seed)


def agreement_of(counts: np.ndarray, *, nominal: bool, seed: int = 0) -> Agreement:
    """`agreement` from the conversations' `value_counts`."""
    counts = _pairable(counts)
    value = alpha_of(counts, nominal=nominal)
    if value is None:
        return Agreement(None, None, None, len(counts))
    kinds, per_kind = np.unique(counts, axis=0, return_counts=True)
    resamples = np.random.default_rng(seed).multinomial(len(counts), per_kind / len(counts), size=RESAMPLES)
    alphas = _alphas(resamples.astype(np.float64), kinds, nominal=nominal)
    alphas = alphas[np.isfinite(alphas)]
    low, high = (float(bound) for bound in np.percentile(alphas, [2.5, 97.5])) if len(alphas) else (None, None)
    return Agreement(value, low, high, len(counts))


@dataclass(frozen=True)
class Leniency:
    """How a reviewer rates beside the other reviewer of the same conversations: the mean of
    (their rating - the other's), in points of the 0-100% scale; above 0 is more lenient."""

    reviewer_id: int
    conversations: int
    ratings: int
    mean_difference: float

    @property
    def points(self) -> str:
        return f"{self.mean_difference:+.1f}"

    @property
    def reading(self) -> str:
        if abs(self.mean_difference) < IN_LINE_POINTS:
            return "in line with the other reviewers"
        return (
            "more lenient than the other reviewers" if self.mean_difference > 0 else "stricter than the other reviewers"
        )


def leniency(pairs: Iterable[tuple[int, int, int, float, float]]) -> list[Leniency]:
    """From (conversation, reviewer, other reviewer, their score, the other's score), one per
    criterion both rated, each reviewer's leniency, most lenient first."""
    differences: dict[int, list[float]] = defaultdict(list)
    conversations: dict[int, set[int]] = defaultdict(set)
    for conversation, reviewer, other, mine, theirs in pairs:
        for who, difference in ((reviewer, mine - theirs), (other, theirs - mine)):
            differences[who].append(difference)
            conversations[who].add(conversation)
    rows = [
        Leniency(who, len(conversations[who]), len(values), sum(values) / len(values))
        for who, values in differences.items()
    ]
    return sorted(rows, key=lambda row: (-row.mean_difference, row.reviewer_id))
