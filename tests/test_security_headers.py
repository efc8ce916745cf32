"""What the browser is told to enforce: a Content-Security-Policy without inline script, a
CSRF cookie that scripts cannot read, and HSTS as strict as the operator asks."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from content.models import Phase
from tests.builders import join

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
INLINE_HANDLER = re.compile(r"(?<![\w:.-])on[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"(?<![\w:.-])style\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
# The PDF's template gets its styles inline: WeasyPrint reads it, no browser ever does.
PDF_ONLY = {"report_pdf.html"}


def inline_code(html: str) -> list[str]:
    found = [m.group(0) for m in INLINE_HANDLER.finditer(html)]
    found += [m.group(0) for m in INLINE_SCRIPT.finditer(html)]
    found += [m.group(0) for m in STYLE_ATTRIBUTE.finditer(html)]
    found += [text for text in ("javascript:", "hx-on") if text in html]
    return found


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_has_inline_script_or_style(template):
    html = template.read_text()
    assert inline_code(html) == []
    if template.name not in PDF_ONLY:
        assert not STYLE_ELEMENT.search(html)


@pytest.fixture
def pages(workshop, phone, alice):
    """Every kind of page, with the client that may see it."""
    join(phone, workshop, "Marketing")
    workshop.share_token = "a-read-only-link-token"
    workshop.save()
    phase = Phase.objects.first()
    code = workshop.code
    public = ["/", "/phases/", f"/phases/{phase.slug}/", "/quiz/", "/join", "/login/",
              "/admin/login/", "/healthz", "/r/a-read-only-link-token/", "/j/NOSUCH/"]
    facilitator = ["/sessions/", "/sessions/new/", f"/sessions/{code}/",
                   f"/sessions/{code}/projector/", f"/sessions/{code}/report/",
                   f"/sessions/{code}/delete/", "/organisations/museum-noord/"]
    participant = [f"/j/{code}/", f"/j/{code}/q/"]
    return {"public": public, "facilitator": facilitator, "participant": participant}


def test_every_page_sends_a_content_security_policy(client, alice_client, phone, pages):
    clients = {"public": client, "facilitator": alice_client, "participant": phone}
    for kind, paths in pages.items():
        for path in paths:
            r = clients[kind].get(path)
            assert r.status_code in (200, 404), path
            policy = directives(r["Content-Security-Policy"])
            assert policy["default-src"] == ["'self'"], path
            assert policy["script-src"] == ["'self'"], path
            assert policy["style-src"] == ["'self'"], path
            assert policy["frame-ancestors"] == ["'none'"], path
            if r["Content-Type"].startswith("text/html"):
                assert inline_code(r.text) == [], path


def test_the_policy_lets_the_page_open_its_websocket(alice_client, workshop):
    r = alice_client.get(f"/sessions/{workshop.code}/", HTTP_HOST="dna.example:8000")
    connect = directives(r["Content-Security-Policy"])["connect-src"]
    # 'self' covers ws: and wss: of the page's own host in CSP 3; older browsers need them named.
    assert connect == ["'self'", "ws://dna.example:8000", "wss://dna.example:8000"]


def test_htmx_is_told_to_add_no_inline_style_and_eval_nothing(client):
    r = client.get("/join")
    config = json.loads(re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', r.text)[1])
    assert config["includeIndicatorStyles"] is False
    assert "style" not in config["attributesToSettle"]
    assert config["allowEval"] is False


def test_the_report_buttons_work_without_inline_handlers(alice_client, workshop):
    workshop.share_token = "a-read-only-link-token"
    workshop.save()
    r = alice_client.get(f"/sessions/{workshop.code}/report/")
    assert "js/report.js" in r.text
    assert "data-print" in r.text and "data-select-on-click" in r.text


def test_the_csrf_cookie_is_out_of_reach_of_scripts(client):
    # No script reads it: pages hand htmx the token in hx-headers (base.html).
    r = client.get("/login/")
    assert r.cookies["csrftoken"]["httponly"] is True
    assert '"X-CSRFToken": "' in r.text


def test_htmx_posts_carry_the_token_from_the_page(alice_client, workshop):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies.update(alice_client.cookies)
    page = client.get(f"/sessions/{workshop.code}/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text)[1]
    r = client.post(f"/sessions/{workshop.code}/notes/", {"kind": "note", "text": "Plan"},
                    headers={"HX-Request": "true", "X-CSRFToken": token})
    assert r.status_code == 200


def production_settings(**env: str) -> dict:
    names = ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"]
    result = subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup(); from django.conf import "
         f"settings; print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin", "DEBUG": "0",
             "SECRET_KEY": "x" * 50, **env},
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)


def test_hsts_reaches_subdomains_and_preload_lists_only_when_the_operator_asks():
    # Both reach beyond this app (every subdomain; browsers' built-in lists, slow to leave).
    assert production_settings() == {"SECURE_HSTS_SECONDS": 31536000,
                                     "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
                                     "SECURE_HSTS_PRELOAD": False}
    assert production_settings(SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_HSTS_PRELOAD="1",
                               SECURE_HSTS_SECONDS="600") == {
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    }
