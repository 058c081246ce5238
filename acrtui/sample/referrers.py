"""Artifacts that refer to an image: a notation signature (JWS envelope) and an SPDX SBOM.

The signature is real and verifiable: ES256 over notation's payload, by a self-signed
code-signing certificate in the envelope's x5c. Key and signatures are deterministic
(the key derives from a public seed phrase, ECDSA nonces follow RFC 6979), so every seed
makes the same bytes; the key is a demo key that anyone can re-derive, not a secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from acrtui.oci import mediatypes as mt
from acrtui.oci.config import canonical_json, format_time
from acrtui.sample.plan import Blob, PlannedManifest, manifest_json

NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
NOTATION_PAYLOAD = "application/vnd.cncf.notary.payload.v1+json"
JWS_ENVELOPE = "application/jose+json"
SPDX_JSON = "application/spdx+json"

_SEED_PHRASE = b"acrtui sample registry demo signing key"
_SIGNER = "acrtui sample signer"
# Referrers are made a little after their subject, as a CI pipeline would.
SIGNED_AFTER = timedelta(minutes=2)
SBOM_AFTER = timedelta(minutes=1)


def signature(subject: PlannedManifest, stage: int) -> PlannedManifest:
    signed_at = subject.created + SIGNED_AFTER
    key = _signing_key()
    certificate = _certificate(key)
    protected = {
        "alg": "ES256",
        "crit": ["io.cncf.notary.signingScheme"],
        "cty": NOTATION_PAYLOAD,
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": format_time(signed_at),
    }
    payload = {"targetArtifact": subject.descriptor()}
    signing_input = f"{_b64url(canonical_json(protected))}.{_b64url(canonical_json(payload))}"
    r, s = decode_dss_signature(
        key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    envelope = Blob.of(canonical_json({
        "payload": signing_input.split(".")[1],
        "protected": signing_input.split(".")[0],
        "header": {"x5c": [base64.b64encode(der).decode("ascii")], "io.cncf.notary.signingAgent": "acrtui-sample"},
        "signature": _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big")),
    }))
    thumbprint = hashlib.sha256(der).hexdigest()
    annotations = {
        "io.cncf.notary.x509chain.thumbprint#S256": json.dumps([thumbprint]),
        "org.opencontainers.image.created": format_time(signed_at),
    }
    return _artifact(subject, NOTATION_SIGNATURE, envelope.descriptor(JWS_ENVELOPE), envelope, annotations, signed_at, stage)


def sbom(subject: PlannedManifest, name: str, version: str, files: Mapping[str, bytes], stage: int) -> PlannedManifest:
    """An SPDX 2.3 document: the image as a package, and every file of its final file system."""
    made_at = subject.created + SBOM_AFTER
    hex_digest = subject.digest.split(":", 1)[1]
    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{name}@{subject.digest}",
        "documentNamespace": f"https://acrtui.invalid/spdx/{name}/{hex_digest}",
        "creationInfo": {"created": format_time(made_at), "creators": ["Tool: acrtui-sample"]},
        "packages": [{
            "name": name,
            "SPDXID": "SPDXRef-Image",
            "versionInfo": version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": True,
            "packageVerificationCode": {"packageVerificationCodeValue": _verification_code(files)},
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:oci/{name.rsplit('/', 1)[-1]}@{subject.digest.replace(':', '%3A')}?tag={version}",
            }],
        }],
        "files": [
            {
                "fileName": f"/{path}",
                "SPDXID": f"SPDXRef-File-{i}",
                "checksums": [
                    {"algorithm": "SHA1", "checksumValue": hashlib.sha1(data).hexdigest()},
                    {"algorithm": "SHA256", "checksumValue": hashlib.sha256(data).hexdigest()},
                ],
            }
            for i, (path, data) in enumerate(sorted(files.items()))
        ],
        "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"}]
        + [
            {"spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": f"SPDXRef-File-{i}"}
            for i in range(len(files))
        ],
    }
    content = Blob.of(canonical_json(document))
    annotations = {"org.opencontainers.image.created": format_time(made_at)}
    return _artifact(subject, SPDX_JSON, content.descriptor(SPDX_JSON), content, annotations, made_at, stage)


def _artifact(
    subject: PlannedManifest,
    artifact_type: str,
    layer: dict[str, object],
    content: Blob,
    annotations: dict[str, str],
    created: datetime,
    stage: int,
) -> PlannedManifest:
    empty = Blob(mt.EMPTY_JSON_DIGEST, mt.EMPTY_JSON)
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": empty.descriptor(mt.OCI_EMPTY),
        "layers": [layer],
        "subject": subject.descriptor(),
        "annotations": annotations,
    }
    return PlannedManifest(
        raw=manifest_json(manifest), media_type=mt.OCI_MANIFEST, created=created, blobs=(empty, content), stage=stage
    )


def _verification_code(files: Mapping[str, bytes]) -> str:
    """SPDX's package verification code: SHA1 over the sorted SHA1s of its files."""
    joined = "".join(sorted(hashlib.sha1(data).hexdigest() for data in files.values()))
    return hashlib.sha1(joined.encode("ascii")).hexdigest()


def _signing_key() -> ec.EllipticCurvePrivateKey:
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256's group order
    value = int.from_bytes(hashlib.sha256(_SEED_PHRASE).digest(), "big") % (order - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


def _certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "acrtui sample"),
        x509.NameAttribute(NameOID.COMMON_NAME, _SIGNER),
    ])
    not_before = datetime(2026, 1, 1)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
