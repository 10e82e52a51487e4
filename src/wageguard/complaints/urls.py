from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.my_work, name="my_work"),
    path("me/complain/", views.complaint_new, name="complaint_new"),
    path("complaints/", views.inbox, name="complaint_inbox"),
    path("complaints/<int:pk>/", views.detail, name="complaint_detail"),
    path("complaints/<int:pk>/<slug:step>/", views.step, name="complaint_step"),
    path("complaints/files/<int:pk>", views.attachment, name="complaint_attachment"),
]
