from django.urls import path

from releases.web import gone_views, migration_views, smoke_views, views

urlpatterns = [
    path("", views.index, name="releases"),
    path("track/", views.track, name="release-track"),
    path("track/<int:pk>/", views.track_status, name="release-track-status"),
    path("summary/", views.summary, name="release-summary"),
    path("<int:pk>/", views.target, name="release-target"),
    path("<int:pk>/live/", views.target_live, name="release-target-live"),
    path("<int:pk>/untrack/", gone_views.untrack, name="release-untrack"),
    path("<int:pk>/freeze/", views.freeze, name="release-freeze"),
    path("<int:pk>/freeze/<int:freeze_pk>/end/", views.end_freeze, name="release-freeze-end"),
    path("<int:pk>/four-eyes/", views.choose_four_eyes, name="release-four-eyes"),
    path("<int:pk>/smoke-checks/", smoke_views.smoke_settings, name="release-smoke-settings"),
    path("<int:pk>/migrate/", migration_views.migration, name="release-migration"),
    path("<int:pk>/migrate/<str:phase>/", migration_views.start, name="release-migration-start"),
    path("migration-runs/<int:pk>/", migration_views.run_status, name="release-migration-run"),
    path("migration-runs/<int:pk>/retry/", migration_views.retry, name="release-migration-retry"),
    path("four-eyes/<int:pk>/<str:answer>/", views.answer_four_eyes, name="release-four-eyes-answer"),
    path("<int:pk>/actions/<segment:kind>/", views.action, name="release-action"),
    path("actions/<int:pk>/", views.action_status, name="release-action-status"),
]
