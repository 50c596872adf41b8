"""Every answer carries a Content-Security-Policy that forbids inline script and any other origin, refuses framing
and sends no referrer off the site; production cookies are Secure. (The browser test fails on any CSP violation, so
the pages are known to work under it.)"""
from __future__ import annotations

from webapp import create_app


def test_pages_api_and_errors_carry_the_headers(app):
    client = app.test_client()
    for url in ("/login", "/api/openapi.json", "/api/me", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp and "http" not in csp, url
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "same-origin", url


def test_production_cookies_are_secure_and_same_site(tmp_path, monkeypatch):
    monkeypatch.setenv("TDKT_ENV", "production")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite", "SECRET_KEY": "k" * 64},
                     instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax" and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
