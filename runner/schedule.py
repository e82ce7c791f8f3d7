"""What to practise next: every attempt is an FSRS review, rated from its result; the queue follows the cards.

Cards are recomputed from the history each time (never stored): the history is already the record, so a rating
rule or scheduler setting that changes applies to the whole past at once, nothing can drift out of step with it
(a submission marked interrupted later, a restored database), and replaying a few hundred reviews takes
milliseconds. The FSRS library (`fsrs`) is imported only when cards are built, never by `practice list`.

Ratings (an attempt's submissions in order; hints and the solution count only when taken before solving):
  Again  not solved: its best graded score is under 100, or only the solution was viewed
  Hard   solved, but over the time limit (in a mock: only after its deadline), with hints, or after the solution
  Good   solved
  Easy   solved at the first graded submission, within half the limit, with no hints (not in a mock, whose
         clock is shared by its tasks)
A submission made without an attempt (`practice submit ID --file F` before `start`) is a review on its own:
Good when it scores 100, else Again. Attempts with no graded submission and no solution view are not reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
RATING_NAMES = {AGAIN: "again", HARD: "hard", GOOD: "good", EASY: "easy"}
REVIEWED_STATES = ("graded", "error")  # not pending, cancelled or interrupted: those never graded anything
# Learning steps of minutes suit flash cards, not 15-minute exercises: with none, a card goes straight to the
# review state and its first interval is whole days. No fuzz, so the same history always gives the same queue.
SCHEDULER = {"learning_steps": (), "relearning_steps": (), "enable_fuzzing": False, "maximum_interval": 365}


@dataclass(frozen=True)
class Review:
    exercise: str
    at: float  # epoch seconds
    rating: int  # AGAIN .. EASY
    why: str  # how the rating was earned, for people


@dataclass(frozen=True)
class CardState:
    """One exercise's FSRS card after replaying its reviews."""

    exercise: str
    reviews: int
    last_review: float
    last_rating: int
    last_why: str
    due: float
    stability: float
    difficulty: float
    retrievability: float  # at `now`: the modelled chance of solving it today

    def is_due(self, now: float) -> bool:
        return self.due <= now


@dataclass(frozen=True)
class Pick:
    """An exercise to practise and why: "due", "weakest-topic", "new" or "ahead" (nothing due, none new)."""

    exercise: str
    reason: str
    why: str
    card: CardState | None = None

    @property
    def command(self) -> str:
        return f"practice start {self.exercise}"

    def to_dict(self, title: str = "", topic: str = "") -> dict:
        card = self.card
        return {"exercise": self.exercise, "title": title, "topic": topic, "reason": self.reason, "why": self.why,
                "command": self.command, "due_at": card.due if card else None,
                "last_review": card.last_review if card else None,
                "last_rating": RATING_NAMES[card.last_rating] if card else None,
                "reviews": card.reviews if card else 0}


@dataclass(frozen=True)
class Plan:
    """The learner's queue and cards at `now`."""

    picks: list[Pick]
    cards: dict[str, CardState]
    now: float

    @property
    def next(self) -> Pick | None:
        return self.picks[0] if self.picks else None

    @property
    def due(self) -> list[CardState]:
        return [c for c in self.by_due if c.is_due(self.now)]

    @property
    def by_due(self) -> list[CardState]:
        return sorted(self.cards.values(), key=lambda c: (c.due, c.exercise))

    def card_dict(self, card: CardState) -> dict:
        return {"exercise": card.exercise, "due_at": card.due, "is_due": card.is_due(self.now),
                "when": due_in(card, self.now), "reviews": card.reviews, "last_review": card.last_review,
                "last_rating": RATING_NAMES[card.last_rating], "last_why": card.last_why,
                "stability_days": round(card.stability, 3), "difficulty": round(card.difficulty, 3),
                "retrievability": round(card.retrievability, 3)}


def plan(exercises, attempts, submissions, now: float) -> Plan:
    """Rate the history, replay it through FSRS and order the bank's exercises."""
    cards = build_cards(reviews_from_history(attempts, submissions), now)
    return Plan(queue(exercises, cards, now), cards, now)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def rate_attempt(attempt, submissions) -> Review | None:
    """The review an attempt amounts to, or None when nothing in it was graded or viewed."""
    graded = [s for s in submissions if s.state in REVIEWED_STATES]
    solved = next((s for s in graded if (s.score or 0) >= 100), None)
    mock = attempt.session_id is not None
    if solved is None:
        if graded:
            best = max((s.score or 0) for s in graded)
            last = max(s.submitted_at for s in graded)
            at = max(last, attempt.solution_viewed_at or last)
            return Review(attempt.exercise, at, AGAIN, f"not solved (best {best:g})")
        if attempt.solution_viewed_at is not None:
            return Review(attempt.exercise, attempt.solution_viewed_at, AGAIN, "viewed the solution without solving")
        return None
    at = solved.submitted_at
    hints = attempt.hints_used if attempt.hints_used and (attempt.first_hint_at is None
                                                          or attempt.first_hint_at <= at) else 0
    viewed = attempt.solution_viewed_at is not None and attempt.solution_viewed_at <= at
    used = solved.elapsed_s if solved.elapsed_s is not None else at - attempt.started_at
    late = not solved.counted if mock else used > attempt.time_limit_s
    if viewed:
        return Review(attempt.exercise, at, HARD, "solved after viewing the solution")
    if late:
        return Review(attempt.exercise, at, HARD, "solved after the mock's deadline" if mock else
                      f"solved over the time limit ({_clock(used)} of {_clock(attempt.time_limit_s)})")
    if hints:
        return Review(attempt.exercise, at, HARD, f"solved with {hints} hint{'s' if hints > 1 else ''}")
    if not mock and solved is graded[0] and used <= attempt.time_limit_s / 2:
        return Review(attempt.exercise, at, EASY, f"solved fast ({_clock(used)} of {_clock(attempt.time_limit_s)}, "
                                                  "first try, no hints)")
    return Review(attempt.exercise, at, GOOD, "solved in a mock" if mock else
                  f"solved ({_clock(used)} of {_clock(attempt.time_limit_s)})")


