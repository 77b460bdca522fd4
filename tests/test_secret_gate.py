"""The secret scanner's gates (keylint.extract.secrets): what every match of a detect-secrets
pattern must hold, derived from the pattern itself. A gate may only ever refuse text its pattern
cannot match: the matches found with gates are exactly those found by running every pattern
everywhere, and so are the findings."""

from __future__ import annotations

import base64
import bisect
import json
import random
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from keylint.extract import secrets
from keylint.extract.secrets import ScanDeadline, gate_for, scan_text

PATTERNS = [(pattern, gate) for _, _, patterns, gates in secrets._plugins() for pattern, gate in zip(patterns, gates)]
TWINS = "\u212a\u017f\u0131\u0130"  # Kelvin sign, long s, dotless i, dotted capital I: `re` matches them to k, s, i, i ignoring case


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


def _all_spans_agree(pattern: re.Pattern[str], gate: secrets.Gate | None, text: str) -> None:
    """For every piece of `text` as the scanner cuts it: the matches found through the gate are the
    matches of the pattern run over the whole piece, in the same order; and the gate admits the
    exact span of each match."""
    copies = secrets._Copies(text)
    lines = secrets._Lines(text, copies.plain)
    for start, end, window in secrets._pieces(lines) if text else []:
        expected = list(pattern.finditer(text, start, end))
        probe = secrets._Probe(copies, lines, start, end)
        assert _spans(secrets._matches(pattern, gate, text, probe, window is None)) == _spans(expected), (pattern.pattern, start, end)
        for m in expected:
            if gate is not None:
                assert gate.admits(secrets._Probe(copies, lines, *m.span())), (pattern.pattern, m.group())
                if gate.line_bound:
                    assert not set(m.group()) & {"\r", "\n"}, (pattern.pattern, m.group())


# -- the derivation, on patterns written here ------------------------------------------------


def test_literals_runs_and_flags_are_derived() -> None:
    pem = gate_for(re.compile("BEGIN RSA PRIVATE KEY"))
    assert pem is not None and [o.strings for o in pem.literals] == [(b"BEGIN RSA PRIVATE KEY",)]
    assert pem.literals[0].cased and pem.line_bound

    token = gate_for(re.compile(r"(tok|key)_[A-Za-z0-9]{32}"))
    assert token is not None
    assert token.runs == (32, 36)  # letters and digits only: 32; with '_' and the prefix: 36
    assert [o.strings for o in token.literals] == [(b"key_", b"tok_")]

    folded = gate_for(re.compile(r"api_?key\s*=\s*([a-f0-9]{40})", re.IGNORECASE))
    assert folded is not None and not folded.line_bound  # \s takes line breaks
    assert folded.literals[0].strings == (b"api_key", b"apikey") and not any(o.cased for o in folded.literals)
    assert folded.runs == (40, 40)

    local = gate_for(re.compile(r"x(?i:secret)[0-9]{8}"))  # ignores case in part: all of it is looked for folded
    assert local is not None and not any(o.cased for o in local.literals) and (b"xsecret",) in [o.strings for o in local.literals]

    digits = gate_for(re.compile(r"AP[\dABCDEF][a-z]{3}"))  # a non-ASCII digit is '?' in the copies
    assert digits is not None and b"AP?" in digits.literals[0].strings and digits.literals[0].regex is not None

    ahead = gate_for(re.compile(r"ghp_[a-z]{4}(?![a-z0-9]{3})"))
    assert ahead is not None and ahead.line_bound and ahead.reach == 3 + 2

    word = re.compile(r"id_\w{30}")  # \w takes '_' and any script's letters: in the second class only
    gate = gate_for(word)
    assert gate is not None and gate.runs == (2, 33)
    _all_spans_agree(word, gate, "x = id_" + "a_" * 15 + "\ny = id_" + "\u00e9" * 30 + "\n")


def test_what_cannot_be_described_gets_no_gate_or_a_weaker_one() -> None:
    assert gate_for(re.compile(r".{5}")) is None
    assert gate_for(re.compile(r"(?:a|b)?c?")) is None
    dotted = gate_for(re.compile(r"sk-.+"))  # `.` takes '\r': not line-bound, still gated on "sk-"
    assert dotted is not None and not dotted.line_bound and [o.strings for o in dotted.literals] == [(b"sk-",)]
    backref = gate_for(re.compile(r"(['\"])[A-Z]{20}\1"))  # a back reference: nothing known of it, the rest holds
    assert backref is not None and backref.runs == (20, 20) and not backref.line_bound


