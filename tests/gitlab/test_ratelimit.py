"""The shared limiter follows RateLimit-* headers and Retry-After (REFERENCE 1.7). Fake clock, no sleeping."""

from __future__ import annotations

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
