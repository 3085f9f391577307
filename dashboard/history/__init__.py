"""The audit history: the history page and its live updates, release timelines, exports and release insights.

All of it reads AuditEvent (dashboard/audit.py) and nothing else; none of it writes.
"""

from .views import history, history_export, history_live, insights_page, release_timeline

__all__ = ["history", "history_export", "history_live", "insights_page", "release_timeline"]
