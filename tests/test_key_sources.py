"""KL505-KL507: key sources, on small projects made for each shape (the fixtures hold the main ones)."""

from __future__ import annotations

from conftest import scan_project
from keylint.catalog import load_catalog
from keylint.extract import extract_file
from keylint.model import Severity


def _found(root, code: str) -> list[tuple[str, int, Severity]]:
    return [(f.location.path, f.location.span.line, f.severity) for f in scan_project(root).findings if f.code == code]


def test_a_key_callback_that_reads_the_header_it_is_given_builds_the_key_from_the_token(project) -> None:
    root = project({"api/verify.py": (
        "from authlib.jose import JsonWebKey, jwt\n"
        "\n"
        "def load_key(header, payload):\n"
        "    return JsonWebKey.import_key(header['jwk'])\n"
        "\n"
        "def claims(token):\n"
        "    return jwt.decode(token, load_key)\n"
    )})
    assert _found(root, "KL505") == [("api/verify.py", 4, Severity.CRITICAL)]


def test_jwcrypto_jose_header_is_the_token_s_own_word(project) -> None:
    root = project({"api/verify.py": (
        "import requests\n"
        "from jwcrypto import jwk, jws\n"
        "\n"
        "def claims(token):\n"
        "    sig = jws.JWS()\n"
        "    sig.deserialize(token)\n"
        "    keys = jwk.JWKSet.from_json(requests.get(sig.jose_header['jku'], timeout=5).text)\n"
        "    sig.verify(keys.get_key(sig.jose_header['kid']))\n"
        "    return sig.payload\n"
    )})
    assert _found(root, "KL505") == [("api/verify.py", 7, Severity.CRITICAL)]


def test_the_kid_only_chooses_among_keys_of_a_fixed_url(project) -> None:
    root = project({"api/verify.py": (
        "import json\n"
        "import jwt, requests\n"
        "from jwt.algorithms import RSAAlgorithm\n"
        "\n"
        "JWKS = requests.get('https://idp.example.com/.well-known/jwks.json', timeout=5).json()\n"
        "KEYS = {k['kid']: RSAAlgorithm.from_jwk(json.dumps(k)) for k in JWKS['keys']}\n"
        "\n"
        "def claims(token):\n"
        "    kid = jwt.get_unverified_header(token)['kid']\n"
        "    return jwt.decode(token, KEYS[kid], algorithms=['RS256'], audience='api', issuer='https://idp.example.com/')\n"
    )})
    report = scan_project(root)
    assert not [f for f in report.findings if f.code in ("KL505", "KL506", "KL507")]


def test_a_session_whose_verify_is_turned_off_fetches_keys_insecurely(project) -> None:
    root = project({"api/keys.py": (
        "import requests\n"
        "\n"
        "SESSION = requests.Session()\n"
        "SESSION.verify = False\n"
        "\n"
        "def jwks():\n"
        "    return SESSION.get('https://idp.example.com/jwks.json', timeout=5).json()\n"
    )})
    assert _found(root, "KL506") == [("api/keys.py", 7, Severity.HIGH)]


def test_an_ssl_context_with_cert_none_fetches_keys_insecurely(project) -> None:
    root = project({"api/keys.py": (
        "import ssl\n"
        "import jwt\n"
        "\n"
        "CONTEXT = ssl.create_default_context()\n"
        "CONTEXT.check_hostname = False\n"
        "CONTEXT.verify_mode = ssl.CERT_NONE\n"
        "CLIENT = jwt.PyJWKClient('https://idp.example.com/jwks.json', ssl_context=CONTEXT)\n"
    )})
    found = [f for f in scan_project(root).findings if f.code == "KL506"]
    assert [(f.location.span.line, f.severity) for f in found] == [(7, Severity.HIGH)]
    assert {r.location.span.line for r in found[0].related} == {5, 6}


