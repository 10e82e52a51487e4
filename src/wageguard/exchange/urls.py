from django.urls import path

from . import views

urlpatterns = [
    path("api-clients/", views.apiclient_list, name="apiclient_list"),
    path("api-clients/<int:pk>/rotate/", views.apiclient_rotate, name="apiclient_rotate"),
    path("api-clients/<int:pk>/active/", views.apiclient_set_active, name="apiclient_set_active"),
]
