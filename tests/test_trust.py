"""Issue 11, parts 1, 2 and 5: wallets take every credential, pages show only what was signed,
and every credential page leads into a wallet and out to independent verifiers.

1. Published documents carry the proof set [eddsa-rdfc-2022] (what every wallet parses); an
   eddsa-jcs-2022 proof over the same unsecured document is published beside each, detached,
   for the page's own check (docs/interop.md "The page's own check").
2. Per-recipient fields are OB 3.0 `result`s pointing at `ResultDescription`s of the achievement;
   every value the page shows as the credential is marked with its JSON path (`data-vc`).
5. "Add to Learner Credential Wallet", a QR of the credential JSON URL, a named JSON download and
   links to VerifierPlus and 1EdTech's validator.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from conftest import REPO, SITE_URL, VECTORS, all_awards, build_site, qr_code_in, qr_code_of

from credsite.cache import KeptMap
from credsite.commands import verify as verifysite
from credsite.content import model
from credsite.issuing import ob3, urls
from credsite.issuing.sign import ProofCache
from credsite.issuing.urls import DETACHED_PROOF_SUFFIX, detached_proof_path
from credsite.state.lockfile import Lockfile
from credsite.values import slugify
from credsite.vc import proof as vc_proof
from credsite.vc.encoding import decode_multikey_public
from credsite.website import pages

EXAMPLE_URL = "https://northbridge-alliance.github.io/credentials/"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def hosted_credentials(output: Path) -> dict[str, dict]:
    return {p.stem: load(p) for p in sorted((output / "credentials").glob("*.json"))}


def signed_documents(output: Path) -> list[Path]:
    """Every signed document the page checks: the credentials and the status lists."""
    return [
        *sorted((output / "credentials").glob("*.json")),
        *sorted((output / "status").glob("*.json")),
    ]


def key_of(output: Path, vm: str) -> bytes:
    did_doc = load(output / "did.json")
    (method,) = [m for m in did_doc["verificationMethod"] if m["id"] == vm]
    assert vm in did_doc["assertionMethod"]
    return decode_multikey_public(method["publicKeyMultibase"])


# -- 1. one proof inside, one detached -----------------------------------------------------------


def test_published_proof_sets_hold_one_rdfc_proof(example_output: Path) -> None:
    for path in signed_documents(example_output):
        proof = load(path)["proof"]
        assert isinstance(proof, list), f"{path.name}: the OB 3.0 schema wants an array"
        assert [p["cryptosuite"] for p in proof] == [vc_proof.RDFC], path.name


def test_every_signed_document_has_a_detached_jcs_proof(example_output: Path) -> None:
    documents = signed_documents(example_output)
    assert len(documents) == 25  # 24 credentials, 1 status list
    for path in documents:
        document = load(path)
        detached_path = path.with_name(path.stem + DETACHED_PROOF_SUFFIX)
        detached = load(detached_path)
        (hosted,) = document["proof"]
        assert detached["cryptosuite"] == vc_proof.JCS
        # the same key, purpose and time as the proof set: one signing, two serialisations
        for field in ("type", "verificationMethod", "proofPurpose", "created"):
            assert detached[field] == hosted[field], (path.name, field)
        assert detached["@context"] == document["@context"]
        key = key_of(example_output, detached["verificationMethod"])
        assert vc_proof.verify_proof(document, detached, key) == (
            True,
            "eddsa-jcs-2022 proof verified",
        )
        assert vc_proof.verify_proof(document, hosted, key)[0]
        changed = json.loads(json.dumps(document))
        changed["validFrom"] = "2020-01-01T00:00:00Z"
        assert not vc_proof.verify_proof(changed, detached, key)[0]


def test_detached_proof_paths_match_the_page_script() -> None:
    assert detached_proof_path("credentials/abc.json") == "credentials/abc.jcs-proof.jsonld"
    assert detached_proof_path("issuers/x/status/2-suspension.json") == (
        "issuers/x/status/2-suspension.jcs-proof.jsonld"
    )
    with pytest.raises(ValueError):
        detached_proof_path("credentials/abc.html")
    script = (REPO / "themes" / "default" / "static" / "verify.js").read_text(encoding="utf-8")
    assert f"var DETACHED_SUFFIX = '{DETACHED_PROOF_SUFFIX}';" in script
    # not *.json: nothing that looks for signed documents as *.json takes it for one
    assert not DETACHED_PROOF_SUFFIX.endswith(".json")


def test_credsite_verify_checks_the_detached_proofs(example_output: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(example_output, site)
    reports = {r.path: r.report for r in verifysite.verify_site(site)}
    assert reports["status/1.jcs-proof.jsonld"].status == "verified"
    token = sorted(hosted_credentials(site))[0]
    checks = {c.name: c for c in reports[f"credentials/{token}.json"].checks}
    assert checks["detached eddsa-jcs-2022 proof"].ok
    assert checks["detached proof key"].ok

    proof_file = site / "credentials" / f"{token}{DETACHED_PROOF_SUFFIX}"
    proof = load(proof_file)
    proof["created"] = "2020-01-01T00:00:00Z"
    proof_file.write_text(json.dumps(proof), encoding="utf-8")
    list_proof_file = site / "status" / f"1{DETACHED_PROOF_SUFFIX}"
    list_proof = load(list_proof_file)
    list_proof["verificationMethod"] = list_proof["verificationMethod"] + "x"
    list_proof_file.write_text(json.dumps(list_proof), encoding="utf-8")
    reports = {r.path: r.report for r in verifysite.verify_site(site)}
    report = reports[f"credentials/{token}.json"]
    assert report.status == "failed"
    failed = [c.name for c in report.checks if not c.ok]
    assert failed == ["detached eddsa-jcs-2022 proof"]
    assert reports[f"credentials/{token}.png"].status != "failed"  # baked copies: no detached
    list_report = reports["status/1.jcs-proof.jsonld"]
    assert list_report.status == "failed"
    assert next(c.name for c in list_report.checks if not c.ok) == "detached proof key"

    proof_file.unlink()  # checked when present
    assert verifysite.verify_path(site / "credentials" / f"{token}.json").report.status in (
        "verified",
        "revoked",
        "expired",
    )


def test_a_proof_cache_of_another_shape_is_never_reused(make_site, tmp_path: Path) -> None:
    root = make_site()
    build_site(root)
    first = {p.name: p.read_bytes() for p in (root / "_site" / "credentials").iterdir()}
    cache_file = root / ".credsite-cache" / "proofs.json"
    cache = ProofCache(cache_file).kept
    assert cache.version.endswith("rdfc+detached-jcs") and cache.loaded
    # what an older build kept: the proof set [rdfc, jcs] and nothing detached
    older = KeptMap(cache_file, cache.version)
    for key in cache.loaded:
        value = cache.get(key)
        older.put(key, [value["proof"][0], value["detached"]])
    older.save()
    assert KeptMap(cache_file, cache.version).loaded == older.used
    result = build_site(root)
    assert result.signed == 3
    assert {p.name: p.read_bytes() for p in (root / "_site" / "credentials").iterdir()} == first


# -- 2. fields are signed results ------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_awards(example_site: Path) -> dict[str, model.Award]:
    """The example's awards by credential token."""
    lock = Lockfile.load(example_site / "credsite.lock")
    return {lock.awards[a.lock_key].credential: a for a in all_awards(example_site)}