# -- soundness on every detect-secrets pattern -------------------------------------------------


def test_the_detect_secrets_patterns_are_gated() -> None:
    assert len(PATTERNS) >= 40
    # a pattern without a gate is still scanned correctly, only everywhere: a new construct in
    # detect-secrets that the derivation does not know shows up here
    assert sum(gate is None for _, gate in PATTERNS) <= 2, [p.pattern for p, gate in PATTERNS if gate is None]
    # nearly all find their lines by something rare, and run on those lines alone
    assert sum(gate.line_bound and gate.anchor is not None for _, gate in PATTERNS if gate is not None) >= len(PATTERNS) - 8


_FILLER = st.lists(
    st.sampled_from(["x = 1", "def f(key): return key", "token: abc", "pass", "  ", "\u00e9t\u00e9", "\u043a\u043b\u044e\u0447", TWINS, " " * 20, "a" * 30, "eyJ.", "://u:p@h"]),
    max_size=6,
)


@pytest.mark.parametrize("index", range(len(PATTERNS)), ids=[p.pattern[:40] for p, _ in PATTERNS])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=st.data())
def test_gated_matches_equal_matches_of_the_whole_piece(index: int, data: st.DataObject) -> None:
    pattern, gate = PATTERNS[index]
    example = data.draw(st.from_regex(pattern), label="example")
    # letters turned to the other case or to a character `re` matches them to ignoring case
    twisted = "".join(data.draw(st.sampled_from([c, c.swapcase(), {"k": "\u212a", "s": "\u017f", "i": "\u0131", "I": "\u0130"}.get(c, c)])) if c.isalpha() else c for c in example[:80]) + example[80:]
    before, after = data.draw(_FILLER, label="before"), data.draw(_FILLER, label="after")
    newline = data.draw(st.sampled_from(["\n", "\r\n", "\r"]), label="newline")
    middle = data.draw(st.sampled_from(["", " ", "=", '"', "\u00e9"]), label="glue")
    text = newline.join([*before, middle.join([example, twisted, example]), *after])
    if data.draw(st.booleans(), label="long line"):  # the same inside windows of a long line
        text = "q" * 3000 + text.replace("\r", "").replace("\n", " ") + "z" * 2500
    _all_spans_agree(pattern, gate, text)


# -- identical findings with and without gates -------------------------------------------------


