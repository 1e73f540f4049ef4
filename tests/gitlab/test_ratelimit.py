"""The shared limiter follows RateLimit-* headers and Retry-After (REFERENCE 1.7). Fake clock, no sleeping."""

from __future__ import annotations

import itertools
import threading

import pytest

from provisioner.gitlab.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_429_pauses_every_worker_for_retry_after():
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    assert limiter.release(429, {"Retry-After": "7"}) == 7
    limiter.acquire()  # another worker: must wait out the pause too
    assert clock.slept == [7]
    assert limiter.throttled == 1


def test_spent_budget_waits_until_reset():
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.release(200, {"RateLimit-Remaining": "1", "RateLimit-Reset": str(int(clock.now) + 30)})
    limiter.acquire()
    assert clock.slept == [30]


def test_budget_left_means_no_wait():
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.release(200, {"RateLimit-Remaining": "500", "RateLimit-Reset": str(int(clock.now) + 30)})
    limiter.acquire()
    assert clock.slept == []


def test_retry_after_as_http_date():
    clock = Clock()
    clock.now = 1_700_000_000.0
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    delay = limiter.release(429, {"Retry-After": "Tue, 14 Nov 2023 22:13:30 GMT"})
    assert 9 <= delay <= 11


def _headers(clock: Clock, limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    """GitLab's informational headers [G:lib/gitlab/rack_attack.rb `throttled_response_headers`]."""
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(int(clock.now + reset_in)),
    }


def _sent_at(
    limiter: RateLimiter, clock: Clock, count: int, answer: dict[str, str] | None = None
) -> list[float]:
    """One worker's requests, one after the other: when each was sent."""
    times = []
    for _ in range(count):
        limiter.acquire()
        times.append(clock.now)
        limiter.release(200, answer or {})
    return times


def test_requests_are_spread_evenly_under_gitlabs_limit_instead_of_bursting():
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.release(200, _headers(clock, limit=600, remaining=599, reset_in=60))
    sent = _sent_at(limiter, clock, 20, _headers(clock, limit=600, remaining=590, reset_in=59))
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(sent)}
    # 600/min is 10/s: paced a little under it (95%), every gap the same, and no 429 pause.
    assert gaps == {round(60 / 570, 6)}
    assert limiter.throttled == 0


def test_what_is_left_of_the_window_is_spread_over_the_time_left():
    """Someone else (a person, another job) spent most of this window's budget: what is left lasts
    until the reset, instead of being spent at once and then waited for."""
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.release(200, _headers(clock, limit=600, remaining=12, reset_in=60))
    first, second = _sent_at(limiter, clock, 2)
    assert second - first == 60 / (12 - 2)  # two kept in hand for requests in flight


def test_max_rate_holds_even_when_gitlab_allows_more_or_says_nothing():
    for gitlab_says in (True, False):
        clock = Clock()
        answer = _headers(clock, limit=2000, remaining=1999, reset_in=60) if gitlab_says else {}
        limiter = RateLimiter(clock=clock, sleep=clock.sleep, max_per_minute=30)
        sent = _sent_at(limiter, clock, 61, answer)
        assert sent[-1] - sent[0] == 120.0  # 60 gaps of 2 s: 30 a minute
        assert all(sum(1 for t in sent if start <= t < start + 60) <= 30 for start in sent)


def test_gitlabs_limit_binds_when_it_is_below_max_rate():
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, max_per_minute=1000)
    limiter.acquire()
    limiter.release(200, _headers(clock, limit=60, remaining=59, reset_in=60))
    first, second = _sent_at(limiter, clock, 2, _headers(clock, limit=60, remaining=58, reset_in=60))
    assert second - first == pytest.approx(60 / 57)  # 95% of 60/min, not 1000/min


def test_max_rate_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(max_per_minute=0)


def test_workers_share_one_schedule():
    """Four threads, ten requests each, at 60/min: one shared budget takes 39 s of the fake clock
    (one limiter per worker would take 9 s and send four times the rate)."""
    clock = SharedClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, max_per_minute=60)

    def worker() -> None:
        for _ in range(10):
            limiter.acquire()
            limiter.release(200, {})

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now == 1000.0 + 39


def test_after_a_429_requests_resume_paced_not_in_a_burst():
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.release(200, _headers(clock, limit=600, remaining=590, reset_in=60))
    limiter.acquire()
    assert limiter.release(429, {"Retry-After": "5"}) == 5
    paused_until = clock.now + 5
    sent = _sent_at(limiter, clock, 3)
    assert sent[0] >= paused_until
    assert sent[1] - sent[0] == pytest.approx(60 / 570) and sent[2] - sent[1] == pytest.approx(60 / 570)
    assert limiter.throttled == 1


def test_pacing_waits_of_a_second_or_more_are_said_at_most_every_ten_seconds():
    """A run slowed to a few requests a minute never looks like a hang, nor floods the log."""
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, max_per_minute=20)  # one every 3 s
    said: list[str] = []
    limiter.listeners.append(lambda wait: said.append(str(wait)))
    _sent_at(limiter, clock, 11)  # ten waits of 3 s: 30 s
    assert said == ["waiting 3.0 s for the request pace (20/min, --max-rate)"] * 3


def test_a_reset_years_away_does_not_space_requests_by_years():
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, max_wait=120)
    sent = _sent_at(limiter, clock, 3, _headers(clock, limit=2000, remaining=10, reset_in=10**9))
    assert 0 < sent[2] - sent[1] <= 120


class SharedClock(Clock):
    """A fake clock several threads sleep on: a sleep moves it to at least the time the sleeper
    meant to wake up at (the time it last read, plus the sleep), never back."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._read = threading.local()

    def __call__(self) -> float:
        with self._lock:
            self._read.now = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now = max(self.now, getattr(self._read, "now", self.now) + seconds)
