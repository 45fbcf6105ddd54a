"""From what the user picked to observations: the function the CLI and the GUI share."""

from __future__ import annotations

import zipfile
from pathlib import Path

from databorder.collect.targets import TargetRequest, collect_target, split_arguments


def test_free_arguments_are_sorted_into_catalog_ids_paths_and_hosts(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    request = split_arguments(["DeepSeek", str(folder), "api.example.test", "https://x.test/v1"])
    assert request.apps == ("deepseek",)
    assert request.paths == (folder,)
    assert request.hosts == ("api.example.test", "https://x.test/v1")
    assert not request.empty
    assert TargetRequest().empty


def test_arguments_written_as_paths_that_name_nothing_are_missing_files_not_hosts(tmp_path: Path) -> None:
    written = [str(tmp_path / "gone"), "./app.zip", "Tool.app", "~/x", "C:\\Apps\\x", "https://app.zip", "a.test/v1"]
    request = split_arguments(written)
    assert request.missing == tuple(written[:5])
    assert request.hosts == ("https://app.zip", "a.test/v1")  # a scheme makes it a host; so does a host's path
    assert not request.empty
    collected = collect_target(request)
    assert collected.observations[0].host == "app.zip" and len(collected.observations) == 2
    assert f"{written[0]}: no such file or folder" in collected.problems


def test_a_mixed_request_collects_from_every_source_and_keeps_problems(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("upload.example.test\nnot a host at all\n", encoding="utf-8")
    bundle = tmp_path / "app.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("dist/main.js", 'const baseURL = "https://api.vendor.test/v1/chat";\n')
    request = TargetRequest(
        apps=("deepseek",), paths=(bundle,), host_files=(hosts,), hosts=("typed.example.test",), all_names=True
    )
    seen: list[tuple[int, int]] = []
    collected = collect_target(request, progress=lambda done, total: seen.append((done, total)))
    found = {o.host for o in collected.observations}
    assert {"typed.example.test", "upload.example.test", "api.vendor.test", "chat.deepseek.com"} <= found
    assert {o.evidence.collector for o in collected.observations} >= {"catalog", "static", "list"}
    assert collected.target.kind == "path"  # the most specific kind of a mixed target
    assert "DeepSeek (catalog)" in collected.target.name
    assert any("line 2" in p for p in collected.problems)
    assert seen and seen[-1][0] == seen[-1][1] > 0


def test_names_below_the_relevance_threshold_are_left_out_with_a_note(tmp_path: Path) -> None:
    bundle = tmp_path / "app.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("LICENSE", "See https://www.apache.org/licenses/LICENSE-2.0 for the licence.\n")
        archive.writestr("main.js", 'fetch("https://api.vendor.test/v1/upload")\n')
    strict = collect_target(TargetRequest(paths=(bundle,), min_relevance=0.5))
    everything = collect_target(TargetRequest(paths=(bundle,), all_names=True))
    assert "www.apache.org" not in {o.host for o in strict.observations}
    assert any("below relevance 0.5" in n for n in strict.notes)
    assert "www.apache.org" in {o.host for o in everything.observations}
    assert not everything.notes
