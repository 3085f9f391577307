from django.urls import path

from . import main, views

urlpatterns = [
    path("api/", main.urls()),
    path("account/tokens/", views.tokens, name="api-tokens"),
    path("account/tokens/<int:pk>/revoke/", views.revoke, name="api-token-revoke"),
]