def reviews_from_history(attempts, submissions) -> list[Review]:
    """Every review in the history, oldest first (ties keep the history's order)."""
    by_attempt: dict[int, list] = {}
    reviews = []
    for s in submissions:
        if s.attempt_id is not None:
            by_attempt.setdefault(s.attempt_id, []).append(s)
        elif s.state in REVIEWED_STATES:
            solved = (s.score or 0) >= 100
            reviews.append(Review(s.exercise, s.submitted_at, GOOD if solved else AGAIN,
                                  "solved (no attempt started)" if solved else f"not solved (score {s.score or 0:g})"))
    for attempt in attempts:
        review = rate_attempt(attempt, sorted(by_attempt.get(attempt.id, []), key=lambda s: s.id))
        if review is not None:
            reviews.append(review)
    return sorted(reviews, key=lambda r: r.at)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def build_cards(reviews: list[Review], now: float) -> dict[str, CardState]:
    """Replay the reviews through FSRS: one card per exercise reviewed."""
    from fsrs import Card, Rating, Scheduler  # numpy-free, but only the commands that schedule need it

    scheduler = Scheduler(**SCHEDULER)
    cards: dict[str, tuple] = {}
    for n, review in enumerate(r for r in reviews if r.at <= now):  # the history up to now
        card, count, _ = cards.get(review.exercise) or (Card(card_id=n + 1, due=_utc(review.at)), 0, None)
        card, _log = scheduler.review_card(card, Rating(review.rating), review_datetime=_utc(review.at))
        cards[review.exercise] = (card, count + 1, review)
    states = {}
    for exercise, (card, count, last) in cards.items():
        states[exercise] = CardState(
            exercise, count, last.at, last.rating, last.why, card.due.timestamp(), card.stability, card.difficulty,
            scheduler.get_card_retrievability(card, current_datetime=_utc(max(now, last.at))))
    return states


def queue(exercises, cards: dict[str, CardState], now: float) -> list[Pick]:
    """Every exercise in the order to practise it: due (the likeliest forgotten first: lowest FSRS
    retrievability), then one new exercise from the weakest topic, then new ones in the bank's order, then the
    rest (soonest due first)."""
    due = sorted((c for c in cards.values() if c.is_due(now)), key=lambda c: (round(c.retrievability, 6), c.due))
    picks = [Pick(c.exercise, "due", f"due for review {ago(now - c.due)}: last time {c.last_why} "
                  f"({RATING_NAMES[c.last_rating]}), {ago(now - c.last_review)}; modelled chance of solving it "
                  f"now {c.retrievability:.0%}", c) for c in due]
    new = [e for e in exercises if e.id not in cards]
    weak = weakest_topic(exercises, cards)
    if weak is not None:
        topic, results = weak
        first = next(e for e in new if e.topic == topic)
        last = ", ".join(f"{c.exercise} {RATING_NAMES[c.last_rating]}" for c in results)
        picks.append(Pick(first.id, "weakest-topic", f"weakest topic: {topic} (last results: {last}); "
                                                      f"{first.id} is its next new exercise"))
        new.remove(first)
    picks += [Pick(e.id, "new", "next new exercise in the bank's order") for e in new]
    later = sorted((c for c in cards.values() if not c.is_due(now)), key=lambda c: c.due)
    picks += [Pick(c.exercise, "ahead", f"ahead of schedule: due {until(c.due - now)}; last time {c.last_why} "
                   f"({RATING_NAMES[c.last_rating]})", c) for c in later]
    known = {e.id for e in exercises}
    return [p for p in picks if p.exercise in known]  # an exercise no longer in the bank is never suggested


def weakest_topic(exercises, cards: dict[str, CardState]) -> tuple[str, list[CardState]] | None:
    """The topic with the lowest mean last rating (below good) that still has a new exercise, with its cards;
    ties go to the topic met first in the bank's order. None when no topic is weak."""
    topics: dict[str, list[CardState]] = {}
    with_new = set()
    for e in exercises:
        if e.id in cards:
            topics.setdefault(e.topic, []).append(cards[e.id])
        else:
            with_new.add(e.topic)
    scored = [(sum(c.last_rating for c in cs) / len(cs), n, topic) for n, (topic, cs) in enumerate(topics.items())
              if topic in with_new]
    mean, _, topic = min(scored, default=(GOOD, 0, ""))
    return (topic, topics[topic]) if mean < GOOD else None


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return "moments"


def ago(seconds: float) -> str:
    return "now" if seconds < 60 else f"{_span(seconds)} ago"


def until(seconds: float) -> str:
    return "now" if seconds <= 0 else f"in {_span(seconds)}"


def due_in(card: CardState, now: float) -> str:
    """'due now', 'due 2 days ago' or 'in 3 days'."""
    return f"due {ago(now - card.due)}" if card.is_due(now) else until(card.due - now)

