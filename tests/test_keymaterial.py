"""Key fingerprints: one SHA-256 per key, whatever its format, equal to the SHA-256 of its DER
SubjectPublicKeyInfo (checked against the `cryptography` package and keys made by ssh-keygen)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from keylint.keymaterial import material_id

KEYS = {
    "rsa": lambda: rsa.generate_private_key(65537, 2048),
    "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
}


def _spki_digest(key) -> str:
    return hashlib.sha256(key.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


@pytest.mark.parametrize("name", sorted(KEYS))
def test_every_format_of_one_key_has_the_public_key_fingerprint(name: str) -> None:
    key = KEYS[name]()
    want = _spki_digest(key)
    formats = [s.PrivateFormat.PKCS8, s.PrivateFormat.OpenSSH] + ([] if name == "ed25519" else [s.PrivateFormat.TraditionalOpenSSL])
    for fmt in formats:
        pem = key.private_bytes(s.Encoding.PEM, fmt, s.NoEncryption())
        assert material_id(pem).digest == want, fmt
        # the same PEM written into Python source with \n escapes
        escaped = pem.decode().replace("\n", "\\n")
        assert material_id(f'KEY = "{escaped}"\n'.encode()).digest == want, fmt
    public_pem = key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo)
    ssh_line = key.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH) + b" someone@laptop\n"
    assert material_id(public_pem).digest == want
    assert material_id(ssh_line).digest == want
    assert "private key" in material_id(key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption())).kind


def test_ssh_keygen_keys_including_passphrase_protected(tmp_path: Path) -> None:
    for kind in ("ed25519", "rsa", "ecdsa"):
        for passphrase in ("", "correct horse"):
            path = tmp_path / f"id_{kind}_{len(passphrase)}"
            size = ["-b", "1024"] if kind == "rsa" else []  # small and one KDF round: fast, same format
            subprocess.run(["ssh-keygen", "-q", "-t", kind, *size, "-a", "1", "-N", passphrase, "-C", "t", "-f", str(path)], check=True)
            public = s.load_ssh_public_key(Path(f"{path}.pub").read_bytes())
            want = hashlib.sha256(public.public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
            # OpenSSH keeps the public key readable even when the private key is encrypted
            assert material_id(path.read_bytes()).digest == want, (kind, passphrase)
            assert material_id(Path(f"{path}.pub").read_bytes()).digest == want


def test_jwk_and_secrets() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.private_numbers()
    b64 = lambda n: base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()  # noqa: E731
    jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.public_numbers.x), "y": b64(numbers.public_numbers.y), "d": b64(numbers.private_value)}
    assert material_id(json.dumps(jwk).encode()).digest == _spki_digest(key)
    assert material_id(json.dumps({"keys": [jwk]}).encode()).digest == _spki_digest(key)
    secret = b"an-hmac-signing-secret-of-32-byte"
    oct_jwk = {"kty": "oct", "k": base64.urlsafe_b64encode(secret).rstrip(b"=").decode()}
    assert material_id(json.dumps(oct_jwk).encode()).digest == hashlib.sha256(secret).hexdigest()
    # a secret is its raw bytes; one trailing newline (from `echo`) is not part of it
    assert material_id(secret).digest == material_id(secret + b"\n").digest == hashlib.sha256(secret).hexdigest()
    assert material_id(secret).kind == "secret (33 bytes)"


def test_encrypted_pkcs8_gets_a_stable_digest_of_its_bytes() -> None:
    key = KEYS["p256"]()
    pem = key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.BestAvailableEncryption(b"pw"))
    found = material_id(pem)
    assert found.kind.startswith("encrypted private key") and found.digest != _spki_digest(key)
    assert material_id(pem.replace(b"\n", b"\r\n")).digest == found.digest


@pytest.mark.parametrize("name", sorted(KEYS))
def test_real_keys_are_keys_and_encryption_is_seen_in_every_format(name: str) -> None:
    from keylint.keymaterial import private_block

    key = KEYS[name]()
    formats = [s.PrivateFormat.PKCS8, s.PrivateFormat.OpenSSH] + ([] if name == "ed25519" else [s.PrivateFormat.TraditionalOpenSSL])
    for fmt in formats:
        for encryption, encrypted in ((s.NoEncryption(), False), (s.BestAvailableEncryption(b"correct horse"), True)):
            if encrypted and fmt is s.PrivateFormat.OpenSSH:
                continue  # needs bcrypt; the ssh-keygen test below covers it
            text = key.private_bytes(s.Encoding.PEM, fmt, encryption).decode()
            block = private_block(text, 0, text.index("\n"))
            assert block is not None and block.is_key and block.encrypted is encrypted, (fmt, encrypted)
            # and written into source as a one-line string, or as concatenated lines, the same
            one_line = f'KEY = "{text.replace(chr(10), chr(92) + "n")}"\n'
            concatenated = "KEY = (\n" + " +\n".join(f'    "{line}\\n"' for line in text.splitlines()) + "\n)\n"
            for source in (one_line, concatenated):
                block = private_block(source, 0, source.index("\n", source.index("BEGIN")))
                assert block is not None and block.is_key and block.encrypted is encrypted, (fmt, encrypted, source[:40])


def test_an_openssh_key_with_a_passphrase_is_encrypted(tmp_path: Path) -> None:
    from keylint.keymaterial import private_block

    for passphrase in ("", "correct horse"):
        target = tmp_path / f"id_{len(passphrase)}"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-a", "1", "-N", passphrase, "-C", "t", "-f", str(target)], check=True)
        text = target.read_text()
        block = private_block(text, 0, text.index("\n"))
        assert block is not None and block.is_key and block.encrypted is bool(passphrase)