def _token(rng: random.Random, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _planted_secrets(rng: random.Random) -> list[str]:
    """One line of each kind of secret detect-secrets knows, written here (fake, random)."""
    hex_, lower = "0123456789abcdef", string.ascii_lowercase + string.digits
    b64 = string.ascii_letters + string.digits + "+/"
    url_b64 = string.ascii_letters + string.digits + "-_"
    claims = json.dumps({"sub": _token(rng, 12), "iat": rng.randrange(10**9, 2 * 10**9)})
    jwt = ".".join(base64.urlsafe_b64encode(part.encode()).decode().rstrip("=") for part in ('{"alg":"HS256","typ":"JWT"}', claims)) + "." + _token(rng, 43, url_b64)
    return [
        f'AWS_ACCESS_KEY_ID = "AK{"IA"}{_token(rng, 16, string.ascii_uppercase + string.digits)}"',
        f'aws_secret_access_key = "{_token(rng, 40, b64)}"',
        f"artifactory: AKC{_token(rng, 14)}",
        f'artifactory_password = "AP6{_token(rng, 10)}"',
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={_token(rng, 86, b64)}==;EndpointSuffix=core",
        f"DATABASE_URL = 'postgres://admin:{_token(rng, 14)}@db.internal:5432/app'",
        f'cloudant_password = "{_token(rng, 64, hex_)}"',
        f"url = 'https://acct:{_token(rng, 64, hex_)}@acct.cloudant.com'",
        f"DISCORD = 'M{_token(rng, 23)}.{_token(rng, 6)}.{_token(rng, 27)}'",
        f"token = 'gh{'p'}_{_token(rng, 36)}'",
        f"GITLAB = 'gl{'pat'}-{_token(rng, 20)}'",
        f'ibm_cos_secret_access_key = "{_token(rng, 48, hex_)}"',
        f"ibm_cloud_iam_api_key: {_token(rng, 44, url_b64)}",
        f"Authorization: Bearer {jwt}",
        f"mailchimp = '{_token(rng, 32, hex_)}-us12'",
        f"//registry.npmjs.org/:_authToken=npm_{_token(rng, 36)}",
        f"OPENAI_API_KEY = 'sk-{_token(rng, 20)}T3Blbk{'FJ'}{_token(rng, 20)}'",
        f"twine = 'pypi-AgEIcHlwaS5vcmc{_token(rng, 80, url_b64)}'",
        f"SENDGRID = 'SG.{_token(rng, 22, url_b64)}.{_token(rng, 43, url_b64)}'",
        f"slack_token = 'xo{'xb'}-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{_token(rng, 24, lower)}'",
        f"hook = 'https://hooks.slack.com/services/T{_token(rng, 8)}/B{_token(rng, 8)}/{_token(rng, 24)}'",
        f'softlayer_api_key = "{_token(rng, 64, lower)}"',
        f"endpoint = 'https://api.softlayer.com/soap/v3/{_token(rng, 64, lower)}'",
        f"SQUARE = 'sq0{'csp'}-{_token(rng, 43, url_b64)}'",
        f"stripe.api_key = 'sk_{'live'}_{_token(rng, 24)}'",
        f"TELEGRAM = '{rng.randrange(10**8, 10**9)}:{_token(rng, 35, url_b64)}'",
        f"TWILIO_SID = 'AC{_token(rng, 32, lower)}'",
        f"TWILIO_KEY = 'SK{_token(rng, 32, lower)}'",
    ]


def _pem(rng: random.Random, label: str) -> str:
    body = "\n".join(_token(rng, 64, string.ascii_letters + string.digits + "+/") for _ in range(6))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def _putty(rng: random.Random) -> str:
    b64 = string.ascii_letters + string.digits + "+/"
    public = "\n".join(_token(rng, 64, b64) for _ in range(2))
    private = "\n".join(_token(rng, 64, b64) for _ in range(2))
    return (f"PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: rsa-key-20240607\nPublic-Lines: 2\n{public}\n"
            f"Private-Lines: 2\n{private}\nPrivate-MAC: {_token(rng, 40, '0123456789abcdef')}\n")


def _corpus() -> dict[str, str]:
    """Files in which the secrets sit the ways they do in real trees: in code, in config, after a
    long run of spaces, with CRLF or CR line ends, among non-ASCII text, deep in a long minified
    line (windows) and past the first 32 KiB block."""
    rng = random.Random(20240607)
    planted = _planted_secrets(rng)
    filler = [f"def handler_{i}(request):\n    return render(request, 'page_{i}.html', {{'key': {i}}})\n" for i in range(400)]
    files = {
        "app/settings.py": "\n".join(planted) + "\n",
        "deploy/values.yaml": "".join(f"{line.split('=')[0].strip(' :')}: {line}\n" for line in planted),
        "crlf.env": "\r\n".join(planted) + "\r\n",
        "cr.txt": "\r".join(planted),
        "spaces.cfg": "".join(f"[s]\nvalue ={' ' * rng.randrange(17, 300)}{line}\n" for line in planted),
        "locale/tr.po": "".join(f'msgid "{line}"\nmsgstr "{TWINS} \u00e7\u0131k\u0131\u015f {line}"\n' for line in planted),
        "dist/app.min.js": "var a=" + ";".join(f"x{i}='{line}'" if i % 7 == 0 else f"f{i}(k,{i})" for i, line in enumerate(planted * 30)) + ";",
        "big.py": "".join(filler) + "\n".join(planted) + "\n" + "".join(filler) + planted[9] + "\n",
        "keys/bundle.pem": "".join(_pem(rng, f"{kind}PRIVATE KEY{block}") for kind, block in [("RSA ", ""), ("EC ", ""), ("DSA ", ""), ("OPENSSH ", ""), ("", ""), ("PGP ", " BLOCK"), ("SSH2 ENCRYPTED ", "")]),
        "keys/inline.py": f'KEY = """{_pem(rng, "RSA PRIVATE KEY")}"""\nONE_LINE = "{_pem(rng, "EC PRIVATE KEY").replace(chr(10), chr(92) + "n")}"\n',
        "putty.ppk": _putty(rng),
        "clean.py": "".join(filler),
    }
    return files


# the same detectors with no gates: every pattern runs over every piece, as before gates existed
UNGATED = tuple((plugin, code, patterns, (None,) * len(patterns)) for plugin, code, patterns, _ in secrets._plugins())


def _ungated() -> tuple:
    return UNGATED


def test_findings_are_identical_with_and_without_gates(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus()
    gated = {path: list(scan_text(path, text)) for path, text in corpus.items()}
    monkeypatch.setattr(secrets, "_plugins", _ungated)
    everywhere = {path: list(scan_text(path, text)) for path, text in corpus.items()}
    assert gated == everywhere
    # and the comparison is not an empty one: every kind of finding, in every file that has secrets
    assert {f.code for found in gated.values() for f in found} == {"KL110", "KL112", "KL113"}
    assert all(gated[path] for path in corpus if path != "clean.py") and not gated["clean.py"]
    types = {f.token.split(":")[0] for found in gated.values() for f in found}
    assert len(types) >= 20, types
    assert len(gated["keys/bundle.pem"]) == 7 and gated["dist/app.min.js"]  # every PEM kind; secrets inside windows


def test_deadline_still_stops_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _corpus()["big.py"]
    with pytest.raises(ScanDeadline) as gated:
        list(scan_text("big.py", text, deadline=0.0))
    monkeypatch.setattr(secrets, "_plugins", _ungated)
    with pytest.raises(ScanDeadline) as everywhere:
        list(scan_text("big.py", text, deadline=0.0))
    assert gated.value.line == everywhere.value.line == 1


# -- the faster line table, pieces and space shortening are the ones they replace ---------------


def _reference_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def _reference_pieces(starts: list[int], size: int) -> list[tuple[int, int, int | None]]:
    out: list[tuple[int, int, int | None]] = []
    block_start = 0
    for number in range(1, len(starts) + 1):
        begin, end = starts[number - 1], starts[number] if number < len(starts) else size
        if end - begin <= secrets._LONG_LINE:
            if end - block_start > secrets._BLOCK:
                if begin > block_start:
                    out.append((block_start, begin, None))
                block_start = begin
            continue
        if begin > block_start:
            out.append((block_start, begin, None))
        for w in range(begin, end, secrets._LONG_LINE - secrets._OVERLAP):
            out.append((w, min(w + secrets._LONG_LINE, end), number))
            if w + secrets._LONG_LINE >= end:
                break
        block_start = end
    if block_start < size:
        out.append((block_start, size, None))
    return out


def test_lines_pieces_and_shortened_spaces_match_their_plain_definitions() -> None:
    rng = random.Random(5)
    parts = ["a", "bc", " ", "\n", "\r", "\r\n", "\u2028", "\x0b", "\x85", "\u00e9", " " * 17, " " * 300, "x" * 4095, "y" * 4096, "z" * 4097, "w" * 9000, "v" * 700]
    for _ in range(1000):  # up to ~400 kB: many blocks of 32 KiB, long lines cut into windows
        text = "".join(rng.choice(parts) for _ in range(rng.choice([0, 1, 2, 3, 10, 30, 100, 300])))
        lines = secrets._Lines(text)
        assert lines.starts == _reference_starts(text)
        assert secrets._pieces(lines) == _reference_pieces(lines.starts, len(text))
        assert secrets._shorten_spaces(text) == re.sub(" {17,}", " " * 16, text)
        for offset in (0, len(text) // 2, len(text)):
            assert lines.number(offset) == bisect.bisect_right(lines.starts, offset)


@given(st.text(alphabet=st.characters(codec=None) | st.sampled_from(TWINS + "kKsSiI")))
def test_folded_copy_keeps_offsets_and_lowers_what_re_matches_to_a_letter(text: str) -> None:
    copies = secrets._Copies(text)
    assert len(copies.plain) == len(copies.folded) == len(text) == len(copies.runs[0]) == len(copies.runs[1])
    for i, char in enumerate(text):
        letter = next((c for c in string.ascii_lowercase if re.fullmatch(c, char, re.IGNORECASE)), None)
        if letter is not None:
            assert copies.folded[i] == ord(letter)
        elif char.isascii():
            assert copies.folded[i] == ord(char.lower())
        else:
            assert copies.folded[i] == ord("?")
