"""site.yaml: settings, defaults, and located errors (reported through the CLI, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SITE_URL, SITE_YAML, output_of, run_cli, write_files

from credsite.content import config
from credsite.errors import ContentError, CredsiteError


def write_site_yaml(tmp_path: Path, text: str) -> Path:
    write_files(tmp_path, {"site.yaml": text})
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    cfg = config.load(write_site_yaml(tmp_path, "title: T\nurl: https://example.github.io/creds\n"))
    assert cfg.url == "https://example.github.io/creds/"  # a trailing '/' is added
    assert cfg.output == "_site"
    assert cfg.output_dir == tmp_path / "_site"
    assert cfg.lockfile_path == tmp_path / "credsite.lock"
    assert cfg.keys_dir == tmp_path / "keys"
    assert cfg.demo_key is False
    assert cfg.status.suspension is False and cfg.status.publish_reasons is True
    assert cfg.noindex is True and cfg.list_recipients is False and cfg.ob2 is True


def test_all_settings_read(tmp_path: Path) -> None:
    cfg = config.load(
        write_site_yaml(
            tmp_path,
            f"""\
        title: My Site
        url: {SITE_URL}
        output: public
        description: Some badges.
        language: pt-BR
        demo_key: true
        primary_issuer: acme
        status: {{suspension: true, publish_reasons: false}}
        ob2: false
        list_recipients: true
        noindex: false
        """,
        )
    )
    assert (cfg.title, cfg.url, cfg.output, cfg.language) == (
        "My Site",
        SITE_URL,
        "public",
        "pt-BR",
    )
    assert cfg.description == "Some badges."
    assert cfg.demo_key and cfg.primary_issuer == "acme"
    assert cfg.status.suspension and not cfg.status.publish_reasons
    assert not cfg.ob2 and cfg.list_recipients and not cfg.noindex


def test_output_override_from_command_line(tmp_path: Path) -> None:
    cfg = config.load(write_site_yaml(tmp_path, SITE_YAML), output="elsewhere")
    assert cfg.output_dir == tmp_path / "elsewhere"


def test_missing_site_yaml(tmp_path: Path) -> None:
    with pytest.raises(CredsiteError, match=r"no site\.yaml") as info:
        config.load(tmp_path)
    assert "credsite init" in str(info.value)


def test_site_yaml_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(CredsiteError) as info:
        config.load(write_site_yaml(tmp_path, "- just\n- a list\n"))
    assert str(info.value) == "site.yaml:1:1: site.yaml must be a mapping of settings"


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as info:
        config.load(
            write_site_yaml(
                tmp_path,
                """\
            url: ftp://example.org/
            demo_key: yes please
            language: "english!"
            output: ../outside
            status: {suspension: !!bool maybe, archive: true}
            """,
            )
        )
    messages = [str(p) for p in info.value.problems]
    assert messages == [
        "site.yaml:1:1: site.yaml needs 'title'",
        "site.yaml:1:6: 'url' must be an http(s) URL, got 'ftp://example.org/'",
        "site.yaml:2:11: 'demo_key' must be true or false",
        "site.yaml:3:11: 'language' is not valid: 'english!'",
        "site.yaml:4:9: 'output' must be a folder inside the site, got '../outside'",
        "site.yaml:5:22: 'suspension' must be true or false",  # !!bool: PyYAML's KeyError
        "site.yaml:5:36: unknown field 'archive' in status",
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://example.github.io/creds/",
            "'url' must be https: the issuer's did:web DID is resolved over HTTPS",
        ),
        ("https://example.github.io/creds/?x=1", "'url' must not have a query or fragment"),
        ("https://example.github.io/creds/#top", "'url' must not have a query or fragment"),
        (
            "https://192.168.1.10/creds/",
            "'url' must use a domain name: did:web does not allow IP addresses",
        ),
        (
            "https://[::1]/creds/",
            "'url' must use a domain name: did:web does not allow IP addresses",
        ),
        ("https://user:pw@example.org/", "'url' must not contain a user name or password"),
        ("example.org/creds", "'url' must be an http(s) URL, got 'example.org/creds'"),
        (  # urllib's ValueError at the DID, a traceback
            "https://example.org:99999/",
            "'url' has a port that is not a number from 1 to 65535: 'https://example.org:99999/'",
        ),
        ("https://example.org:abc/", "'url' has a port that is not a number from 1 to 65535"),
        ("https://example.org:0/", "'url' has a port that is not a number from 1 to 65535"),
        # did:web:example.org:.. and the like: a DID and ids where the site is not
        ("https://example.org/../", "'url' must not have '.' or '..' in its path"),
        ("https://example.org/creds/./", "'url' must not have '.' or '..' in its path"),
        ("https://example.org/a/%2E%2e/creds/", "'url' must not have '.' or '..' in its path"),
        ("https://example.org/a//creds/", "'url' must not have an empty part (//) in its path"),
        (
            f"https://{'a' * 64}.example.org/",
            "'url' must have at most 63 characters between the dots of its host name (DNS allows "
            "no more), got 64",
        ),
        (
            f"https://{'abcdefghi.' * 25}example/",
            "'url' must have a host name of at most 253 characters (DNS allows no more), got 257",
        ),
        (
            "https://ü.example/",
            "'url' must give its host name in ASCII: write it in its xn-- form, xn--tda.example",
        ),
        (  # a line separator (YAML's \\L): the lockfile's line broke in two, JSON-LD a traceback
            '"https://example.org/cr\\Leds/"',
            "'url' must be an http(s) URL, got 'https://example.org/cr\\u2028eds/'",
        ),
        ('"https://example.org/a\\tb/"', "'url' must be an http(s) URL, got 'https://example.org/a\\tb/'"),
    ],
)
def test_bad_site_url_via_cli(tmp_path: Path, url: str, message: str) -> None:
    write_site_yaml(tmp_path, f"title: T\nurl: {url}\ndemo_key: true\n")
    result = run_cli("build", "-C", str(tmp_path))
    text = output_of(result)
    assert result.exit_code == 1
    assert f"site.yaml:2:6: {message}" in text
    assert "Traceback" not in text
    assert not (tmp_path / "_site").exists()


def test_the_longest_host_names_and_xn_forms_are_fine(tmp_path: Path) -> None:
    longest = f"{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 61}"  # 253 characters
    for url in (f"https://{longest}/", "https://xn--tda.example/creds/", "https://a.example/.well/"):
        cfg = config.load(write_site_yaml(tmp_path, f"title: T\nurl: {url}\n"))
        assert cfg.url == url
        assert config.check_site_url(url) == url


def test_http_is_refused_even_for_localhost(tmp_path: Path) -> None:
    """did:web resolves over https only; previews need no http url (serve maps the real one)."""
    with pytest.raises(ContentError, match="'url' must be https"):
        config.load(write_site_yaml(tmp_path, "title: T\nurl: http://localhost:8000/\n"))


def test_host_is_lower_cased_like_did_web(tmp_path: Path) -> None:
    cfg = config.load(
        write_site_yaml(tmp_path, "title: T\nurl: https://Example.GitHub.io/Creds/\n")
    )
    assert cfg.url == "https://example.github.io/Creds/"  # the path keeps its case


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            SITE_YAML + "titel: x\n",
            "site.yaml:4:1: unknown field 'titel' in site.yaml (did you mean 'title'?)",
        ),
        (
            "title: [T\nurl: x\n",
            "site.yaml:2:4: YAML syntax error: ",
        ),
        ("title: T\ntitle: U\nurl: https://a.example/\n", "site.yaml:2:1: duplicate key 'title'"),
        (
            "title: !!python/object:os.system x\nurl: https://a.example/\n",
            "site.yaml:1:8: unsupported YAML tag tag:yaml.org,2002:python/object:os.system",
        ),
    ],
)
def test_site_yaml_errors_via_cli(tmp_path: Path, text: str, expected: str) -> None:
    write_site_yaml(tmp_path, text)
    result = run_cli("build", "-C", str(tmp_path))
    assert result.exit_code == 1
    assert expected in output_of(result)
    assert "Traceback" not in output_of(result)


def test_output_may_not_overlap_content(make_site) -> None:
    root = make_site({"site.yaml": SITE_YAML + "output: content\n"})
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 1
    assert "overlaps" in output_of(result)
    assert (root / "content" / "issuers" / "acme.yaml").is_file()


def test_a_site_url_with_capitals_builds_and_verifies(make_site) -> None:
    """Mixed-case hosts once crashed the build (did:web lower-cases them)."""
    from conftest import build_site

    from credsite.commands import verify as verifysite

    root = make_site({"site.yaml": SITE_YAML.replace(SITE_URL, "https://Example.GitHub.io/creds/")})
    build_site(root)
    reports = verifysite.verify_site(root / "_site")
    assert reports and {r.report.status for r in reports} == {"verified"}