def test_result_type_is_in_the_ob3_schema_enum() -> None:
    schema = load(VECTORS / "ob-v3p0-achievementcredential-schema.json")
    result_type = schema["$defs"]["ResultDescription"]["properties"]["resultType"]
    assert ob3.RESULT_TYPE in result_type["oneOf"][0]["enum"]
    assert set(schema["$defs"]["ResultDescription"]["required"]) == {
        "id",
        "type",
        "name",
        "resultType",
    }


def test_fields_are_signed_results(
    example_output: Path, example_awards: dict[str, model.Award]
) -> None:
    with_fields = 0
    for token, doc in hosted_credentials(example_output).items():
        award = example_awards[token]
        subject = doc["credentialSubject"]
        achievement = subject["achievement"]
        descriptions = {d["id"]: d for d in achievement.get("resultDescription", [])}
        names = [
            d["name"] for d in achievement.get("resultDescription", []) if "#field-" in d["id"]
        ]
        assert names == sorted(names)
        assert all(
            d["type"] == ["ResultDescription"] and d["resultType"] == "Result"
            for d in descriptions.values()
            if "#field-" in d["id"]
        )
        # fields first; then an assessed achievement's declared results (tests/test_results.py)
        results = [r for r in subject.get("result", []) if "#field-" in r["resultDescription"]]
        assert subject.get("result", [])[: len(results)] == results
        assert [(r["type"], r["value"]) for r in results] == [
            (["Result"], value) for _, value in award.fields
        ]
        for (name, _), result in zip(award.fields, results, strict=True):
            rid = result["resultDescription"]
            assert rid == f"{achievement['id']}#field-{slugify(name)}"
            assert descriptions[rid]["name"] == ob3.field_label(name)
        assert subject.get("role") == award.role
        # the published achievement declares the same results as the one in the credential
        published = load(example_output / "achievements" / Path(achievement["id"]).name)
        assert published.get("resultDescription") == achievement.get("resultDescription")
        with_fields += bool(results)
    assert with_fields == 22  # every award of the content; pathway awards have none


