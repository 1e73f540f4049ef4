"""Dates and times as GitLab reads and writes them.

- A `datetime` column is rendered by Grape entities as ActiveSupport's `Time#as_json`, in UTC with
  milliseconds: `2026-12-04T00:00:00.000Z` (deploy token `expires_at`, every `created_at`).
- A `date` column is `2026-12-04` (personal access token and member `expires_at`, share expiry).
- A git commit's dates keep the committer's time zone, to the second: `2025-06-02T09:00:00.000+00:00`
  [G:lib/gitlab/git/commit.rb `init_date_from_gitaly`: Time.strptime(seconds + timezone)].
- A `DateTime` parameter takes ISO 8601 with or without a time or a zone (a date is midnight UTC, the
  server's zone); a `Date` parameter takes a date, or the date of a time. Anything else is Grape's
  `<name> is invalid`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from provisioner.sandbox.http import param_error


def parse_datetime(name: str, value: object) -> datetime:
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise param_error(f"{name} is invalid") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(name: str, value: object) -> date:
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) > 10 else date.fromisoformat(text)
    except ValueError as exc:
        raise param_error(f"{name} is invalid") from exc


def timestamp(moment: datetime) -> str:
    """`2026-12-04T00:00:00.000Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def timestamp_param(name: str, value: object) -> str:
    """A `DateTime` parameter stored as the timestamp GitLab will render."""
    return timestamp(parse_datetime(name, value))


def date_param(name: str, value: object) -> str:
    """A `Date` parameter (or a `DateTime` one stored in a date column) as `YYYY-MM-DD`."""
    return parse_date(name, value).isoformat()


def commit_time(stamp: str) -> str:
    """A stored `...Z` timestamp as git dates render: seconds only, the committer's zone (UTC here)."""
    return stamp[:19] + ".000+00:00"


def instant(stamp: str) -> datetime:
    """A stored timestamp (`...Z`, `+00:00` or a bare date) as an aware datetime, for comparisons."""
    return parse_datetime("timestamp", stamp)
