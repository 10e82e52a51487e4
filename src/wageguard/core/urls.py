from django.contrib.auth import views as auth_views
from django.urls import path

from . import auth
from .access import public

login = public()(auth_views.LoginView.as_view(template_name="core/login.html", redirect_authenticated_user=True))

urlpatterns = [
    path("login/", login, name="login"),
    path("login/otp/", auth.otp_verify, name="otp_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/security/", auth.otp_enrol, name="otp_enrol"),
]
