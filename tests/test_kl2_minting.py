"""KL201/KL202 on projects made on the fly: what counts as proof, where the subject comes from,
and how a finding is reported (location, message, SARIF related locations)."""

from __future__ import annotations

import json

from conftest import assert_valid_sarif, scan_project
from keylint.catalog import load_catalog
from keylint.report.sarif import render

TOKENS = (
    "import os, time\nimport jwt\nKEY = os.environ['K']\n"
    "def mint(uid):\n    return jwt.encode({'sub': str(uid), 'aud': 'a', 'exp': int(time.time()) + 60}, KEY, algorithm='HS256')\n"
)


def _kl2(report) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.span.line, f.code) for f in report.findings if f.code.startswith("KL2")}


def test_cross_module_handler_helper_and_mount(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/tokens.py": TOKENS,
            "app/routes.py": (
                "from fastapi import APIRouter\nfrom app.tokens import mint\nrouter = APIRouter()\n"
                "@router.post('/token/{user_id}')\ndef token(user_id: int):\n    return {'t': mint(user_id)}\n"
            ),
            "app/main.py": "from fastapi import FastAPI\nfrom app import routes\napp = FastAPI()\napp.include_router(routes.router, prefix='/internal')\n",
        }
    )
    report = scan_project(root)
    assert _kl2(report) == {("app/routes.py", 4, "KL201")}
    (f,) = [f for f in report.findings if f.code == "KL201"]
    assert f.message.startswith("POST /internal/token/{user_id} is reachable without authentication")
    assert "jwt.encode() at app/tokens.py:5" in f.message and "user_id, taken from the request" in f.message
    assert "'internal'" in f.message
    related = {(r.location.path, r.location.span.line) for r in f.related}
    assert related == {("app/tokens.py", 5), ("app/routes.py", 6), ("app/main.py", 4)}
    log = assert_valid_sarif(render(report, load_catalog()))
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "KL201"]
    uris = sorted(loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["relatedLocations"])
    assert uris == ["app/main.py", "app/routes.py", "app/tokens.py"]


def test_reporting_only_the_helper_still_reports_the_route(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/tokens.py": TOKENS,
            "app/routes.py": (
                "from flask import Flask, request\nfrom app.tokens import mint\napp = Flask(__name__)\n"
                "@app.post('/debug/token')\ndef t():\n    return mint(request.json['user_id'])\n"
            ),
        }
    )
    assert _kl2(scan_project(root, selected=["app/tokens.py"])) == {("app/routes.py", 4, "KL201")}


def test_proof_on_the_way_silences_kl201(project) -> None:
    head = "from flask import Flask, request, abort\nfrom tokens import mint\napp = Flask(__name__)\n"
    cases = {
        # a password verified in a helper of another module
        "helper_check.py": head + "from checks import ok\n@app.post('/login')\ndef login():\n    d = request.json\n    ok(d['user'], d['password'])\n    return mint(d['user'])\n",
        # a shared secret compared against configuration
        "compare.py": head + "import os\n@app.post('/svc')\ndef svc():\n    if request.headers.get('X-Api-Key') != os.environ['SVC_KEY']:\n        abort(401)\n    return mint(request.json['user'])\n",
        # a one-time password
        "otp.py": head + "import pyotp\n@app.post('/otp')\ndef otp():\n    if not pyotp.TOTP(request.json['seed']).verify(request.json['code']):\n        abort(401)\n    return mint(request.json['user'])\n",
    }
    files = {"tokens.py": TOKENS, "checks.py": "from werkzeug.security import check_password_hash\ndef ok(u, p):\n    return check_password_hash(u, p)\n", **cases}
    assert _kl2(scan_project(project(files))) == set()


def test_fixed_and_first_user_subjects_fire(project) -> None:
    root = project(
        {
            "tokens.py": TOKENS,
            "app.py": (
                "from flask import Flask\nfrom tokens import mint\nfrom models import User\napp = Flask(__name__)\n"
                "@app.get('/fallback')\ndef fallback():\n    return mint('admin')\n"
                "@app.get('/first')\ndef first():\n    return mint(User.query.first().id)\n"
                "@app.get('/guest')\ndef guest():\n    import uuid\n    return mint(uuid.uuid4().hex)\n"
            ),
        }
    )
    report = scan_project(root)
    assert _kl2(report) == {("app.py", 5, "KL201"), ("app.py", 8, "KL201")}
    assert any("a fixed subject ('admin')" in f.message and "'fallback'" in f.message for f in report.findings)


