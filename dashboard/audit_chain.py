"""The audit log's hash chain. Each event stores the hash of the event before it and its own hash, sha256 over a
canonical JSON of what it records plus that previous hash: an edit or a deletion made around the triggers (by
whoever owns the table and can drop them) breaks the chain at the first event it touched.

Plain functions over any object with the event's fields, so the migration that chains older events uses them too.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = ""  # the previous hash of the first event
# What an event records, hashed in this order; a field added to AuditEvent later is covered only if added here.
CHAINED_FIELDS = (
    "created_at",
    "actor",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "scope",
    "reason",
    "params",
    "outcome",
    "aws_request_id",
    "error_code",
    "error_message",
    "ip_address",
    "user_agent",
    "follows",
)


def normalize(event):
    """Give each recorded field the value the database will give back (a target id of 7 is stored as "7"), so
    that the hash of what is written equals the hash of what is read."""
    for name in CHAINED_FIELDS:
        field = event._meta.get_field(name)
        setattr(event, field.attname, field.to_python(field.value_from_object(event)))


def event_hash(event, previous_hash):
    values = {"previous_hash": previous_hash}
    for name in CHAINED_FIELDS:
        field = event._meta.get_field(name)
        values[field.attname] = field.value_from_object(event)
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_utc)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _utc(value):
    if isinstance(value, datetime):  # the one moment, however it was written: UTC to the microsecond
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    raise TypeError(f"{type(value).__name__} is not recorded in the audit chain")


def link(event, previous_hash):
    """Chain `event` (its created_at already set) after the event whose hash is `previous_hash`."""
    normalize(event)
    event.previous_hash = previous_hash
    event.hash = event_hash(event, previous_hash)
    return event.hash


@dataclass
class Break:
    event_id: int | None  # None: the log has no event left
    created_at: datetime | None
    problem: str

    def __str__(self):
        if self.event_id is None:
            return f"the log is empty: {self.problem}"
        return f"event #{self.event_id} ({self.created_at:%Y-%m-%d %H:%M:%S.%f %Z}): {self.problem}"


def first_break(events, head):
    """Walk `events` oldest first against the chain head (the newest hash and the count). Returns how many events
    matched before the first break, and that break (None when the chain is whole)."""
    verified, previous, before_previous, last = 0, GENESIS, None, None
    for event in events:
        if not event.hash:
            return verified, Break(event.pk, event.created_at, "inserted out of chain: it has no hash")
        if event.hash != event_hash(event, event.previous_hash):
            problem = "content edited: what it records does not match its hash"
            return verified, Break(event.pk, event.created_at, problem)
        if event.previous_hash != previous:
            if last is not None and event.previous_hash == before_previous:
                problem = f"inserted out of chain: event #{event.pk} follows the event before this one"
                return verified - 1, Break(last.pk, last.created_at, problem)
            problem = "an event before it is missing (deleted): it follows a hash that no event here has"
            return verified, Break(event.pk, event.created_at, problem)
        verified, before_previous, previous, last = verified + 1, previous, event.hash, event
    if head is None and last is None:
        return verified, None
    if head is None or (head.last_hash, head.length) != (previous, verified):
        recorded = "is missing" if head is None else f"records {head.length} events ending in {head.last_hash[:12]}"
        problem = f"events after it are missing (deleted): the chain head {recorded}"
        return verified, Break(last.pk if last else None, last.created_at if last else None, problem)
    return verified, None
