"""Declared dependencies: each manifest shape read, the vendors' SDKs among them turned into their endpoints."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from databorder.collect.static.dependencies import DEPENDENCY_RELEVANCE, declared, is_manifest, sdk_hits
from databorder.collect.static.scan import scan_path

SDKS = {"pypi:vendor-sdk": "api.vendor.test", "npm:@vendor/sdk": "api.vendor.test"}


def names(source: str, text: str) -> list[tuple[str, str, bool]]:
    return [(d.registry, d.name, d.optional) for d in declared(source, text.encode())]


def test_a_wheels_metadata_declares_its_requirements_and_extras_but_not_its_description() -> None:
    text = (
        "Metadata-Version: 2.1\nName: wrapper\nRequires-Dist: vendor_sdk (>=2.0)\n"
        'Requires-Dist: other[fast]>=1; extra == "speed"\n\nRequires-Dist: in-the-description\n'
    )
    assert names("w.whl!wrapper-1.0.dist-info/METADATA", text) == [
        ("pypi", "vendor_sdk", False),
        ("pypi", "other", True),
    ]


def test_package_json_declares_runtime_peer_and_optional_dependencies_never_dev_ones() -> None:
    text = json.dumps(
        {
            "name": "wrapper",
            "dependencies": {"@vendor/sdk": "^1"},
            "peerDependencies": {"react": "*"},
            "optionalDependencies": {"fsevents": "*"},
            "devDependencies": {"vitest": "*"},
        }
    )
    assert names("package/package.json", text) == [
        ("npm", "@vendor/sdk", False),
        ("npm", "react", False),
        ("npm", "fsevents", True),
    ]


def test_requirements_pyproject_and_pipfile() -> None:
    assert names("app/requirements-prod.txt", "# pinned\n-r base.txt\nVendor.SDK==2.1  # the API\n") == [
        ("pypi", "Vendor.SDK", False)
    ]
    pyproject = '[project]\ndependencies = ["vendor-sdk>=2"]\n[project.optional-dependencies]\nx = ["extra-one"]\n'
    assert names("app/pyproject.toml", pyproject) == [("pypi", "vendor-sdk", False), ("pypi", "extra-one", True)]
    poetry = '[tool.poetry.dependencies]\npython = "^3.11"\nvendor-sdk = "^2"\n'
    assert names("app/pyproject.toml", poetry) == [("pypi", "vendor-sdk", False)]
    assert names("app/Pipfile", '[packages]\nvendor-sdk = "*"\n') == [("pypi", "vendor-sdk", False)]


def test_what_is_not_a_manifest_or_not_readable_as_one_declares_nothing() -> None:
    assert not is_manifest("app/src/metadata.py") and is_manifest("x.whl!a-1.dist-info/METADATA")
    assert names("package/package.json", "{not json") == []
    assert names("app/pyproject.toml", "[project\n") == []


def test_a_vendor_sdk_among_the_dependencies_is_a_sighting_of_its_endpoint_whatever_the_name_spelling() -> None:
    text = b"Name: wrapper\nRequires-Dist: Vendor_SDK>=2\nRequires-Dist: unrelated\n"
    hits = list(sdk_hits("w.whl!w-1.dist-info/METADATA", text, SDKS))
    assert [(host, relevance) for host, _, _, relevance in hits] == [("api.vendor.test", DEPENDENCY_RELEVANCE)]
    assert "Vendor_SDK" in hits[0][2] and "api.vendor.test" in hits[0][2]
    assert hits[0][1] == len(b"Name: wrapper\n")  # the offset of the declaration


@given(st.sampled_from(["METADATA", "package.json", "requirements.txt", "pyproject.toml", "Pipfile"]), st.binary())
def test_any_bytes_under_a_manifest_name_never_raise(name: str, data: bytes) -> None:
    assert isinstance(declared(f"app/{name}", data), list)


def test_a_scanned_wheel_and_npm_tarball_that_only_wrap_a_vendor_sdk_reach_its_endpoint(tmp_path: Path) -> None:
    wheel = tmp_path / "wrapper-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("wrapper/__init__.py", "from vendor_sdk import Client\n")
        archive.writestr("wrapper-1.0.dist-info/METADATA", "Name: wrapper\nRequires-Dist: vendor-sdk\n")
    tarball = tmp_path / "wrapper-1.0.tgz"
    manifest = json.dumps({"name": "wrapper", "dependencies": {"@vendor/sdk": "1"}}).encode()
    with tarfile.open(tarball, "w:gz") as archive:
        info = tarfile.TarInfo("package/package.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    for path in (wheel, tarball):
        observations, problems, _ = scan_path(path, sdk_endpoints=SDKS, workers=1)
        assert problems == []
        assert [(o.host, o.relevance) for o in observations] == [("api.vendor.test", DEPENDENCY_RELEVANCE)]
        assert "declares the dependency" in (observations[0].evidence.excerpt or "")
        assert scan_path(path, workers=1)[0] == []  # without the SDK table, nothing
