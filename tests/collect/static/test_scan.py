"""The parallel scan: links not followed, big files cut into ranges, worker tallies merged, a dying worker reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from databorder.collect import KEEP_PER_ENDPOINT
from databorder.collect.static import scan
from databorder.collect.static.scan import scan_path


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "a.js").write_bytes(b'"https://api.chatvendor.com/v1"')
    (app / "loop").symlink_to(app)
    observations, _, _ = scan_path(app)
    assert [o.evidence.source for o in observations] == ["app/a.js"]


def test_big_plain_files_are_split_into_ranges_without_losing_or_doubling_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "SPLIT", 1 << 20)  # 1 MB ranges for the test (workers fork and inherit it)
    name = b'"https://api.chatvendor.com/v1/x"'
    blob = bytearray(b"\x00" * (5 << 20))
    places = [(1 << 20) - 5, (3 << 20) + 7, (5 << 20) - 100]  # across two range boundaries, and near the end
    for at in places:
        blob[at : at + len(name)] = name
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(blob))
    observations, _, _ = scan_path(path, workers=2)
    assert sorted(o.evidence.location or "" for o in observations) == sorted(f"offset {at + 1}" for at in places)


def test_a_name_repeated_everywhere_keeps_its_best_sightings_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "SPLIT", 1 << 20)  # several ranges, so worker tallies are merged
    noise = b'// see "https://api.chatvendor.com/docs"\n'
    used = b'const client={baseURL:"https://api.chatvendor.com/v1/chat"};\n'
    repeats = (4 << 20) // len(noise)
    body = noise * (repeats // 2) + used + noise * (repeats // 2)
    (tmp_path / "bundle.js").write_bytes(body)
    (tmp_path / "other.js").write_bytes(used)
    observations, _, _ = scan_path(tmp_path, workers=2)
    ours = [o for o in observations if o.host == "api.chatvendor.com"]
    whole = [o for o in ours if o.evidence.location is not None]
    summaries = [o for o in ours if o.evidence.location is None]
    assert len(whole) == KEEP_PER_ENDPOINT
    assert max(o.relevance for o in whole) == max(o.relevance for o in observations)
    assert {o.evidence.source for o in whole if "baseURL" in o.evidence.excerpt} == {
        f"{tmp_path.name}/bundle.js",
        f"{tmp_path.name}/other.js",
    }  # the one data-like use deep inside the big file is among the kept, whichever range found it
    counted = sum(int(o.evidence.excerpt.split()[2].replace(",", "")) for o in summaries)
    assert counted + len(whole) == repeats // 2 * 2 + 2  # every sighting is either kept or counted


def _dies(task: object) -> None:
    import os

    os._exit(1)  # as a SIGBUS would, when a mapped file shrinks while it is read


def test_a_scanning_process_that_dies_is_a_problem_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "_scan_task", _dies)
    (tmp_path / "a.js").write_bytes(b'x="https://api.chatvendor.com/v1"')
    observations, problems, _ = scan_path(tmp_path, workers=1)
    assert observations == []
    assert any("ended unexpectedly" in p.message for p in problems)


BUNDLE = (
    'const client={baseURL:"https://api.example-vendor.test/v1"};\n'
    "/* 京ICP备18024657号 */\n"
    'var footer="© 2025 Example Vendor Technology Co., Ltd.";\n'
)


def write_vendor_bundle(app: Path) -> Path:
    """A web app's bundle: its API host, its ICP filing and its copyright line near each other."""
    (app / "dist").mkdir(parents=True)
    (app / "dist" / "main.js").write_text(BUNDLE + "x" * (64 << 10), encoding="utf-8")  # not a small file
    far = "y" * (64 << 10) + 'fetch("https://cdn.example-vendor.test/app.css");'
    (app / "dist" / "assets.js").write_text(far, encoding="utf-8")  # no entity text near it
    (app / "dist" / "other.js").write_text("z" * (64 << 10) + '"https://api.other-vendor.test/v1"', encoding="utf-8")
    return app


def test_entity_text_is_linked_to_the_registrable_domain_of_the_hosts_near_it(tmp_path: Path) -> None:
    observations, _, _ = scan_path(write_vendor_bundle(tmp_path / "app"))
    entities = {o.host: o.entities for o in observations if o.entities}
    assert set(entities) == {"api.example-vendor.test", "cdn.example-vendor.test"}  # the domain's hosts, no other
    icp, copyright_line = entities["api.example-vendor.test"]
    assert (icp.kind, icp.text, icp.country) == ("icp-filing", "京ICP备18024657号", "CN")
    assert icp.source == "app/dist/main.js"
    assert icp.near == "api.example-vendor.test" and icp.offset == BUNDLE.encode().index("京".encode())
    assert copyright_line.name == "Example Vendor Technology Co., Ltd." and copyright_line.country is None
    assert entities["cdn.example-vendor.test"] == entities["api.example-vendor.test"]  # seen near its sibling


def test_a_threshold_leaves_out_exactly_the_sightings_under_it_and_counts_the_hosts_left_with_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "SPLIT", 1 << 20)  # worker tallies merged, kept sightings and counted ones
    used = b'const client={baseURL:"https://api.chatvendor.com/v1/chat"};\n'
    noise = b'// see "https://api.chatvendor.com/docs" and "https://docs.chatvendor.com/guide"\n'
    (tmp_path / "bundle.js").write_bytes(noise * ((3 << 19) // len(noise)) + used)
    (tmp_path / "README.md").write_text("Docs: https://docs.chatvendor.com/start and https://blog.example.org/x\n")
    (tmp_path / "cdn.js").write_bytes(b'x="https://cdn.widgets.test/a.js";' * 30 + b'y="api.metrics.test"')
    everything, _, none_hidden = scan_path(tmp_path, workers=2)
    assert none_hidden == 0
    relevances = sorted({o.relevance for o in everything})
    assert len(relevances) >= 3
    hosts = {o.host for o in everything}
    for threshold in (0.2, relevances[-1]):  # one between the docs link and the API, one above all but one
        kept, _, hidden = scan_path(tmp_path, workers=2, min_relevance=threshold)
        # As if every sighting had been made into an observation and those under the threshold dropped after.
        assert kept == [o for o in everything if o.relevance >= threshold]
        assert hidden == len(hosts - {o.host for o in kept})


def test_a_cancel_stops_the_workers_mid_file_within_a_second(tmp_path: Path) -> None:
    """A task can be a 64 MB range: the scan stops its workers rather than wait for the range to end."""
    import threading
    import time

    app = tmp_path / "app"
    app.mkdir()
    lines = "".join(f'fetch("https://svc{n}.vendor.test/v1/chat");\n' for n in range(300)) * 20
    for n in range(60):
        (app / f"module{n}.js").write_text(lines, encoding="utf-8")
    (app / "big.bin").write_bytes(b"\x00filler " * 12_000_000)  # 96 MB: two ranges that take a while each
    started: list[float] = []
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        if not started:
            started.append(time.monotonic())
            assert done < total
            stop.set()  # cancel as soon as the first task is back: the others are mid-file

    found, problems, _ = scan_path(app, progress=progress, cancelled=stop.is_set, workers=2)
    took = time.monotonic() - started[0]
    assert took < 1.0
    assert problems[-1].message == "the scan was cancelled; files scanned before are kept"
    assert len({o.host for o in found}) < 300  # not everything: the scan did stop