def test_kl202_needs_a_request_subject_and_no_role_or_ownership_check(project) -> None:
    head = (
        "from flask import Flask, request, abort\nfrom flask_jwt_extended import jwt_required, get_jwt_identity, create_access_token\n"
        "app = Flask(__name__)\n"
    )
    body = {
        "any.py": "@app.post('/as')\n@jwt_required()\ndef as_():\n    return create_access_token(identity=request.json['uid'])\n",
        "own.py": "@app.post('/own')\n@jwt_required()\ndef own():\n    uid = request.json['uid']\n    if uid != get_jwt_identity():\n        abort(403)\n    return create_access_token(identity=uid)\n",
        "self.py": "@app.post('/self')\n@jwt_required()\ndef self_():\n    return create_access_token(identity=get_jwt_identity())\n",
    }
    report = scan_project(project({name: head + code for name, code in body.items()}))
    assert _kl2(report) == {("any.py", 4, "KL202")}


def test_json_output_names_the_route_and_is_deterministic(project) -> None:
    root = project({"tokens.py": TOKENS, "a.py": "from flask import Flask, request\nfrom tokens import mint\napp = Flask('a')\n@app.route('/t', methods=['POST'])\ndef t():\n    return mint(request.form['u'])\n"})
    first = render(scan_project(root), load_catalog())
    second = render(scan_project(root), load_catalog())
    assert json.loads(first)["runs"][0]["results"][0]["ruleId"] == "KL201"
    assert first == second


def test_a_minter_known_by_name_is_reported_at_low_precision_and_says_so(project) -> None:
    root = project(
        {
            "app.py": (
                "from flask import Flask, request\nimport acme_tokens\nfrom app_tokens import make_token\napp = Flask(__name__)\n"
                "@app.post('/internal/token')\ndef token():\n    return {'t': acme_tokens.generate_jwt(request.json['user_id'])}\n"
                "@app.post('/read')\ndef read():\n    return {'c': acme_tokens.decode_jwt(request.json['token'])}\n"
                "@app.post('/local')\ndef local():\n    return {'t': make_token(request.json['user_id'])}\n"
            ),
            # a project function: followed into its body, where nothing mints
            "app_tokens.py": "def make_token(user_id):\n    return str(user_id)\n",
        }
    )
    report = scan_project(root)
    assert _kl2(report) == {("app.py", 5, "KL201")}
    (f,) = [f for f in report.findings if f.code == "KL201"]
    assert f.precision == "low"
    assert "acme_tokens.generate_jwt() at app.py:7 (a minter by its name alone: its definition is outside the repository)" in f.message
    sarif = render(report, load_catalog())
    assert_valid_sarif(sarif)
    (result,) = [r for r in json.loads(sarif)["runs"][0]["results"] if r["ruleId"] == "KL201"]
    assert result["properties"]["precision"] == "low"


def test_connexion_operations_take_path_method_and_security_from_the_document(project) -> None:
    """Swagger 2: `basePath` prefixes every path; an operation whose security has an empty `{}`
    alternative is public; a bare operationId under `x-openapi-router-controller` names the handler;
    an operationId that is not a dotted Python name routes nothing."""
    spec = (
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\nbasePath: /v2\n"
        "securityDefinitions:\n  key: {type: apiKey, in: header, name: X-Key}\n"
        "security:\n  - key: []\n"
        "paths:\n"
        "  /tokens:\n    post:\n      operationId: svc.handlers.token\n      security:\n        - key: []\n        - {}\n"
        "      responses: {'200': {description: ok}}\n"
        "  /grants:\n    x-openapi-router-controller: svc.handlers\n    post:\n      operationId: grant\n"
        "      responses: {'200': {description: ok}}\n"
        "  /other:\n    post:\n      operationId: issueToken\n      responses: {'200': {description: ok}}\n"
    )
    handlers = (
        "from svc.tokens import mint\n"
        "def token(body):\n    return {'t': mint(body['uid'])}\n"
        "def grant(body):\n    return {'t': mint(body['uid'])}\n"
        "def issueToken(body):\n    return {'t': mint(body['uid'])}\n"
    )
    root = project({"svc/__init__.py": "import connexion\napp = connexion.App(__name__)\napp.add_api('api.yaml')\n",
                    "svc/api.yaml": spec, "svc/tokens.py": TOKENS, "svc/handlers.py": handlers})
    report = scan_project(root)
    assert _kl2(report) == {("svc/handlers.py", 2, "KL201"), ("svc/handlers.py", 4, "KL202")}
    messages = {f.location.span.line: f.message for f in report.findings if f.code.startswith("KL2")}
    assert messages[2].startswith("POST /v2/tokens is reachable without authentication (its OpenAPI security is optional)")
    assert messages[4].startswith("POST /v2/grants requires authentication (OpenAPI security: key)")
