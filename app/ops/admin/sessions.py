"""Signed-cookie sessions for the supervisor page only: webhooks open none and set no cookie."""

import hashlib
import hmac

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class AdminSessions(SecureCookieSessionInterface):
    """Flask's cookie sessions under `prefix`, Secure, HttpOnly and SameSite=Strict; a null session elsewhere."""

    salt = "admin-session"

    def __init__(self, prefix):
        self.prefix = prefix

    def open_session(self, app, request):
        if not request.path.startswith(self.prefix):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not self.is_null_session(session):
            super().save_session(app, session, response)

    def get_signing_serializer(self, app):
        # Keyed with the password hash as well: a new password ends every session, and the
        # development SECRET_KEY, which anyone can read, is not enough to forge one.
        secret = hmac.new(app.secret_key.encode(), app.config["ADMIN_PASSWORD_HASH"].encode(), hashlib.sha256).digest()
        return URLSafeTimedSerializer(
            secret,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )

    def get_cookie_name(self, app):
        return "admin_session"

    def get_cookie_path(self, app):
        return self.prefix

    def get_cookie_domain(self, app):
        return None

    def get_cookie_secure(self, app):
        return True

    def get_cookie_httponly(self, app):
        return True

    def get_cookie_samesite(self, app):
        return "Strict"

