"""Headers every answer carries, and the cookie settings of production.

The pages load only their own files (the bundled front-end packages are served from /static: no CDN), run no inline
script and are framed by nobody, so the Content-Security-Policy can say exactly that. `data:` images stay allowed
for the SVG icons Bootstrap's stylesheet embeds.
"""
from __future__ import annotations

from flask import request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
# The process editor only: bpmn-js-properties-panel builds its containers from HTML strings with `style="…"`
# attributes (BpmnPropertiesPanelRenderer) and bpmn-js's align/distribute icons carry them too; CSP blocks style
# attributes parsed from markup unless `style-src-attr` allows them. Inline *style attributes* cannot run script
# (scripts stay 'self' only, no inline <style> elements either); the case page's read-only viewer needs none.
EDITOR_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY + "; style-src-attr 'unsafe-inline'"
RELAXED_STYLE_ATTRIBUTES = {"processes.edit"}
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors' older spelling, for older browsers
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def register(app) -> None:
    if app.config.get("TDKT_ENV") == "production":  # served over HTTPS there: cookies never travel in the clear
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    app.config.update(REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax")

    @app.after_request
    def add_headers(response):
        if request.endpoint in RELAXED_STYLE_ATTRIBUTES:
            response.headers.setdefault("Content-Security-Policy", EDITOR_CONTENT_SECURITY_POLICY)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
