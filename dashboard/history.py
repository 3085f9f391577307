from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .audit import AuditEvent
from .roles import VIEWER, role_required


@require_GET
@role_required(VIEWER)
def history(request):
    page = Paginator(AuditEvent.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "dashboard/history.html", {"page": page})
