from django.contrib.auth import views as auth_views
from django.urls import path

from heatline.core.views import SigninView

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # One-time sign-in links of new accounts (heatline/registry/signin.py).
    path("signin/<uidb64>/<token>/", SigninView.as_view(), name="signin"),
]
