from django.urls import path

from . import public, views

urlpatterns = [
    path("credit/", views.record_list, name="credit_records"),
    path("credit/export.xlsx", views.record_export, name="credit_export"),
    path("credit/new/", views.record_new, name="credit_propose"),
    path("credit/records/<int:pk>/", views.record_detail, name="credit_record"),
    path("credit/records/<int:pk>/<slug:step>/", views.record_step, name="credit_step"),
    path("credit/attachments/<int:pk>", views.attachment, name="credit_attachment"),
    path("credit/ratings/", views.rating_list, name="credit_ratings"),
    path("credit/ratings/<int:pk>/", views.rating_detail, name="credit_rating"),
    path("evidence/", views.evidence_list, name="evidence_list"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<int:pk>/package.zip", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/<slug:step>/", views.evidence_step, name="evidence_step"),
    # without sign-in
    path("public/", public.record_list, name="public_list"),
    path("public/records/<int:pk>/", public.record_detail, name="public_record"),
    path("public/feed.json", public.feed_json, name="public_feed_json"),
    path("public/feed.csv", public.feed_csv, name="public_feed_csv"),
    path("public/export.xlsx", public.export_xlsx, name="public_export"),
]
