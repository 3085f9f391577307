"""The smoke check settings page of a target (admins), linked from its console."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from dashboard.roles import ADMIN, role_required
from releases.models import ReleaseTarget
from releases.web import smoke_forms


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def smoke_settings(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    form, formset = smoke_forms.forms_for(target, request.POST if request.method == "POST" else None)
    if request.method == "POST" and smoke_forms.valid(form, formset):
        smoke_forms.save(target, form, formset, user=request.user, request=request)
        messages.success(request, "Smoke check settings saved: the runs that start from now on use them.")
        return redirect(target)
    return render(request, "releases/smoke_settings.html", {"target": target, "form": form, "formset": formset})
