"""Fixtures for the credential library tests: the standards data in tests/vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import VECTORS

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def spec() -> Path:
    """tests/vectors: contexts and schemas at the top, test vectors under test-vectors/."""
    return VECTORS


@pytest.fixture(scope="session")
def vectors(spec: Path) -> Path:
    return spec / "test-vectors"


@pytest.fixture(scope="session")
def examples_ctx(spec: Path) -> dict[str, dict]:
    """The W3C examples context; only the W3C test vectors need it (never bundled)."""
    return {EXAMPLES_V2: load_json(spec / "credentials-examples-v2.jsonld")}


SITE = "https://example.github.io/creds/"
SITE_DID = "did:web:example.github.io:creds"


def full_ob_credential() -> dict:
    """An OB 3.0 credential in the shape credsite emits (standards notes §1.13), unsigned."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": SITE + "credentials/ABCDEFGHIJKLMNOPQRSTUVWXYZ.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Teamwork Badge",
        "description": "Awarded for teamwork.",
        "image": {"id": SITE + "credentials/ABCDEFGHIJKLMNOPQRSTUVWXYZ.png", "type": "Image"},
        "awardedDate": "2025-03-01T00:00:00Z",
        "issuer": {
            "id": SITE_DID,
            "type": ["Profile"],
            "name": "Example Org",
            "url": "https://example.org",
            "email": "badges@example.org",
            "image": {"id": SITE + "images/org.png", "type": "Image", "caption": "Logo"},
        },
        "validFrom": "2025-03-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": "sha256$" + "ab" * 32,
                    "salt": "0123456789abcdef",
                }
            ],
            "narrative": "Led the *spring* project.",
            "achievement": {
                "id": SITE + "achievements/teamwork.json",
                "type": ["Achievement"],
                "achievementType": "Badge",
                "name": "Teamwork",
                "description": "Works well with others.",
                "criteria": {
                    "id": SITE + "achievements/teamwork.html",
                    "narrative": "Be **kind**.",
                },
                "image": {"id": SITE + "images/teamwork.png", "type": "Image"},
                "tag": ["collaboration", "soft skills"],
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "Collaboration",
                        "targetUrl": "https://example.org/frameworks/collab",
                        "targetType": "ceasn:Competency",
                    }
                ],
                "creator": {"id": SITE_DID, "type": ["Profile"], "name": "Example Org"},
            },
        },
        "evidence": [
            {"id": "https://example.org/work/1", "type": ["Evidence"], "name": "Project report"}
        ],
        "credentialStatus": {
            "id": SITE + "status/1.json#4711",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "4711",
            "statusListCredential": SITE + "status/1.json",
        },
    }
