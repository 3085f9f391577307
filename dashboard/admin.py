from django.contrib import admin

from .audit import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only everywhere in the product."""

    list_display = ("created_at", "actor_name", "action", "scope", "outcome", "error_code")
    list_filter = ("outcome", "action")
    search_fields = ("actor_name", "action", "scope", "target_id", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