def test_a_discovery_document_and_its_key_set_fetched_insecurely_are_one_finding(project) -> None:
    root = project({"api/oidc.py": (
        "import requests\n"
        "from jwt.algorithms import RSAAlgorithm\n"
        "\n"
        "ISSUER = 'https://idp.example.com'\n"
        "config = requests.get(ISSUER + '/.well-known/openid-configuration', verify=False).json()\n"
        "jwks = requests.get(config['jwks_uri'], verify=False).json()\n"
        "PUBLIC_KEY = RSAAlgorithm.from_jwk(jwks['keys'][0])\n"
    )})
    found = [f for f in scan_project(root).findings if f.code == "KL506"]
    assert [f.location.span.line for f in found] == [6]
    assert [r.location.span.line for r in found[0].related] == [5]


def test_plain_http_to_this_machine_is_low_and_a_url_from_settings_is_followed(project) -> None:
    root = project({
        "api/settings.py": "import os\nJWKS_URL = os.environ.get('JWKS_URL', 'http://127.0.0.1:8081/jwks.json')\nCERTS = 'http://idp.example.com/certs'\n",
        "api/keys.py": (
            "import jwt\n"
            "from api import settings\n"
            "\n"
            "LOCAL = jwt.PyJWKClient(settings.JWKS_URL)\n"
            "REMOTE = jwt.PyJWKClient(settings.CERTS)\n"
        ),
        "api/__init__.py": "",
    })
    found = [f for f in scan_project(root).findings if f.code == "KL506"]
    assert [(f.location.span.line, f.severity) for f in found] == [(4, Severity.LOW), (5, Severity.HIGH)]
    assert [(r.location.path, r.location.span.line) for r in found[1].related] == [("api/settings.py", 3)]


def test_a_request_that_is_not_for_keys_is_not_reported(project) -> None:
    root = project({"api/report.py": (
        "import requests\n"
        "\n"
        "def send(report_url, data, public_key_path):\n"
        "    requests.post(report_url, json=data, verify=False)\n"
        "    requests.get('http://status.example.com/ping', verify=False)\n"
    )})
    assert _found(root, "KL506") == []


def test_an_uploaded_key_file_is_writable_but_a_generated_one_and_a_test_s_are_not(project) -> None:
    root = project({
        "api/__init__.py": "",
        "api/paths.py": "JWKS_PATH = '/srv/api/jwks.json'\nKEY_PATH = '/srv/api/signing.pem'\n",
        "api/admin.py": (
            "from flask import Flask, request\n"
            "from api.paths import JWKS_PATH\n"
            "app = Flask(__name__)\n"
            "\n"
            "@app.post('/admin/jwks')\n"
            "def upload():\n"
            "    request.files['jwks'].save(JWKS_PATH)\n"
            "    return '', 204\n"
        ),
        "api/verify.py": (
            "import jwt\n"
            "from cryptography.hazmat.primitives import serialization\n"
            "from api.paths import JWKS_PATH, KEY_PATH\n"
            "\n"
            "def key_set():\n"
            "    with open(JWKS_PATH) as f:\n"
            "        return jwt.PyJWKSet.from_json(f.read())\n"
            "\n"
            "def signing_key():\n"
            "    with open(KEY_PATH, 'rb') as f:\n"
            "        return serialization.load_pem_private_key(f.read(), password=None)\n"
        ),
        "tests/test_keys.py": "from api.paths import KEY_PATH\n\ndef test_key(tmp_path):\n    open(KEY_PATH, 'w').write('x')\n",
    })
    found = [f for f in scan_project(root).findings if f.code == "KL507"]
    assert [(f.location.path, f.location.span.line, f.severity) for f in found] == [("api/verify.py", 6, Severity.MEDIUM)]
    assert [(r.location.path, r.location.span.line) for r in found[0].related] == [("api/admin.py", 7)]


def test_a_module_without_the_family_s_words_is_not_walked() -> None:
    facts = extract_file("app/views.py", b"import requests\n\ndef ping():\n    return requests.get('http://x.example.com', verify=False)\n", load_catalog())
    assert facts.python is not None and "key_sources" not in facts.python.families


def test_a_url_is_kept_without_its_user_information_or_query() -> None:
    source = b"import jwt\nJWKS = jwt.PyJWKClient('https://user:hunter2hunter2@idp.example.com/jwks.json?token=abc123def456')\n"
    facts = extract_file("app/keys.py", source, load_catalog())
    assert facts.python is not None
    text = repr(facts.python.families["key_sources"])
    assert "hunter2" not in text and "abc123" not in text and "https://idp.example.com/jwks.json" in text
