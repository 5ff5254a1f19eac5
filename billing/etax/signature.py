"""XAdES-BES enveloped signatures (signxml) with the company's PKCS#12 certificate.

ETDA asks for RSA with SHA-512 and the inclusive canonicalisation its examples use. A
certificate that cannot sign (wrong password, expired or not yet valid, a key that is not
RSA) raises :class:`CertificateProblem` with a sentence finance can act on.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.xades import XAdESSigner, XAdESVerifier


class CertificateProblem(Exception):
    """The configured certificate cannot sign."""


@dataclass(frozen=True)
class Credentials:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


def is_configured() -> bool:
    return bool(settings.ETAX_CERT_FILE)


def load(
    path: str | Path | None = None,
    password: str | None = None,
    *,
    now: datetime.datetime | None = None,
) -> Credentials:
    """The key and certificate of the PKCS#12 file, checked for ETDA's signature."""
    path = Path(path or settings.ETAX_CERT_FILE)
    if password is None:
        password = settings.ETAX_CERT_PASSWORD
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CertificateProblem(
            f"Cannot read the certificate {path}: {error.strerror}."
        ) from None
    try:
        key, certificate, _chain = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError:
        raise CertificateProblem(
            "The certificate file cannot be opened: wrong ETAX_CERT_PASSWORD or not a PKCS#12 file."
        ) from None
    if key is None or certificate is None:
        raise CertificateProblem(
            "The PKCS#12 file holds no private key and certificate."
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateProblem(
            f"The certificate's key is {type(key).__name__.removeprefix('_')}, not RSA: "
            "ETDA's e-Tax signature is RSA with SHA-512."
        )
    now = now or datetime.datetime.now(tz=datetime.UTC)
    if certificate.not_valid_after_utc < now:
        raise CertificateProblem(
            f"The certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}."
        )
    if certificate.not_valid_before_utc > now:
        raise CertificateProblem(
            f"The certificate is not valid before {certificate.not_valid_before_utc:%Y-%m-%d}."
        )
    return Credentials(key=key, certificate=certificate)


def sign(root: etree._Element, credentials: Credentials) -> etree._Element:
    """``root`` with an enveloped XAdES-BES signature as its last child."""
    signer = XAdESSigner(
        signature_algorithm=SignatureMethod.RSA_SHA512,
        digest_algorithm=DigestAlgorithm.SHA512,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    return signer.sign(root, key=credentials.key, cert=[credentials.certificate])


def verify(data: bytes, certificate: x509.Certificate) -> etree._Element:
    """The signed XML back when the signature holds for ``certificate``; else raise."""
    from cryptography.hazmat.primitives.serialization import Encoding

    results = XAdESVerifier().verify(
        data, x509_cert=certificate.public_bytes(Encoding.PEM).decode()
    )
    return results[0].signed_xml
