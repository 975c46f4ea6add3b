"""Who reviews which conversation this week: pure functions, no database.

The rules, in order of importance:
1. never a reviewer's own conversation, never one conversation twice;
2. reviews received are spread over reviewees as evenly as supply allows
   (max minus min at most 1, unless a reviewee ran out of conversations);
3. reviewers get their quota as evenly as supply allows;
4. last week's reviewer -> reviewee pairs are avoided where there is a choice;
5. the team's sample mix: a share of lowest-CSAT, highest-CSAT and other conversations.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass

LOW, HIGH, OTHER = "low", "high", "other"


@dataclass(frozen=True)
class Candidate:
    conversation_id: int
    reviewee_id: int
    csat_rating: int | None = None

    @property
    def category(self) -> str:
        if self.csat_rating is None:
            return OTHER
        if self.csat_rating <= 2:
            return LOW
        if self.csat_rating >= 5:
            return HIGH
        return OTHER


@dataclass(frozen=True)
class Mix:
    lowest_percent: int = 20
    highest_percent: int = 20

    def shares(self) -> dict[str, float]:
        low, high = self.lowest_percent / 100, self.highest_percent / 100
        return {LOW: low, HIGH: high, OTHER: max(1.0 - low - high, 0.0)}


def reviewee_targets(*, needs: dict[int, int], pools: dict[int, list[Candidate]], rng: random.Random) -> dict[int, int]:
    """How many reviews each reviewee receives: water-filling, one at a time, evenly."""
    total_need = sum(needs.values())
    # A reviewee's conversations can only go to the other reviewers.
    caps = {reviewee: min(len(pool), total_need - needs.get(reviewee, 0)) for reviewee, pool in pools.items()}
    targets = dict.fromkeys(pools, 0)
    remaining = min(total_need, sum(caps.values()))
    while remaining > 0:
        open_reviewees = [reviewee for reviewee in targets if targets[reviewee] < caps[reviewee]]
        if not open_reviewees:
            break
        rng.shuffle(open_reviewees)
        for reviewee in open_reviewees[:remaining]:
            targets[reviewee] += 1
        remaining -= min(remaining, len(open_reviewees))
    return targets


def _pick_by_mix(
    *, pools: dict[int, list[Candidate]], targets: dict[int, int], mix: Mix, rng: random.Random
) -> dict[int, list[Candidate]]:
    """Choose each reviewee's conversations so the whole team's sample follows the mix."""
    by_category: dict[int, dict[str, list[Candidate]]] = {}
    for reviewee, pool in pools.items():
        shuffled = list(pool)
        rng.shuffle(shuffled)
        buckets: dict[str, list[Candidate]] = {LOW: [], HIGH: [], OTHER: []}
        for candidate in shuffled:
            buckets[candidate.category].append(candidate)
        # The extremes first: the lowest ratings at the front of LOW, the highest of HIGH.
        buckets[LOW].sort(key=lambda c: c.csat_rating)
        by_category[reviewee] = buckets
    shares = mix.shares()
    chosen_counts: Counter = Counter()
    picks: dict[int, list[Candidate]] = defaultdict(list)
    # Round-robin across reviewees so no one reviewee soaks up all the low ratings.
    reviewees = list(targets)
    rng.shuffle(reviewees)
    order = [
        reviewee
        for round_ in range(max(targets.values(), default=0))
        for reviewee in reviewees
        if targets[reviewee] > round_
    ]
    for step, reviewee in enumerate(order, start=1):
        buckets = by_category[reviewee]
        deficits = sorted(
            (chosen_counts[category] - shares[category] * step, rng.random(), category)
            for category in (LOW, HIGH, OTHER)
        )
        for _, _, category in deficits:
            if buckets[category]:
                picks[reviewee].append(buckets[category].pop(0))
                chosen_counts[category] += 1
                break
    return picks


def allocate(
    *,
    needs: dict[int, int],
    candidates: list[Candidate],
    previous_pairs: set[tuple[int, int]] = frozenset(),
    mix: Mix = Mix(),
    rng: random.Random,
) -> dict[int, list[Candidate]]:
    """Assign conversations to reviewers; returns reviewer id -> their conversations.

    A reviewer may get fewer than they need when supply is short; the caller records it.
    """
    pools: dict[int, list[Candidate]] = defaultdict(list)
    seen: set[int] = set()
    for candidate in candidates:
        if candidate.conversation_id not in seen:
            seen.add(candidate.conversation_id)
            pools[candidate.reviewee_id].append(candidate)
    targets = reviewee_targets(needs=needs, pools=pools, rng=rng)
    picks = _pick_by_mix(pools=pools, targets=targets, mix=mix, rng=rng)

    need_left = dict(needs)
    assigned: dict[int, list[Candidate]] = {reviewer: [] for reviewer in needs}
    from_reviewee: Counter = Counter()
    # Most constrained first: the biggest reviewee's conversations have the fewest homes.
    queue = sorted(
        (candidate for reviewee_picks in picks.values() for candidate in reviewee_picks),
        key=lambda c: (-targets[c.reviewee_id], c.reviewee_id, rng.random()),
    )
    tiebreak = {reviewer: rng.random() for reviewer in needs}
    for candidate in queue:
        reviewee = candidate.reviewee_id
        options = [reviewer for reviewer, left in need_left.items() if left > 0 and reviewer != reviewee]
        if options:
            reviewer = min(
                options,
                key=lambda r: (
                    (r, reviewee) in previous_pairs,
                    -need_left[r],
                    from_reviewee[(r, reviewee)],
                    tiebreak[r],
                ),
            )
            assigned[reviewer].append(candidate)
            need_left[reviewer] -= 1
            from_reviewee[(reviewer, reviewee)] += 1
        elif need_left.get(reviewee, 0) > 0:
            _swap_in(candidate, reviewee, assigned, need_left, from_reviewee)
    _even_out(assigned, need_left, previous_pairs)
    _avoid_repeats(assigned, previous_pairs)
    return assigned


def _avoid_repeats(assigned: dict[int, list[Candidate]], previous_pairs: set[tuple[int, int]]) -> None:
    """Swap conversations between two reviewers when that breaks up one of last week's pairs.

    A swap keeps every reviewer's and reviewee's count, so fairness is untouched.
    """
    if not previous_pairs:
        return

    def repeat(reviewer: int, candidate: Candidate) -> bool:
        return (reviewer, candidate.reviewee_id) in previous_pairs

    for reviewer, batch in assigned.items():
        for index, candidate in enumerate(batch):
            if not repeat(reviewer, candidate):
                continue
            for other, other_batch in assigned.items():
                swap_index = next(
                    (
                        i
                        for i, theirs in enumerate(other_batch)
                        if other != reviewer
                        and theirs.reviewee_id != reviewer
                        and candidate.reviewee_id != other
                        and not repeat(reviewer, theirs)
                        and not repeat(other, candidate)
                    ),
                    None,
                )
                if swap_index is not None:
                    batch[index], other_batch[swap_index] = other_batch[swap_index], candidate
                    break


def _even_out(
    assigned: dict[int, list[Candidate]], need_left: dict[int, int], previous_pairs: set[tuple[int, int]]
) -> None:
    """When supply is short, move work from the fullest batches to the emptiest ones."""
    while True:
        poorest = min(
            (reviewer for reviewer in assigned if need_left[reviewer] > 0),
            key=lambda reviewer: len(assigned[reviewer]),
            default=None,
        )
        if poorest is None:
            return
        richest = max(assigned, key=lambda reviewer: len(assigned[reviewer]))
        if len(assigned[richest]) - len(assigned[poorest]) < 2:
            return
        movable = [c for c in assigned[richest] if c.reviewee_id != poorest]
        if not movable:
            return
        moved = min(movable, key=lambda c: (poorest, c.reviewee_id) in previous_pairs)
        assigned[richest].remove(moved)
        assigned[poorest].append(moved)
        need_left[richest] += 1
        need_left[poorest] -= 1


def _swap_in(
    candidate: Candidate,
    reviewee: int,
    assigned: dict[int, list[Candidate]],
    need_left: dict[int, int],
    from_reviewee: Counter,
) -> None:
    """Only the reviewee still needs work: trade their own conversation for someone else's.

    Another reviewer takes this conversation and hands the reviewee one of theirs that
    is not the reviewee's own, so nobody's count changes but the reviewee's need is met.
    """
    for other, held in assigned.items():
        if other == reviewee:
            continue
        for index, swapped in enumerate(held):
            if swapped.reviewee_id != reviewee:
                held[index] = candidate
                assigned[reviewee].append(swapped)
                need_left[reviewee] -= 1
                from_reviewee[(other, swapped.reviewee_id)] -= 1
                from_reviewee[(other, reviewee)] += 1
                from_reviewee[(reviewee, swapped.reviewee_id)] += 1
                return
