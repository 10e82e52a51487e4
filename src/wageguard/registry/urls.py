from django.urls import path

from . import signin, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/worker/", signin.sign_in, name="worker_sign_in"),
    path("me/password/", signin.password, name="worker_password"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/todo/", views.onboarding_todo, name="onboarding_todo"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/participations/", views.participation_add, name="participation_add"),
    path("projects/<int:pk>/shutdowns/", views.shutdown_declare, name="shutdown_declare"),
    path("employments/<int:pk>/exit/", views.employment_exit, name="employment_exit"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/accept/", views.project_accept, name="project_accept"),
    path("projects/<int:pk>/onboard/", views.project_onboard, name="project_onboard"),
    path("participations/<int:pk>/review/", views.participation_review, name="participation_review"),
    path("projects/<int:pk>/roster.xlsx", views.roster_export, name="roster_export"),
    path("projects/<int:pk>/import/", views.roster_import, name="roster_import"),
    path("imports/<int:pk>/", views.import_status, name="import_status"),
    path("registry/roster-template.xlsx", views.roster_template, name="roster_template"),
    path("workers/<int:pk>/", views.worker_detail, name="worker_detail"),
    path("workers/<int:pk>/reveal/<str:field>/", views.worker_reveal, name="worker_reveal"),
    path("workers/<int:pk>/card/", views.worker_card, name="worker_card"),
    path("contracts/<int:pk>/file", views.contract_file, name="contract_file"),
    path("cards/<int:pk>/<slug:step>/", views.card_change_step, name="card_change_step"),
    path("identity-reviews/", views.identity_review_list, name="identity_review_list"),
    path("identity-reviews/<int:pk>/", views.identity_review_detail, name="identity_review_detail"),
    path("identity-reviews/<int:pk>/decide/", views.identity_review_decide, name="identity_review_decide"),
]
