from django.urls import path

from . import views

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/confirm/", views.account_confirm, name="account_confirm"),
    path("accounts/<int:pk>/transactions.xlsx", views.transactions_export, name="account_transactions_export"),
    path("bank/", views.bank_home, name="bank_home"),
]

urlpatterns += [
    path("deposits/", views.deposit_list, name="deposit_list"),
    path("deposits/<int:pk>/", views.deposit_detail, name="deposit_detail"),
    path("deposits/<int:pk>/movements/", views.deposit_movement, name="deposit_movement"),
    path("deposits/<int:pk>/certificates/", views.deposit_certificate_upload, name="deposit_certificate_upload"),
    path("deposits/<int:pk>/certificates/<int:certificate_pk>/review/", views.deposit_certificate_review, name="deposit_certificate_review"),
    path("deposits/<int:pk>/certificates/<int:certificate_pk>/file", views.deposit_certificate_file, name="deposit_certificate_file"),
]

urlpatterns += [path("accounts/<int:pk>/progress/", views.progress_payment, name="account_progress_payment")]
