"""Key fingerprints: SHA-256 of normalized key material, the same wherever and however a key is written.

- Asymmetric keys (PEM PKCS#1/PKCS#8/SEC1, OpenSSH private keys, `ssh-…` public key lines, JWKs):
  SHA-256 of the DER SubjectPublicKeyInfo of the *public* key, so a private key, its public key and
  the key written in another format all get one fingerprint, the same one
  `openssl pkey -pubout -outform DER | sha256sum` prints. A security team can compute it from the
  public key alone.
- Keys whose public half cannot be derived here (encrypted private keys, DSA, unknown algorithms):
  SHA-256 of the DER bytes (PEM base64 decoded: line wrapping and escapes do not matter).
- HMAC secrets and other strings: SHA-256 of their raw bytes (UTF-8), as `Secret.digest` keeps them.

Pure Python (no `cryptography` dependency): a small DER reader/writer, and Ed25519's scalar
multiplication for PKCS#8 Ed25519 keys, which carry only the private seed. Nothing here keeps or
returns key material: only digests and a short description of the kind of key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import struct
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True, slots=True)
class KeyId:
    digest: str  # sha256 hex of the normalized key material
    kind: str  # "RSA-2048 private key", "Ed25519 public key", "secret (32 bytes)", ...


def secret_id(value: str | bytes) -> KeyId:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return KeyId(hashlib.sha256(raw).hexdigest(), f"secret ({len(raw)} bytes)")


# ---- DER ----

_OID_RSA = bytes.fromhex("2a864886f70d010101")
_OID_EC = bytes.fromhex("2a8648ce3d0201")
_OID_ED25519 = bytes.fromhex("2b6570")
_CURVES = {  # curve OID -> (name, SSH name)
    bytes.fromhex("2a8648ce3d030107"): ("P-256", "nistp256"),
    bytes.fromhex("2b81040022"): ("P-384", "nistp384"),
    bytes.fromhex("2b81040023"): ("P-521", "nistp521"),
    bytes.fromhex("2b8104000a"): ("secp256k1", "secp256k1"),
}
_CURVE_BY_NAME = {name: oid for oid, (name, _) in _CURVES.items()} | {ssh: oid for oid, (_, ssh) in _CURVES.items()}


class _DerError(ValueError):
    pass


def _tlv(data: bytes, at: int) -> tuple[int, bytes, int]:
    """(tag, content, next offset) of the element at `at`."""
    if at + 2 > len(data):
        raise _DerError("truncated")
    tag, length = data[at], data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            raise _DerError("bad length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > len(data):
        raise _DerError("truncated")
    return tag, data[at : at + length], at + length


def _children(content: bytes) -> list[tuple[int, bytes]]:
    out, at = [], 0
    while at < len(content):
        tag, value, at = _tlv(content, at)
        out.append((tag, value))
    return out


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _int(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")  # room for a sign bit
    return _der(0x02, raw)


def _spki(algorithm: bytes, key: bytes) -> bytes:
    return _der(0x30, _der(0x30, algorithm) + _der(0x03, b"\x00" + key))


def _rsa_id(n: int, e: int, private: bool) -> KeyId:
    algorithm = _der(0x06, _OID_RSA) + b"\x05\x00"
    spki = _spki(algorithm, _der(0x30, _int(n) + _int(e)))
    return KeyId(hashlib.sha256(spki).hexdigest(), f"RSA-{n.bit_length()} {'private' if private else 'public'} key")


def _ec_id(curve: bytes, point: bytes, private: bool) -> KeyId:
    spki = _spki(_der(0x06, _OID_EC) + _der(0x06, curve), point)
    name = _CURVES.get(curve, ("EC", ""))[0]
    return KeyId(hashlib.sha256(spki).hexdigest(), f"EC {name} {'private' if private else 'public'} key")


def _ed25519_id(public: bytes, private: bool) -> KeyId:
    spki = _spki(_der(0x06, _OID_ED25519), public)
    return KeyId(hashlib.sha256(spki).hexdigest(), f"Ed25519 {'private' if private else 'public'} key")


def _pkcs1(content: bytes) -> KeyId:
    fields = _children(_children(content)[0][1])
    return _rsa_id(int.from_bytes(fields[1][1], "big"), int.from_bytes(fields[2][1], "big"), True)


def _sec1(content: bytes, curve: bytes | None) -> KeyId | None:
    fields = _children(_children(content)[0][1])
    for tag, value in fields[2:]:
        if tag == 0xA0:
            curve = _children(value)[0][1]
        elif tag == 0xA1 and curve is not None:
            bits = _children(value)[0][1]
            return _ec_id(curve, bits[1:], True)
    return None  # no public key in the file


def _pkcs8(der: bytes) -> KeyId | None:
    fields = _children(_children(der)[0][1])
    algorithm = _children(fields[1][1])
    oid, private = algorithm[0][1], fields[2][1]
    if oid == _OID_RSA:
        return _pkcs1(private)
    if oid == _OID_EC:
        return _sec1(private, algorithm[1][1] if len(algorithm) > 1 else None)
    if oid == _OID_ED25519:
        for tag, value in fields[3:]:
            if tag in (0x81, 0xA1):  # OneAsymmetricKey publicKey
                return _ed25519_id(value[1:] if tag == 0x81 else _children(value)[0][1][1:], True)
        seed = _children(private)[0][1]
        return _ed25519_id(ed25519_public(seed), True)
    return None


def _spki_id(der: bytes) -> KeyId | None:
    fields = _children(_children(der)[0][1])
    oid = _children(fields[0][1])[0][1]
    kind = {_OID_RSA: "RSA", _OID_EC: "EC", _OID_ED25519: "Ed25519"}.get(oid, "")
    if kind == "RSA":
        n, e = (int.from_bytes(v, "big") for _, v in _children(_children(fields[1][1][1:])[0][1]))
        return _rsa_id(n, e, False)
    label = f"{kind or 'asymmetric'} public key"
    if kind == "EC":
        curve = _children(fields[0][1])[1][1]
        label = f"EC {_CURVES.get(curve, ('EC', ''))[0]} public key"
    return KeyId(hashlib.sha256(der).hexdigest(), label)


# ---- OpenSSH ----


def _ssh_strings(data: bytes) -> Iterator[bytes]:
    at = 0
    while at + 4 <= len(data):
        (n,) = struct.unpack(">I", data[at : at + 4])
        yield data[at + 4 : at + 4 + n]
        at += 4 + n


def ssh_public_id(blob: bytes, private: bool) -> KeyId | None:
    """A key in SSH wire format (`ssh-rsa`, `ssh-ed25519`, `ecdsa-sha2-*`)."""
    parts = list(_ssh_strings(blob))
    if not parts:
        return None
    kind = parts[0]
    if kind == b"ssh-rsa" and len(parts) >= 3:
        return _rsa_id(int.from_bytes(parts[2], "big"), int.from_bytes(parts[1], "big"), private)
    if kind == b"ssh-ed25519" and len(parts) >= 2:
        return _ed25519_id(parts[1], private)
    if kind.startswith(b"ecdsa-sha2-") and len(parts) >= 3:
        curve = _CURVE_BY_NAME.get(parts[1].decode("ascii", "replace"))
        return _ec_id(curve, parts[2], private) if curve else None
    return None


def _openssh_private(raw: bytes) -> KeyId | None:
    magic = b"openssh-key-v1\x00"
    if not raw.startswith(magic):
        return None
    # ciphername, kdfname, kdfoptions, then a count and the public keys: readable even when encrypted
    body = raw[len(magic) :]
    strings = _ssh_strings(body)
    consumed = 0
    for _ in range(3):
        consumed += 4 + len(next(strings))
    (count,) = struct.unpack(">I", body[consumed : consumed + 4])
    if count < 1:
        return None
    public = next(_ssh_strings(body[consumed + 4 :]))
    return ssh_public_id(public, True)


# ---- Ed25519 (RFC 8032), only to derive a public key from a PKCS#8 seed ----

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_GY = 4 * pow(5, _P - 2, _P) % _P


def _recover_x(y: int) -> int:
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    return _P - x if x & 1 else x


_G = (_recover_x(_GY), _GY, 1, _recover_x(_GY) * _GY % _P)


def _add(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    k = (y1 - x1) * (y2 - x2) % _P
    m = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    dd = 2 * z1 * z2 % _P
    e, f, g, h = m - k, dd - c, dd + c, m + k
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def ed25519_public(seed: bytes) -> bytes:
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    point, q = (0, 1, 1, 0), _G
    while scalar:
        if scalar & 1:
            point = _add(point, q)
        q = _add(q, q)
        scalar >>= 1
    x, y, z, _ = point
    zi = pow(z, _P - 2, _P)
    x, y = x * zi % _P, y * zi % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


# ---- PEM, JWK, and whatever a user hands to `keylint fingerprint` ----

_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_ESCAPES = re.compile(r"\\[nrt]")
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/=]")


def _pem_bytes(body: str) -> bytes | None:
    body = _ESCAPES.sub("\n", body)
    lines = [line for line in body.splitlines() if ":" not in line]  # RFC 1421 headers (Proc-Type, DEK-Info)
    try:
        return base64.b64decode(_NOT_B64.sub("", "".join(lines)), validate=False)
    except (binascii.Error, ValueError):
        return None


def pem_id(label: str, body: str) -> KeyId | None:
    """The fingerprint of one PEM block (`label` as in `BEGIN <label>`), None when it is not decodable."""
    raw = _pem_bytes(body)
    if not raw:
        return None
    encrypted = "ENCRYPTED" in label or "Proc-Type: 4,ENCRYPTED" in body
    try:
        found: KeyId | None = None
        if label == "OPENSSH PRIVATE KEY":
            found = _openssh_private(raw)
        elif not encrypted and label == "RSA PRIVATE KEY":
            found = _pkcs1(raw)
        elif not encrypted and label == "EC PRIVATE KEY":
            found = _sec1(raw, None)
        elif not encrypted and label == "PRIVATE KEY":
            found = _pkcs8(raw)
        elif label == "PUBLIC KEY":
            found = _spki_id(raw)
        elif label == "RSA PUBLIC KEY":
            n, e = (int.from_bytes(v, "big") for _, v in _children(_children(raw)[0][1])[:2])
            found = _rsa_id(n, e, False)
        if found is not None:
            return found
    except (_DerError, IndexError, ValueError, StopIteration, struct.error):
        pass
    what = label.lower().replace("encrypted ", "").strip() or "key"
    return KeyId(hashlib.sha256(raw).hexdigest(), f"{'encrypted ' if encrypted else ''}{what} (DER digest)")


def first_pem_id(text: str, start: int = 0, limit: int = 64 * 1024, begins_before: int | None = None) -> KeyId | None:
    """The fingerprint of the first PEM block at or after offset `start` (that begins before
    `begins_before`, when given: the block on one line, not a later one)."""
    m = _PEM.search(text, start, min(len(text), start + limit))
    if m is None or (begins_before is not None and m.start() >= begins_before):
        return None
    return pem_id(m.group(1), m.group(2))


# ---- is there a private key after the armour? ----

# A private key's header: PEM's five dashes (RFC 7468), SSH2's four with spaces (RFC 4716), PuTTY's first line.
_PRIVATE_HEADER = re.compile(r"-{4,5} ?BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?) ?-{4,5}|PuTTY-User-Key-File-\d+: *(\S*)")
_PRIVATE_END = re.compile(r"-{4,5} ?END ")
# Line breaks as they appear in source: real ones, or escaped once or more inside string literals.
_SOURCE_BREAK = re.compile(r"(?:\\+[nr])+|[\r\n]+")
# String-literal syntax around one line of a key written in code: `    b"MIIE...\n" +`, `'...',`
# (`+` and `/` are base64 too: a leading `+` counts as syntax only before a space or a quote)
_LITERAL_EDGES = re.compile(r"""^\s*(?:[,;+(]+(?=[\s"'`])\s*)*(?:[bBrRuU]{0,2}["'`])?|(?:["'`\s][\s,;+)\\]*|\\)$""")
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]+")
_HEADER_LINE = re.compile(r"[A-Za-z][A-Za-z0-9-]*: ")  # RFC 1421 / 4716 / PuTTY headers: Proc-Type, DEK-Info, Comment
# The fewest base64 characters a private key can take: the smallest one keylint knows (an Ed25519
# or X25519 PKCS#8 key) is 48 bytes, 64 characters; 40 leaves room for a key cut short in a copy.
MIN_KEY_BODY = 40
_PLACEHOLDER_DIVERSITY = 10  # a body of fewer distinct characters is filler ("AAAA...", "xxxx..."), not a key


@dataclass(frozen=True, slots=True)
class PrivateBlock:
    """The private key whose armour begins at some place of a text, as far as it can be read there."""

    label: str  # "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PuTTY ssh-rsa"
    body: int  # base64 characters of key material after the armour (0: armour around nothing)
    encrypted: bool  # protected by a passphrase: ENCRYPTED label, Proc-Type header, an OpenSSH cipher, PuTTY encryption
    placeholder: bool  # filler or a documented example where the key would be

    @property
    def is_key(self) -> bool:
        return self.body >= MIN_KEY_BODY and not self.placeholder


def _unquoted(piece: str) -> str:
    return _LITERAL_EDGES.sub("", piece)


def private_block(text: str, start: int, end: int, kind: str = "", limit: int = 16 * 1024) -> PrivateBlock | None:
    """The private key whose header begins in text[start:end] (one line) and holds `kind` ("BEGIN
    RSA PRIVATE KEY"): the first of them that holds a key, else the last one read. None when no
    header is there (the words "BEGIN PRIVATE KEY" in a regular expression or a sentence)."""
    found = None
    for header in _PRIVATE_HEADER.finditer(text, start, end):
        if kind in header.group(0):
            found = _block_after(text, header, limit)
            if found.is_key:
                break
    return found


def _block_after(text: str, header: re.Match[str], limit: int) -> PrivateBlock:
    region = text[header.end() : header.end() + limit]
    if header.group(1) is None:
        return _putty_block(header.group(2), region)
    label = header.group(1)
    closing = _PRIVATE_END.search(region)
    if closing is not None:
        region = region[: closing.start()]
    encrypted = "ENCRYPTED" in label
    lines: list[str] = []
    for piece in _SOURCE_BREAK.split(region):
        line = _unquoted(piece)
        if not line:
            continue
        if not lines and _HEADER_LINE.match(line):
            encrypted = encrypted or "ENCRYPTED" in line
            continue
        if not _BASE64_LINE.fullmatch(line):
            break  # a comment, a template, "...": the key, if any, is not here
        lines.append(line)
    body = "".join(lines)
    if label == "OPENSSH PRIVATE KEY" and not encrypted:
        encrypted = _openssh_cipher(body) not in ("", "none")
    return PrivateBlock(label, len(body), encrypted, _filler(body))


def _putty_block(algorithm: str, region: str) -> PrivateBlock:
    encrypted, body, remaining = False, [], 0
    for line in _SOURCE_BREAK.split(region):
        line = _unquoted(line)
        if remaining:
            if not _BASE64_LINE.fullmatch(line):
                break
            body.append(line)
            remaining -= 1
        elif line.startswith("Encryption:"):
            encrypted = line.split(":", 1)[1].strip() not in ("", "none")
        elif line.startswith("Private-Lines:"):
            count = line.split(":", 1)[1].strip()
            remaining = int(count) if count.isdigit() else 0
        elif line.startswith("PuTTY-User-Key-File-"):
            break  # the next key
    joined = "".join(body)
    return PrivateBlock(f"PuTTY {algorithm}".strip(), len(joined), encrypted, _filler(joined))


def _filler(body: str) -> bool:
    return len(set(body)) < _PLACEHOLDER_DIVERSITY or "EXAMPLE" in body


def _openssh_cipher(body: str) -> str:
    """The cipher an OpenSSH private key is encrypted with ("none" when it is not), "" if unreadable."""
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=False)
    except (binascii.Error, ValueError):
        return ""
    magic = b"openssh-key-v1\x00"
    if not raw.startswith(magic):
        return ""
    cipher = next(_ssh_strings(raw[len(magic) :]), b"")
    return cipher.decode("ascii", "replace")


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def jwk_id(jwk: dict[str, Any]) -> KeyId | None:
    """The fingerprint of a JWK: its public key, or the raw bytes of an `oct` secret."""
    try:
        kty = jwk.get("kty")
        private = any(isinstance(jwk.get(m), str) for m in ("d", "p", "q"))
        if kty == "RSA":
            return _rsa_id(int.from_bytes(_b64url(jwk["n"]), "big"), int.from_bytes(_b64url(jwk["e"]), "big"), private)
        if kty == "EC":
            curve = _CURVE_BY_NAME.get(jwk.get("crv", "").replace("secp256k1", "secp256k1"))
            if curve is None:
                return None
            return _ec_id(curve, b"\x04" + _b64url(jwk["x"]) + _b64url(jwk["y"]), private)
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            return _ed25519_id(_b64url(jwk["x"]), private)
        if kty == "oct" and isinstance(jwk.get("k"), str):
            return secret_id(_b64url(jwk["k"]))
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None
    return None


_SSH_PUBLIC = re.compile(r"^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+)\s+([A-Za-z0-9+/=]+)")


def material_id(data: bytes) -> KeyId:
    """The fingerprint of what a user hands to `keylint fingerprint`: a PEM or OpenSSH key file, an
    `ssh-…` public key line, a JWK, or else a secret (raw bytes, without one trailing newline)."""
    text = data.decode("utf-8", "replace")
    found = first_pem_id(text, 0, len(text))
    if found is not None:
        return found
    ssh = _SSH_PUBLIC.match(text.strip())
    if ssh:
        try:
            parsed = ssh_public_id(base64.b64decode(ssh.group(2)), False)
        except (binascii.Error, ValueError, struct.error):
            parsed = None
        if parsed is not None:
            return parsed
    if text.lstrip().startswith("{") and '"kty"' in text:
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):
            keys = document.get("keys") if isinstance(document.get("keys"), list) else [document]
            if keys and isinstance(keys[0], dict):
                parsed = jwk_id(keys[0])
                if parsed is not None:
                    return parsed
    for ending in (b"\r\n", b"\n"):
        if data.endswith(ending):
            data = data[: -len(ending)]
            break
    return secret_id(data)
