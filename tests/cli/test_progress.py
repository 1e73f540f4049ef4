"""The progress line, on a fake clock: it counts a pause down while the run waits, and without a
terminal it prints at most one line per interval, nothing at all in a run shorter than one."""

from __future__ import annotations

import io

from provisioner.cli.progress import Progress
from provisioner.gitlab.ratelimit import Wait
from provisioner.model import ProjectResult


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_wait_counts_down_on_the_line() -> None:
    clock = Clock()
    progress = Progress(4, "check", stream=io.StringIO(), clock=clock)
    progress.waiting(Wait(42, "GitLab's rate limit (RateLimit-Reset)"))
    assert (
        progress.line()
        == "check: 0/4 done, 0:00 elapsed; waiting 42 s for GitLab's rate limit (RateLimit-Reset)"
    )
    clock.now += 10
    assert progress.line().endswith("; waiting 32 s for GitLab's rate limit (RateLimit-Reset)")
    clock.now += 32.5
    assert progress.line() == "check: 0/4 done, 0:42 elapsed"  # the wait is over


def test_without_a_terminal_one_line_per_interval_at_most() -> None:
    clock = Clock()
    shown = io.StringIO()
    progress = Progress(100, "apply", stream=shown, clock=clock, interval=10)
    done = ProjectResult("a/b")
    for _ in range(5):
        progress(done)  # the first seconds: a short run prints nothing
    clock.now += 10
    progress(done)
    progress.waiting(Wait(0.04, "retry 1 of 5: GET /api/v4/version answered 502"))
    clock.now += 9
    progress(done)
    clock.now += 1
    progress(done)
    assert shown.getvalue().splitlines() == [
        "apply: 6/100 done, 0:10 elapsed",
        "apply: 8/100 done, 0:20 elapsed",
    ]


def test_waits_are_said_rounded_up() -> None:
    assert str(Wait(0.04, "x")) == "waiting 0.1 s for x"
    assert str(Wait(41.2, "x")) == "waiting 42 s for x"
