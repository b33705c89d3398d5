"""local/certs.py: TLS material for loopback servers is made once, reused while valid, replaced when not."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509

from local.certs import ensure_client_certificate, ensure_tls_files


def test_tls_files_are_reused_while_valid_and_replaced_when_broken(tmp_path: Path) -> None:
    first = ensure_tls_files(tmp_path)
    ca_pem = first.ca_file.read_bytes()
    again = ensure_tls_files(tmp_path)
    assert (again, again.ca_file.read_bytes()) == (first, ca_pem)
    first.key_file.write_text("not a key")
    replaced = ensure_tls_files(tmp_path)
    assert replaced.ca_file.read_bytes() != ca_pem
    cert = x509.load_pem_x509_certificate(replaced.cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert oct(replaced.key_file.stat().st_mode & 0o777) == "0o600"


def test_a_client_certificate_bundles_key_and_certificate_and_is_reused(tmp_path: Path) -> None:
    first = ensure_client_certificate(tmp_path, "bc-client")
    again = ensure_client_certificate(tmp_path, "bc-client")
    pem = first.pem_file.read_text()
    assert again == first
    assert pem.index("PRIVATE KEY") < pem.index("BEGIN CERTIFICATE")
    assert len(first.sha1_thumbprint) == 40