def test_fields_with_the_same_slug_are_one_result_description() -> None:
    described = ob3.result_descriptions(
        "https://x.example/a.json", ["home_institution", "Home institution", "hours", "學時"]
    )
    assert [(d["id"].split("#")[1], d["name"]) for d in described] == [
        ("field-home-institution", "Home institution"),
        ("field-hours", "Hours"),
        ("field-%E5%AD%B8%E6%99%82", "學時"),
    ]
    assert ob3.results("https://x.example/a.json", [("Home institution", " 5 ")]) == [
        {
            "type": ["Result"],
            "resultDescription": "https://x.example/a.json#field-home-institution",
            "value": " 5 ",
        }
    ]


@pytest.mark.parametrize(
    ("text", "url", "file"),
    [
        ("Nguyễn Thị Lan", "nguyen-thi-lan", "nguyen-thi-lan"),
        ("home_institution", "home-institution", "home-institution"),
        ("Straße (Köln)", "strasse-koln", "strasse-koln"),
        ("王小明", "%E7%8E%8B%E5%B0%8F%E6%98%8E", "王小明"),
        ("अर्जुन", "%E0%A4%85%E0%A4%B0%E0%A5%8D%E0%A4%9C%E0%A5%81%E0%A4%A8", "अर्जुन"),
        (" -- ", "", ""),
    ],
)
def test_slugify(text: str, url: str, file: str) -> None:
    assert slugify(text) == url
    assert slugify(text, ascii_only=False) == file


class Marked(HTMLParser):
    """Every element with a data-vc* attribute: its attributes and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, dict[str, str], list[str]]] = []
        self.found: list[tuple[dict[str, str], str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("input", "img", "br", "meta", "link"):
            if any(k.startswith("data-vc") for k in values):
                self.found.append((values, ""))
            return
        self.open.append((tag, values, []))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, values, text = self.open.pop()
            if any(k.startswith("data-vc") for k in values):
                self.found.append((values, " ".join("".join(text).split())))
            if self.open:
                self.open[-1][2].extend(text)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


def resolve(doc: Any, path: str) -> Any:
    """verify.js's resolvePath: a step past a string follows it as an id."""

    def by_id(node: Any, wanted: str) -> Any:
        if isinstance(node, dict):
            if node.get("id") == wanted:
                return node
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return None
        for child in children:
            found = by_id(child, wanted)
            if found is not None:
                return found
        return None

    value = doc
    for i, part in enumerate(path.split(".")):
        if isinstance(value, str) and i:
            value = by_id(doc, value)
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def test_every_value_the_page_shows_is_marked_and_signed(example_output: Path) -> None:
    for token, doc in hosted_credentials(example_output).items():
        page = (example_output / "credentials" / f"{token}.html").read_text(encoding="utf-8")
        marked = Marked(page).found
        paths = {a["data-vc"] for a, _ in marked if "data-vc" in a}
        for attrs, text in marked:
            if "data-vc" not in attrs:
                continue
            value = resolve(doc, attrs["data-vc"])
            form = attrs.get("data-vc-format", "")
            if form == "absent":
                assert value is None, (token, attrs)
                continue
            assert isinstance(value, str), (token, attrs["data-vc"])
            if form == "":
                assert text == " ".join(value.split()), (token, attrs["data-vc"], text)
            elif form == "host":
                assert text == value.removeprefix("https://")
            elif form == "token":
                assert text == token
        for attrs, _ in marked:
            if "data-vc-href" in attrs:
                assert attrs["href"] == resolve(doc, attrs["data-vc-href"])
            if "data-vc-value" in attrs:
                assert attrs["value"] == resolve(doc, attrs["data-vc-value"])
        # everything signed that a reader needs is shown (what data-check-page="all" requires)
        subject = doc["credentialSubject"]
        wanted = {"credentialSubject.name", "credentialSubject.achievement.name", "validFrom"}
        for i, result in enumerate(subject.get("result", [])):  # what each result has
            for key, shown in (
                ("value", "value"),
                ("achievedLevel", "achievedLevel.name"),
                ("status", "status"),
            ):
                if key in result:
                    wanted.add(f"credentialSubject.result.{i}.{shown}")
        wanted |= {
            f"credentialSubject.result.{i}.resultDescription.name"
            for i in range(len(subject.get("result", [])))
        }
        for key in ("role", "narrative"):
            if key in subject:
                wanted.add(f"credentialSubject.{key}")
        assert wanted <= paths, (token, wanted - paths)
        assert 'data-check-page="all"' in page


