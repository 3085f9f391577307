from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.roles import VIEWER, role_required


@require_GET
@role_required(VIEWER)
def index(request):
    return render(request, "releases/index.html")
