"""Self-signed TLS material for loopback servers: a local CA, a 127.0.0.1/localhost server certificate
and an RSA client certificate for Entra-style certificate credentials.

azure-identity refuses an authority that is not https, so a simulator standing in for Entra must
serve TLS; clients trust `TlsFiles.ca_file`. Files are reused while they are valid (parseable, the
key matches, signed by the CA, the right names, more than a day left), otherwise regenerated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "Local loopback test CA"
SERVER_DNS_NAMES = ("localhost",)
SERVER_IPS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
VALIDITY = dt.timedelta(days=365)
MIN_REMAINING = dt.timedelta(days=1)

type PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA certificate clients trust, and the server's certificate chain and key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class ClientCertificate:
    """An RSA client certificate: `pem_file` holds key + certificate (what azure-identity's
    CertificateCredential reads), `cert_file` the certificate alone (what the token endpoint checks)."""

    pem_file: Path
    cert_file: Path
    sha1_thumbprint: str


def ensure_tls_files(folder: Path) -> TlsFiles:
    """A CA and a server certificate for 127.0.0.1, ::1 and localhost in `folder`, reused when valid."""
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    if _server_files_valid(files):
        return files
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server_certificate(server_key, ca_key, ca_cert)
    _write(folder / "ca-key.pem", _key_pem(ca_key), private=True)
    _write(files.ca_file, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(files.key_file, _key_pem(server_key), private=True)
    _write(files.cert_file, server_cert.public_bytes(serialization.Encoding.PEM))
    return files


def ensure_client_certificate(folder: Path, name: str = "client") -> ClientCertificate:
    """A self-signed RSA certificate for client assertions (Entra requires RSA), reused when valid."""
    folder.mkdir(parents=True, exist_ok=True)
    pem_file, cert_file = folder / f"{name}.pem", folder / f"{name}-cert.pem"
    cert = _load_client_certificate(pem_file, cert_file)
    if cert is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _self_signed_client(key, name)
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        _write(pem_file, _key_pem(key) + cert_pem, private=True)
        _write(cert_file, cert_pem)
    return ClientCertificate(pem_file, cert_file, hashlib.sha1(cert.public_bytes(_DER)).hexdigest())  # noqa: S324


_DER = serialization.Encoding.DER


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca_certificate(key: PrivateKey) -> x509.Certificate:
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(_name(CA_NAME))
        .issuer_name(_name(CA_NAME))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )


def _server_certificate(key: PrivateKey, ca_key: PrivateKey, ca_cert: x509.Certificate) -> x509.Certificate:
    now = _now()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_DNS_NAMES]
    names += [x509.IPAddress(ip) for ip in SERVER_IPS]
    return (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _self_signed_client(key: rsa.RSAPrivateKey, name: str) -> x509.Certificate:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .sign(key, hashes.SHA256())
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)


def _fresh(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc - _now() > MIN_REMAINING and cert.not_valid_before_utc <= _now()


def _key_matches(key: object, cert: x509.Certificate) -> bool:
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return False
    der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(*der) == cert.public_key().public_bytes(*der)


def _server_files_valid(files: TlsFiles) -> bool:
    try:
        ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
        cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
        key = serialization.load_pem_private_key(files.key_file.read_bytes(), password=None)
        cert.verify_directly_issued_by(ca)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
        return False
    has_names = set(SERVER_IPS) <= set(names.get_values_for_type(x509.IPAddress)) and set(
        SERVER_DNS_NAMES
    ) <= set(names.get_values_for_type(x509.DNSName))
    return has_names and _fresh(ca) and _fresh(cert) and _key_matches(key, cert)


def _load_client_certificate(pem_file: Path, cert_file: Path) -> x509.Certificate | None:
    try:
        pem = pem_file.read_bytes()
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(pem, password=None)
        bundled = x509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE-----") :])
    except (OSError, ValueError, TypeError):
        return None
    if bundled != cert or not isinstance(key, rsa.RSAPrivateKey):
        return None
    return cert if _fresh(cert) and _key_matches(key, cert) else None
