from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.roles import ADMIN, role_required


@require_GET
@role_required(ADMIN)
def index(request):
    return render(request, "provisioning/index.html")