def test_the_details_show_the_signed_results(example_output: Path) -> None:
    for token, doc in hosted_credentials(example_output).items():
        page = (example_output / "credentials" / f"{token}.html").read_text(encoding="utf-8")
        shown = re.findall(
            r'<dt data-vc="credentialSubject\.result\.(\d+)\.resultDescription\.name">([^<]*)</dt>'
            r'<dd data-vc="credentialSubject\.result\.\1\.value">([^<]*)</dd>',
            page,
        )
        expected = [
            (
                str(i),
                resolve(doc, f"credentialSubject.result.{i}.resultDescription.name"),
                r["value"],
            )
            for i, r in enumerate(doc["credentialSubject"].get("result", []))
            if "#field-" in r["resultDescription"]  # assessed results: tests/test_results.py
        ]
        # once in the Details table, once on the printed certificate
        assert [(i, html.unescape(n), html.unescape(v)) for i, n, v in shown] == expected * 2


# -- 5. into a wallet, out to any verifier ---------------------------------------------------------


def lcw_message(href: str) -> Any:
    """Read an LCW request link the way Learner Credential Wallet does (walletRequestApi.ts):
    query-string decodes the parameter, then decodeURI, then JSON.parse."""
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "lcw.app", "/request")
    params = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    assert [k for k, _ in params] == ["request"]
    once = params[0][1]
    # decodeURI leaves escapes of ; / ? : @ & = + $ , # as they are: there must be none
    assert not re.search(r"%(2[346BCF]|3[ABDF]|40)", once, re.IGNORECASE)
    return json.loads(unquote(once))


def wallet_links(page: str) -> list[str]:
    """The "Add to Learner Credential Wallet" buttons: each links the credential's JSON, from which
    the page's script makes the wallet link (the page does not carry the credential itself)."""
    return [
        html.unescape(h)
        for h in re.findall(r'<a [^>]*href="([^"]*)"[^>]*data-vc-embedded="lcw"', page)
    ]


def test_add_to_learner_credential_wallet_link(example_output: Path) -> None:
    lengths = {}
    for token, doc in hosted_credentials(example_output).items():
        page = (example_output / "credentials" / f"{token}.html").read_text(encoding="utf-8")
        links = wallet_links(page)
        state = re.search(r'data-status="([a-z-]+)"', page).group(1)  # type: ignore[union-attr]
        full = pages.lcw_request_url(doc)
        lengths[token] = len(full)
        assert "lcw.app" not in page  # made in the browser, from the hosted JSON
        if state in ("revoked", "suspended") or len(full) > pages.LCW_LINK_LIMIT:
            assert links == [], token
            continue
        assert links == [f"../credentials/{token}.json"]
        assert f'data-json="credentials/{token}.json"' in page
        # what the page's script makes of the hosted JSON (verify.js lcwRequestUrl does the same)
        assert lcw_message(full) == {
            "verifiablePresentation": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "verifiableCredential": [doc],
            }
        }
    assert min(lengths.values()) > 2000  # why a QR code never carries the credential itself
    offered = [t for t, n in lengths.items() if n <= pages.LCW_LINK_LIMIT]
    assert 0 < len(offered) < len(lengths)


def test_lcw_link_survives_percent_signs_and_reserved_characters() -> None:
    credential = {"type": ["VerifiableCredential"], "name": "100% & more: a+b=c #1 / ok? 50%25"}
    href = pages.lcw_request_url(credential)
    assert " " not in href and "+" not in href.split("?", 1)[1]
    assert lcw_message(href)["verifiablePresentation"]["verifiableCredential"] == [credential]


