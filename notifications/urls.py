from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="notifications"),
    path("channels/", views.create, name="notification-channel-create"),
    path("channels/<int:pk>/delete/", views.delete, name="notification-channel-delete"),
    path("channels/<int:pk>/test/", views.test, name="notification-channel-test"),
    path("deliveries/<int:pk>/", views.delivery_status, name="notification-delivery"),
]
