"""A certificate authority made for one test run: a root, and a leaf per server name it signs.

Each server is served with its leaf (valid for its name and for 127.0.0.1, where the stack
probes its readiness) and every client trusts only the root: nothing here is trusted outside
the run, and nothing outside is trusted inside it.
"""

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_FOR = timedelta(days=1)
LOOPBACK = ipaddress.ip_address("127.0.0.1")


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    certfile: Path
    keyfile: Path


class CertificateAuthority:
    """The root's certificate is written to `ca_file`; `issue` writes a leaf beside it."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CoPost test root")])
        self._name = name
        self._certificate = (
            _valid_now(x509.CertificateBuilder())
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(**_usages(key_cert_sign=True, crl_sign=True)), critical=True
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )
        self.ca_file = directory / "root.pem"
        self.ca_file.write_bytes(self._certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, server_name: str) -> IssuedCertificate:
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            _valid_now(x509.CertificateBuilder())
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)]))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(server_name), x509.IPAddress(LOOPBACK)]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(**_usages(digital_signature=True, key_agreement=True)), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        issued = IssuedCertificate(
            self._directory / f"{server_name}.pem", self._directory / f"{server_name}.key"
        )
        issued.certfile.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        issued.keyfile.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return issued


def _valid_now(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        builder.serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
    )


def _usages(**granted: bool) -> dict[str, bool]:
    """KeyUsage's nine flags, all off but those granted."""
    flags = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ]
    return {flag: granted.get(flag, False) for flag in flags}
