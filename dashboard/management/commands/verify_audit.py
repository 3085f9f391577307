from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from dashboard.audit import HEAD, AuditChainHead, AuditEvent
from dashboard.audit_chain import first_break


class Command(BaseCommand):
    help = "Walk the audit log's hash chain, oldest first; name the first event that does not match and fail."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *, database, **options):
        events = AuditEvent.objects.using(database).order_by("id").iterator(chunk_size=2000)
        head = AuditChainHead.objects.using(database).filter(pk=HEAD).first()
        try:
            verified, broken = first_break(events, head)
        finally:
            events.close()  # it may stop at a break, before the last row
        if broken:
            raise CommandError(f"Verified {verified} audit events, then the chain breaks at {broken}.")
        newest = f"; newest hash {head.last_hash}" if head and head.last_hash else ""
        self.stdout.write(f"Verified {verified} audit events: the chain is whole{newest}.")
