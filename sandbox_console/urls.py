from django.urls import path

from . import views

urlpatterns = [
    path("", views.sandbox_page, name="sandbox"),
    path("pushes/<int:pk>/", views.image_push_detail, name="image-push-detail"),
    path("setups/<slug:name>/sample-image/", views.setup_sample_image, name="setup-sample-image"),
]