@pytest.mark.parametrize(
    "name", ["plain", "100% & more: a+b=c #1 / ok? 50%25", "Zoë Ñúñez 学习者 🎓", "x" * 3000]
)
def test_lcw_link_fits_measures_the_link_it_does_not_build(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = {"type": ["VerifiableCredential"], "name": name, "n": 1}
    length = len(pages.lcw_request_url(credential))
    for limit in (length - 1, length, length + 1):
        monkeypatch.setattr(pages, "LCW_LINK_LIMIT", limit)
        assert pages.lcw_link_fits(credential) is (length <= limit), (name, limit)


def test_a_theme_printing_lcw_url_gets_the_wallet_link() -> None:
    import jinja2

    credential = {"type": ["VerifiableCredential"], "name": "A & B <c> 100%"}
    link = pages.WalletLink(credential)
    template = jinja2.Environment(autoescape=True).from_string('<a href="{{ lcw_url }}">')
    assert template.render(lcw_url=link) == f'<a href="{pages.lcw_request_url(credential)}">'
    assert lcw_message(str(link))["verifiablePresentation"]["verifiableCredential"] == [credential]


def test_too_long_a_credential_falls_back_to_its_json_url(
    make_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "LCW_LINK_LIMIT", 2000)
    root = make_site()
    build_site(root)
    for page_file in (root / "_site" / "credentials").glob("*.html"):
        page = page_file.read_text(encoding="utf-8")
        json_url = f"{SITE_URL}credentials/{page_file.stem}.json"
        assert wallet_links(page) == []
        assert 'class="card wallet"' in page
        assert f'value="{json_url}" readonly data-vc-value="id"' in page
        assert "Credential Wallet: <em>Add credential</em>" in page


def test_wallet_qr_code_is_the_credential_json_url(example_output: Path) -> None:
    for token, _doc in hosted_credentials(example_output).items():
        page = (example_output / "credentials" / f"{token}.html").read_text(encoding="utf-8")
        url = f"{EXAMPLE_URL}credentials/{token}.json"
        wallet = re.search(r'<figure class="wallet-qr">\s*(<img [^>]*>)', page)
        if 'data-status="revoked"' in page:
            assert wallet is None
            continue
        assert wallet is not None
        modules, alt = qr_code_in(wallet.group(1))
        assert alt == f"QR code for a wallet app: the address of this credential, {url}" or (
            '<html lang="fr">' in page  # a French recipient's page
            and alt == f"Code QR pour une application de portefeuille : l’adresse de ce titre, {url}"
        )
        assert modules == qr_code_of(url)


def test_json_download_has_a_readable_name(example_output: Path) -> None:
    names = set()
    for token, doc in hosted_credentials(example_output).items():
        page = (example_output / "credentials" / f"{token}.html").read_text(encoding="utf-8")
        (name,) = set(
            re.findall(rf'href="\.\./credentials/{token}\.json" download="([^"]*)"', page)
        )
        subject = doc["credentialSubject"]
        assert name == (
            f"{slugify(subject['achievement']['name'], ascii_only=False)}-"
            f"{slugify(subject['name'], ascii_only=False)}.json"
        )
        names.add(html.unescape(name))
    assert "faculty-coordinator-amara-nwosu.json" in names
    assert "exchange-participant-nguyen-thi-lan.json" in names
    assert pages.download_name("", "", "tok") == "tok.json"


def test_check_it_elsewhere_links(example_output: Path) -> None:
    for token, _doc in hosted_credentials(example_output).items():
        page = (example_output / "credentials" / f"{token}.html").read_text(encoding="utf-8")
        url = f"{EXAMPLE_URL}credentials/{token}.json"
        verifierplus = re.findall(r'href="(https://verifierplus\.org/[^"]*)"', page)
        assert verifierplus == [
            "https://verifierplus.org/#verify?vc="
            "https%3A%2F%2Fnorthbridge-alliance.github.io%2Fcredentials%2Fcredentials%2F"
            f"{token}.json"
        ]
        fragment = urlsplit(html.unescape(verifierplus[0])).fragment
        assert fragment.startswith("verify?")
        assert parse_qsl(fragment.split("?", 1)[1], strict_parsing=True) == [("vc", url)]
        (onedtech,) = [
            html.unescape(h) for h in re.findall(r'href="(https://vc\.1ed\.tech/[^"]*)"', page)
        ]
        parts = urlsplit(onedtech)
        assert (parts.netloc, parts.path) == ("vc.1ed.tech", "/api/validateuri")
        assert parse_qsl(parts.query, strict_parsing=True) == [
            ("validatorId", "OB30"),
            ("uri", url),
        ]
        assert "uri=https%3A%2F%2Fnorthbridge-alliance.github.io%2F" in parts.query


def test_urls_module_is_the_one_place_for_the_detached_path() -> None:
    u = urls.Urls(EXAMPLE_URL, "northbridge")
    path = u.status_list_path("northbridge", 1, "revocation")
    assert detached_proof_path(path) == "status/1.jcs-proof.jsonld"
