"""The one test certificate helper: a self-signed certificate as an app registration holds it, and the PEM texts a
client (the collection, AWX, azure-identity) reads. Fresh keys per call; nothing is written unless asked."""

from __future__ import annotations

import datetime
from typing import NamedTuple


class TestCertificate(NamedTuple):
    key: object  # cryptography RSAPrivateKey
    cert_pem: str  # the certificate alone (what the seed's app registration lists)

    def key_pem(self, password: str | None = None) -> str:
        """The private key as PKCS#8 PEM, encrypted when `password` is given."""
        from cryptography.hazmat.primitives import serialization

        encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                      else serialization.NoEncryption())
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      encryption).decode()

    def client_pem(self, password: str | None = None) -> str:
        """Private key then certificate in one PEM, the form `client_certificate_path` takes."""
        return self.key_pem(password) + self.cert_pem


def make_certificate(common_name: str = "w365-test", valid_days: int = 30) -> TestCertificate:
    """A self-signed RSA-2048 certificate, valid from a day ago for `valid_days` days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=valid_days)).sign(key, hashes.SHA256()))
    return TestCertificate(key, cert.public_bytes(serialization.Encoding.PEM).decode())
