"""Who reviews which conversation this week: pure functions, no database.

The rules, in order of importance:
1. never a reviewer's own conversation, never one conversation twice;
2. reviews received are spread over reviewees as evenly as supply allows
   (max minus min at most 1, unless a reviewee ran out of conversations), in proportion
   to their weight where a new hire on the onboarding ramp weighs more;
3. reviewers get their quota as evenly as supply allows;
4. last week's reviewer -> reviewee pairs are avoided where there is a choice;
5. the team's sample mix: a share of lowest-CSAT, highest-CSAT, spotlight (conversations its
   signals flag: a complaint, an escalation...) and other conversations.

Then `second_opinions` sends a share of the conversations to a second reviewer without
changing anyone's count, reviewer or reviewee.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict, deque
from collections.abc import Set
from dataclasses import dataclass
from typing import NamedTuple, cast

LOW, HIGH, SPOTLIGHT, OTHER = "low", "high", "spotlight", "other"
# (reviewer id, reviewee id)
Pairs = Set[tuple[int, int]]
# reviewee id -> how many times the usual reviews they receive (missing: 1)
Weights = dict[int, float]


# A tuple, not a dataclass: a week's run makes one per eligible conversation, hundreds of
# thousands, and a tuple is made from a database row at a third of the cost.
class Candidate(NamedTuple):
    conversation_id: int
    reviewee_id: int
    csat_rating: int | None = None
    spotlight: str = ""  # the first of the team's signals it shows (reviews/spotlight.py)

    @property
    def category(self) -> str:
        if self.csat_rating is not None and self.csat_rating <= 2:
            return LOW
        if self.csat_rating is not None and self.csat_rating >= 5:
            return HIGH
        return SPOTLIGHT if self.spotlight else OTHER

    @property
    def reason(self) -> str:
        """Why a batch holds it, as `PickReason` says: its category, or its signal."""
        return {LOW: "lowest_csat", HIGH: "highest_csat", OTHER: "random"}.get(self.category, self.spotlight)


@dataclass(frozen=True)
class Mix:
    lowest_percent: int = 20
    highest_percent: int = 20
    spotlight_percent: int = 0

    def shares(self) -> dict[str, float]:
        low, high, spot = self.lowest_percent / 100, self.highest_percent / 100, self.spotlight_percent / 100
        return {LOW: low, HIGH: high, SPOTLIGHT: spot, OTHER: max(1.0 - low - high - spot, 0.0)}


def reviewee_targets(
    *,
    needs: dict[int, int],
    pools: dict[int, list[Candidate]],
    rng: random.Random,
    weights: Weights | None = None,
) -> dict[int, int]:
    """How many reviews each reviewee receives: water-filling, one at a time, in proportion
    to their weight (1, or more for a new hire on the onboarding ramp).

    The next review goes to the open reviewee whose count after it, over their weight, is
    lowest (a random tiebreak): with every weight 1, nobody gets a second review before all
    open reviewees have one, and so on.
    """
    weight = weights or {}
    total_need = sum(needs.values())
    # A reviewee's conversations can only go to the other reviewers.
    caps = {reviewee: min(len(pool), total_need - needs.get(reviewee, 0)) for reviewee, pool in pools.items()}
    targets = dict.fromkeys(pools, 0)
    remaining = min(total_need, sum(caps.values()))
    heap = [(1 / weight.get(reviewee, 1.0), rng.random(), reviewee) for reviewee in pools if caps[reviewee] > 0]
    heapq.heapify(heap)
    # `remaining` never exceeds what the open reviewees (those in the heap) can still take.
    while remaining > 0:
        _, _, reviewee = heapq.heappop(heap)
        targets[reviewee] += 1
        remaining -= 1
        if targets[reviewee] < caps[reviewee]:
            next_level = (targets[reviewee] + 1) / weight.get(reviewee, 1.0)
            heapq.heappush(heap, (next_level, rng.random(), reviewee))
    return targets


def _pick_by_mix(
    *, pools: dict[int, list[Candidate]], targets: dict[int, int], mix: Mix, rng: random.Random
) -> dict[int, list[Candidate]]:
    """Choose each reviewee's conversations so the whole team's sample follows the mix."""
    by_category: dict[int, dict[str, deque[Candidate]]] = {}
    for reviewee, pool in pools.items():
        shuffled = list(pool)
        rng.shuffle(shuffled)
        buckets: dict[str, list[Candidate]] = {LOW: [], HIGH: [], SPOTLIGHT: [], OTHER: []}
        for candidate in shuffled:
            buckets[candidate.category].append(candidate)
            if candidate.category == SPOTLIGHT:
                # A random pick may be a flagged one too: the spotlight share is a floor.
                buckets[OTHER].append(candidate)
        # The extremes first: the lowest ratings at the front of LOW, the highest of HIGH.
        buckets[LOW].sort(key=lambda c: cast(int, c.csat_rating))  # LOW holds rated ones only
        by_category[reviewee] = {category: deque(bucket) for category, bucket in buckets.items()}
    shares = mix.shares()
    # A team without the spotlight draws exactly as before it existed.
    categories = (LOW, HIGH, SPOTLIGHT, OTHER) if shares[SPOTLIGHT] > 0 else (LOW, HIGH, OTHER)
    taken: set[int] = set()
    chosen_counts: Counter = Counter()
    picks: dict[int, list[Candidate]] = defaultdict(list)
    # Round-robin across reviewees so no one reviewee soaks up all the low ratings.
    reviewees = list(targets)
    rng.shuffle(reviewees)
    order: list[int] = []
    round_ = 0
    while reviewees:
        reviewees = [reviewee for reviewee in reviewees if targets[reviewee] > round_]
        order.extend(reviewees)
        round_ += 1
    for step, reviewee in enumerate(order, start=1):
        left = by_category[reviewee]
        deficits = sorted(
            (chosen_counts[category] - shares[category] * step, rng.random(), category) for category in categories
        )
        for _, _, category in deficits:
            bucket = left[category]
            while bucket and bucket[0].conversation_id in taken:
                bucket.popleft()  # drawn from the other bucket it is in
            if bucket:
                candidate = bucket.popleft()
                taken.add(candidate.conversation_id)
                picks[reviewee].append(candidate)
                chosen_counts[category] += 1
                break
    return picks


def allocate(
    *,
    needs: dict[int, int],
    candidates: list[Candidate],
    previous_pairs: Pairs = frozenset(),
    mix: Mix = Mix(),
    rng: random.Random,
    weights: Weights | None = None,
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
    targets = reviewee_targets(needs=needs, pools=pools, rng=rng, weights=weights)
    picks = _pick_by_mix(pools=pools, targets=targets, mix=mix, rng=rng)

    need_left = dict(needs)
    assigned: dict[int, list[Candidate]] = {reviewer: [] for reviewer in needs}
    # reviewee -> reviewer -> how many of the reviewee's conversations the reviewer holds.
    from_reviewee: dict[int, Counter] = defaultdict(Counter)
    # Most constrained first: the biggest reviewee's conversations have the fewest homes.
    queue = sorted(
        (candidate for reviewee_picks in picks.values() for candidate in reviewee_picks),
        key=lambda c: (-targets[c.reviewee_id], c.reviewee_id, rng.random()),
    )
    tiebreak = {reviewer: rng.random() for reviewer in needs}
    chooser = _ReviewerChooser(need_left, tiebreak, previous_pairs)
    for candidate in queue:
        reviewee = candidate.reviewee_id
        reviewer = chooser.best_for(reviewee, from_reviewee[reviewee])
        if reviewer is not None:
            assigned[reviewer].append(candidate)
            chooser.took_one(reviewer)
            from_reviewee[reviewee][reviewer] += 1
        elif need_left.get(reviewee, 0) > 0:
            _swap_in(candidate, reviewee, assigned, need_left)
            chooser.took_one(reviewee, already_counted=True)
    _even_out(assigned, need_left, previous_pairs)
    _avoid_repeats(assigned, previous_pairs)
    return assigned


class _ReviewerChooser:
    """Picks the reviewer for a reviewee's conversation without looking at the whole team.

    The rule: among reviewers with work left other than the reviewee, the least of
    (reviewed them last week, -work left, how many of theirs they already hold, tiebreak),
    the first in ``need_left`` order on a tie. Only a few reviewers differ from the plain
    (False, -work left, 0, tiebreak) for a given reviewee: last week's reviewers of them
    and those already holding some of theirs. The best of everyone else is the top of a
    heap ordered by (-work left, tiebreak, order), so a choice costs those few, not the team.
    """

    def __init__(self, need_left: dict[int, int], tiebreak: dict[int, float], previous_pairs: Pairs) -> None:
        self.need_left = need_left
        self.tiebreak = tiebreak
        self.previous_pairs = previous_pairs
        self.position = {reviewer: index for index, reviewer in enumerate(need_left)}
        self.last_week: dict[int, set[int]] = defaultdict(set)
        for reviewer, reviewee in previous_pairs:
            if reviewer in need_left:
                self.last_week[reviewee].add(reviewer)
        # Entries go stale when a reviewer's work left changes; they are dropped when met.
        self.heap = [self._entry(reviewer) for reviewer, left in need_left.items() if left > 0]
        heapq.heapify(self.heap)

    def _entry(self, reviewer: int) -> tuple[int, float, int, int]:
        return (-self.need_left[reviewer], self.tiebreak[reviewer], self.position[reviewer], reviewer)

    def took_one(self, reviewer: int, *, already_counted: bool = False) -> None:
        if not already_counted:
            self.need_left[reviewer] -= 1
        if self.need_left[reviewer] > 0:
            heapq.heappush(self.heap, self._entry(reviewer))

    def best_for(self, reviewee: int, held: Counter) -> int | None:
        special = self.last_week.get(reviewee, set()) | held.keys() | {reviewee}
        best_key, best = None, None
        set_aside = []
        while self.heap:
            negative_left, tiebreak, position, reviewer = self.heap[0]
            if self.need_left[reviewer] != -negative_left:
                heapq.heappop(self.heap)  # stale
            elif reviewer in special:
                set_aside.append(heapq.heappop(self.heap))
            else:
                best_key, best = (False, negative_left, 0, tiebreak, position), reviewer
                break
        for entry in set_aside:
            heapq.heappush(self.heap, entry)
        for reviewer in special:
            # Everyone in `special` but the reviewee is a reviewer: last week's are filtered
            # in __init__, and only reviewers ever hold conversations.
            if reviewer == reviewee or self.need_left[reviewer] <= 0:
                continue
            key = (
                (reviewer, reviewee) in self.previous_pairs,
                -self.need_left[reviewer],
                held[reviewer],
                self.tiebreak[reviewer],
                self.position[reviewer],
            )
            if best_key is None or key < best_key:
                best_key, best = key, reviewer
        return best


def _avoid_repeats(assigned: dict[int, list[Candidate]], previous_pairs: Pairs) -> None:
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


def _even_out(assigned: dict[int, list[Candidate]], need_left: dict[int, int], previous_pairs: Pairs) -> None:
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
) -> None:
    """Only the reviewee still needs work: trade their own conversation for someone else's.

    Another reviewer takes this conversation and hands the reviewee one of theirs that
    is not the reviewee's own, so nobody's count changes but the reviewee's need is met.
    Who holds whose conversations is not updated: from here on only the reviewee has work
    left, so it never decides a choice again.
    """
    for other, held in assigned.items():
        if other == reviewee:
            continue
        for index, swapped in enumerate(held):
            if swapped.reviewee_id != reviewee:
                held[index] = candidate
                assigned[reviewee].append(swapped)
                need_left[reviewee] -= 1
                return


def second_opinions(
    *, assigned: dict[int, list[Candidate]], percent: int, rng: random.Random
) -> dict[int, list[Candidate]]:
    """Give `percent` of the week's conversations a second reviewer; returns reviewer id ->
    the conversations they give a second opinion on, and takes from `assigned` the ones
    they give back for it.

    Each second opinion is a swap inside one reviewee's conversations: of two reviewers
    holding one each, the second gives theirs back to the pool and reviews the other's
    too. So every reviewer keeps their count, every reviewee receives as many reviews as
    before (fairness and last week's pairs untouched), and the second reviewer is never
    the first one nor the reviewee. Second opinions are spread over reviewees a round at
    a time and over reviewers by how many they already give; the conversation given back
    is an ordinary one where there is a choice, so the CSAT extremes stay in the sample.
    """
    total = sum(len(batch) for batch in assigned.values())
    wanted = round(total * percent / (100 + percent))
    held: dict[int, list[tuple[int, Candidate]]] = defaultdict(list)
    for reviewer, batch in assigned.items():
        for candidate in batch:
            held[candidate.reviewee_id].append((reviewer, candidate))
    given: Counter = Counter()
    seconds: dict[int, list[Candidate]] = defaultdict(list)
    given_back: set[tuple[int, int]] = set()
    reviewees = list(held)
    rng.shuffle(reviewees)
    while wanted > 0 and reviewees:
        # A reviewee stays in the next round while two reviewers still hold one each.
        reviewees = [reviewee for reviewee in reviewees if len({reviewer for reviewer, _ in held[reviewee]}) >= 2]
        for reviewee in reviewees[:wanted]:
            holders = held[reviewee]
            second = min({reviewer for reviewer, _ in holders}, key=lambda reviewer: (given[reviewer], rng.random()))
            back = min(
                (candidate for reviewer, candidate in holders if reviewer == second),
                key=lambda candidate: (candidate.category != OTHER, rng.random()),
            )
            first, doubled = rng.choice([entry for entry in holders if entry[0] != second])
            seconds[second].append(doubled)
            given[second] += 1
            given_back.add((second, back.conversation_id))
            # Neither is offered again: one second opinion a conversation.
            held[reviewee] = [entry for entry in holders if entry[1] not in (back, doubled)]
            wanted -= 1
    for reviewer, batch in assigned.items():
        batch[:] = [candidate for candidate in batch if (reviewer, candidate.conversation_id) not in given_back]
    return dict(seconds)
