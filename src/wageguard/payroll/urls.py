from django.urls import path

from . import views

urlpatterns = [
    path("payroll/", views.payroll_list, name="payroll_list"),
    path("payroll/export.xlsx", views.payroll_export, name="payroll_export"),
    path("payroll/build/", views.payroll_build, name="payroll_build"),
    path("payroll/<int:pk>/", views.payroll_detail, name="payroll_detail"),
    path("payroll/<int:pk>/ledger.xlsx", views.ledger_export, name="payroll_ledger_export"),
    path("payroll/<int:pk>/<slug:step>/", views.payroll_step, name="payroll_step"),
    path("payroll/lines/<int:pk>/<slug:step>/", views.line_step, name="payroll_line_step"),
    path("payroll/reconciliation/<int:project_pk>/<str:month>/", views.reconciliation, name="payroll_reconciliation"),
    path("payslips/", views.payslips, name="payslips"),
]
