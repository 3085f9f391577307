"""Exports of the audit log as CSV or JSON Lines, streamed: rows are read in chunks and written as they come.

A year of events never sits in memory: the queryset is read with `.iterator(chunk_size=...)` (a server-side
cursor on PostgreSQL) and the response is a generator of text chunks of a few hundred rows each.
"""

import csv
import io
import json

from django.http import StreamingHttpResponse
from django.utils import timezone

from .filters import label_of

COLUMNS = (
    "id",
    "created_at",
    "actor_name",
    "action",
    "label",
    "outcome",
    "scope",
    "target_type",
    "target_id",
    "reason",
    "params",
    "aws_request_id",
    "error_code",
    "error_message",
    "ip_address",
    "user_agent",
    "follows_id",
)
FIELDS = tuple(column for column in COLUMNS if column != "label")  # as read from the database, in this order
CHUNK_SIZE = 2000  # rows per database fetch
ROWS_PER_WRITE = 500  # rows per chunk of the response
FORMULA_PREFIXES = frozenset("=+-@\t\r")  # what a spreadsheet may run as a formula (OWASP's list)
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def neutralise(text):
    """A CSV cell that a spreadsheet would run as a formula is kept as text, with OWASP's leading quote."""
    return "'" + text if text and text[0] in FORMULA_PREFIXES else text


def as_record(row):
    """One event (a tuple in FIELDS order) as a dict of JSON-ready values in COLUMNS order."""
    values = dict(zip(FIELDS, row, strict=True))
    values["created_at"] = values["created_at"].isoformat()
    return {column: label_of(values["action"]) if column == "label" else values[column] for column in COLUMNS}


def as_csv_cells(row):
    record = as_record(row)
    record["params"] = json.dumps(record["params"], sort_keys=True, ensure_ascii=False)
    return [neutralise(str(value)) if value is not None else "" for value in record.values()]


def csv_chunk(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(as_csv_cells(row) for row in rows)
    return buffer.getvalue()


def jsonl_chunk(rows):
    return "".join(json.dumps(as_record(row), ensure_ascii=False) + "\n" for row in rows)


def export_chunks(queryset, fmt, chunk_size=CHUNK_SIZE, rows_per_write=ROWS_PER_WRITE):
    """The export of `queryset` as text chunks of at most `rows_per_write` rows (the CSV header comes first)."""
    write = {"csv": csv_chunk, "jsonl": jsonl_chunk}[fmt]
    if fmt == "csv":
        yield ",".join(COLUMNS) + "\r\n"
    batch = []
    for row in queryset.values_list(*FIELDS).iterator(chunk_size=chunk_size):
        batch.append(row)
        if len(batch) >= rows_per_write:
            yield write(batch)
            batch = []
    if batch:
        yield write(batch)


def export_response(queryset, fmt):
    response = StreamingHttpResponse(export_chunks(queryset, fmt), content_type=CONTENT_TYPES[fmt])
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-history-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
