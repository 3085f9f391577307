from django.urls import path

from provisioning.web import views

urlpatterns = [
    path("", views.index, name="setup"),
    path("new/", views.create, name="setup-create"),
    path("runs/<int:pk>/", views.run_detail, name="setup-run"),
    path("runs/<int:pk>/retry/", views.run_retry, name="setup-run-retry"),
    path("<slug:name>/", views.detail, name="setup-detail"),
    path("<slug:name>/steps/<slug:step>/", views.step, name="setup-step"),
    path("<slug:name>/files/<segment:filename>", views.source_file, name="setup-file"),
    path("<slug:name>/inventory/", views.inventory, name="setup-inventory"),
    path("<slug:name>/teardown/", views.teardown, name="setup-teardown"),
]
