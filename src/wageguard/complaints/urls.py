from django.urls import path

from . import noticeboard, views

urlpatterns = [
    path("me/", views.my_work, name="my_work"),
    path("me/complain/", views.complaint_new, name="complaint_new"),
    path("complaints/", views.inbox, name="complaint_inbox"),
    path("complaints/record/", views.complaint_record, name="complaint_record"),
    path("complaints/<int:pk>/", views.detail, name="complaint_detail"),
    path("complaints/<int:pk>/<slug:step>/", views.step, name="complaint_step"),
    path("complaints/files/<int:pk>", views.attachment, name="complaint_attachment"),
    path("projects/<int:pk>/notice-board.pdf", noticeboard.board_pdf, name="notice_board"),
    path("public/projects/<str:code>/", noticeboard.project_page, name="public_project"),
    path("public/projects/<str:code>/complain/", noticeboard.board_complaint, name="board_complaint"),
]
