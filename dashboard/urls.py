from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, reverse_lazy

from . import extensions, history, sso, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("connection-checks/", views.connection_check_create, name="connection-check-create"),
    path("connection-checks/<int:pk>/", views.connection_check_detail, name="connection-check-detail"),
    path("connections/", views.connection_list, name="connections"),
    path("connections/add/", views.connection_create, name="connection-create"),
    path("connections/<int:pk>/edit/", views.connection_edit, name="connection-edit"),
    path("connections/<int:pk>/check/", views.connection_recheck, name="connection-recheck"),
    path("connections/checks/<int:pk>/", views.connection_check_status, name="connection-check-status"),
    path("connections/<int:pk>/remove/", views.connection_delete, name="connection-delete"),
    path("sign-in/", sso.SignInView.as_view(), name="login"),
    path("sign-in/sso/", login_not_required(sso.StartView.as_view()), name="sso-start"),
    path("sign-in/sso/callback/", login_not_required(sso.CallbackView.as_view()), name="sso-callback"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/change_password.html", success_url=reverse_lazy("password-change-done")
        ),
        name="password-change",
    ),
    path(
        "account/password/changed/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_changed.html"),
        name="password-change-done",
    ),
    path("setup/", include("provisioning.urls")),
    path("releases/", include("releases.urls")),
    path("history/", history.history, name="history"),
    path("history/live/", history.history_live, name="history-live"),
    path("history/export.csv", history.history_export, {"fmt": "csv"}, name="history-export-csv"),
    path("history/export.jsonl", history.history_export, {"fmt": "jsonl"}, name="history-export-jsonl"),
    path(
        "history/releases/<printable_path:scope>/<segment:execution_id>/",
        history.release_timeline,
        name="release-timeline",
    ),
    path("insights/", history.insights_page, name="insights"),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
]
urlpatterns += [path(prefix, include(urlconf)) for prefix, urlconf in extensions.app_urls()]
