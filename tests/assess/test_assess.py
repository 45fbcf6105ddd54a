from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from databorder.assess import AssessOptions, assess, assess_request
from databorder.collect.hostlist import observations_from_args
from databorder.collect.targets import TargetRequest
from databorder.errors import GeoIPDatabaseError, RulePackError
from databorder.model import Target
from databorder.nameserver import Nameserver
from tests.collect.static.test_scan import write_vendor_bundle
from tests.conftest import DnsZone, FixtureDatabases
from tests.helpers.shipped import geoip_provenance

TARGET = Target(kind="hosts", name="test")
HOSTS = [
    "https://api.chat.test/v1",
    "www.chat.test",
    "lan.chat.test",
    "nope.chat.test",
    "198.51.100.200",
    "chat.deepseek.com",
]


class Recorder:
    def __init__(self, cancel_at: str | None = None) -> None:
        self.events: list[tuple[str, int, int]] = []
        self.cancel_at = cancel_at

    def report(self, stage: str, done: int, total: int) -> None:
        self.events.append((stage, done, total))

    @property
    def cancelled(self) -> bool:
        return self.cancel_at is not None and any(stage == self.cancel_at for stage, _, _ in self.events)


def options(dbs: FixtureDatabases, **kw: object) -> AssessOptions:
    return AssessOptions(country_db=dbs.country, asn_db=dbs.asn, **kw)  # type: ignore[arg-type]


def test_end_to_end_with_real_dns_fixture_databases_and_the_shipped_pack(
    dns_zone: DnsZone, fixture_dbs: FixtureDatabases, check_schema: Callable[[object], dict[str, object]]
) -> None:
    observations, _ = observations_from_args(HOSTS)
    progress = Recorder()
    result = assess(
        target=TARGET,
        observations=observations,
        options=options(fixture_dbs, nameserver=Nameserver.parse(dns_zone.nameserver)),
        progress=progress,
    )
    check_schema(result)
    by_key = {e.key: e for e in result.endpoints}
    api = by_key["api.chat.test"]
    assert [(a.ip, a.country, a.asn) for a in api.addresses] == [
        ("203.0.113.10", "CN", 37963),
        ("2001:db8::10", "CN", 37963),
    ]
    assert api.schemes == ("https",) and api.registrable_domain == "chat.test"
    www = by_key["www.chat.test"]
    assert www.resolution.cname_chain == ("edge.cdn.test", "host.cdn.test")
    assert www.addresses[0].network_operator is not None and www.addresses[0].network_operator.country == "CN"
    assert by_key["lan.chat.test"].addresses[0].scope == "local"
    assert by_key["nope.chat.test"].resolution.status == "nxdomain"
    assert by_key["198.51.100.200"].addresses[0].anycast
    assert by_key["chat.deepseek.com"].service is not None
    rules = {(f.endpoint, f.rule) for f in result.findings}
    assert ("api.chat.test", "hosting-in-country-of-concern") in rules
    assert ("www.chat.test", "network-operator-from-country-of-concern") in rules
    assert ("chat.deepseek.com", "service-operator-from-country-of-concern") in rules
    assert (result.verdict, result.score, result.band) == ("prohibit", 100, "critical")
    assert result.complete and result.nameserver == dns_zone.nameserver
    assert [p.id for p in result.packs] == ["us-countries-of-concern"]
    kinds = [d.kind for d in result.databases]
    # A MaxMind-format file decides the country; the embedded database is consulted beside it.
    assert kinds[:6] == ["country", "country", "asn", "cloud", "operators", "catalog"]
    assert set(kinds[6:]) == {"knowledge"}
    stages = [stage for stage, *_ in progress.events]
    assert list(dict.fromkeys(stages)) == ["collect", "resolve", "attribute", "evaluate"]
    assert ("attribute", 5, 5) in progress.events  # five distinct addresses, each attributed once


def test_offline_attributes_bare_addresses_and_services_without_dns(
    fixture_dbs: FixtureDatabases, check_schema: Callable[[object], dict[str, object]]
) -> None:
    observations, _ = observations_from_args(["api.deepseek.com", "203.0.113.5", "api.mistral.ai"])
    result = assess(target=TARGET, observations=observations, options=options(fixture_dbs, offline=True))
    check_schema(result)
    by_key = {e.key: e for e in result.endpoints}
    assert by_key["api.deepseek.com"].resolution.status == "skipped"
    assert by_key["api.deepseek.com"].resolution.detail == "offline: DNS was not used"
    assert by_key["203.0.113.5"].addresses[0].country == "CN"
    mistral = by_key["api.mistral.ai"].service
    assert mistral is not None and mistral.country == "FR"
    assert result.offline and result.nameserver is None and result.verdict == "prohibit"


def test_cancelled_run_keeps_what_it_has_and_never_allows(fixture_dbs: FixtureDatabases, dns_zone: DnsZone) -> None:
    observations, _ = observations_from_args(["api.chat.test"])
    result = assess(
        target=TARGET,
        observations=observations,
        options=options(fixture_dbs, nameserver=Nameserver.parse(dns_zone.nameserver)),
        progress=Recorder(cancel_at="collect"),
    )
    assert not result.complete
    assert result.endpoints[0].key == "api.chat.test" and result.findings == ()
    assert result.verdict == "review"
    assert any("cancelled by the user before the resolve stage" in w for w in result.warnings)


def test_broken_pack_or_database_fails_before_any_dns_is_sent(
    fixture_dbs: FixtureDatabases, dns_zone: DnsZone, tmp_path: Path
) -> None:
    observations, _ = observations_from_args([f"n{i}.slow.test" for i in range(5)])
    bad_pack = tmp_path / "bad.toml"
    bad_pack.write_text("[pack\n")
    slow_ns = Nameserver.parse(dns_zone.nameserver)
    started = time.monotonic()
    with pytest.raises(RulePackError, match=r"bad\.toml, line 1"):
        assess(
            target=TARGET,
            observations=observations,
            options=options(fixture_dbs, nameserver=slow_ns, packs=(str(bad_pack),)),
        )
    with pytest.raises(GeoIPDatabaseError, match="not a country"):
        assess(
            target=TARGET,
            observations=observations,
            options=AssessOptions(country_db=fixture_dbs.asn, nameserver=slow_ns),
        )
    assert time.monotonic() - started < 1  # the slow names were never asked


def test_embedded_default_databases_attribute_real_addresses() -> None:
    observations, _ = observations_from_args(["8.8.8.8", "223.5.5.5", "1.1.1.1", "2001:4860:4860::8888"])
    result = assess(target=TARGET, observations=observations, options=AssessOptions(offline=True))
    by_key = {e.key: e.addresses[0] for e in result.endpoints}
    assert (by_key["8.8.8.8"].country, by_key["8.8.8.8"].asn) == ("US", 15169)
    alibaba = by_key["223.5.5.5"]
    assert (alibaba.country, alibaba.asn) == ("CN", 45102)
    assert alibaba.network_operator is not None and alibaba.network_operator.country == "CN"
    assert by_key["1.1.1.1"].asn == 13335 and by_key["1.1.1.1"].anycast
    assert by_key["2001:4860:4860::8888"].asn == 15169
    country, asn = result.databases[0], result.databases[1]
    assert country.source == geoip_provenance("country")["source"]
    assert country.licence == "CC BY 4.0" and country.attribution and "NRO" in country.attribution
    assert (asn.source, asn.build_date) == (geoip_provenance("asn")["source"], geoip_provenance("asn")["build_date"])


def test_nameless_capture_addresses_get_names_only_when_sure(
    dns_zone: DnsZone, fixture_dbs: FixtureDatabases, tmp_path: Path
) -> None:
    from databorder.collect.pcap import read_pcap
    from tests.helpers.packets import ethernet, tcp, write_pcap

    capture = write_pcap(
        tmp_path / "flows.pcap",
        [
            ethernet(tcp("10.0.0.2", "203.0.113.10", 50000, 443, syn=True)),  # api.chat.test resolves to it
            ethernet(tcp("10.0.0.2", "198.51.100.20", 50001, 443, syn=True)),  # PTR host.cdn.test, forward-confirmed
            ethernet(tcp("10.0.0.2", "203.0.113.99", 50002, 443, syn=True)),  # no PTR: stays an address
        ],
    )
    observations, _ = read_pcap(capture)
    listed, _ = observations_from_args(["api.chat.test"])
    result = assess(
        target=TARGET,
        observations=listed + observations,
        options=options(fixture_dbs, nameserver=Nameserver.parse(dns_zone.nameserver)),
    )
    by_key = {e.key: e for e in result.endpoints}
    assert set(by_key) == {"api.chat.test", "host.cdn.test", "203.0.113.99"}
    api = by_key["api.chat.test"]
    assert {ev.collector for ev in api.evidence} == {"cli", "pcap"}
    assert any(ev.excerpt.endswith("— named api.chat.test: it resolved to this address") for ev in api.evidence)
    cdn = by_key["host.cdn.test"]
    assert cdn.resolution.status == "ok" and cdn.observed_addresses == ("198.51.100.20",)
    assert cdn.evidence[0].excerpt.endswith("its PTR name, which resolves back to it")
    assert cdn.addresses[0].ip == "198.51.100.20" and cdn.confidence == "observed"


def test_the_probe_is_its_own_stage_honours_cancel_and_is_skipped_offline(
    fixture_dbs: FixtureDatabases, tmp_path: Path
) -> None:
    from tests.helpers.dns_servers import Dnsmasq
    from tests.helpers.tls_servers import LOOPBACK, TestCA, TlsServer

    ca = TestCA(tmp_path)
    issued = ca.issue(("api.probe.test",), organisation="Probe Example Pte. Ltd.", country="SG")
    with Dnsmasq(host_records={"api.probe.test": [LOOPBACK]}) as dns, TlsServer(issued) as server:
        observations, _ = observations_from_args([f"https://api.probe.test:{server.port}/"])
        ns = Nameserver.parse(dns.nameserver)
        progress = Recorder()
        ran = assess(target=TARGET, observations=observations, options=options(fixture_dbs, nameserver=ns,
                     probe=True), progress=progress)  # fmt: skip
        assert server.connections >= 1
        assert [e for e in progress.events if e[0] == "probe"][-1] == ("probe", 2, 2)  # its TLS and RDAP jobs
        stages = [stage for stage, _, _ in progress.events]
        assert stages.index("attribute") < stages.index("probe") < stages.index("evaluate")
        assert ran.endpoints[0].service is not None and ran.endpoints[0].service.basis == "tls"  # untrusted CA: low
        assert ran.endpoints[0].service.confidence == "low"
        before = server.connections
        stopped = assess(target=TARGET, observations=observations, options=options(fixture_dbs, nameserver=ns,
                         probe=True), progress=Recorder(cancel_at="attribute"))  # fmt: skip
        assert server.connections == before and not stopped.complete and stopped.verdict != "allow"
        assert any("before the probe stage" in w for w in stopped.warnings)
        offline = assess(target=TARGET, observations=observations, options=options(fixture_dbs, offline=True,
                         probe=True))  # fmt: skip
        assert server.connections == before and offline.endpoints[0].service is None
        assert any(n.startswith("probe: skipped, because the assessment is offline") for n in offline.notes)


def test_a_scanned_bundle_naming_a_chinese_operator_asks_for_review(
    tmp_path: Path, check_schema: Callable[[object], dict[str, object]]
) -> None:
    app = write_vendor_bundle(tmp_path / "app")
    request = TargetRequest(paths=(app,), all_names=True)
    result = assess_request(request, AssessOptions(offline=True, packs=("us-countries-of-concern",)))
    check_schema(result)
    api = next(e for e in result.endpoints if e.host == "api.example-vendor.test")
    service = api.service
    assert service is not None and (service.basis, service.country, service.confidence) == ("bundle", "CN", "low")
    assert service.operator.startswith("Example Vendor Technology Co., Ltd. (likely under CN law: ICP filing 京ICP备")
    assert [e.kind for e in api.entities] == ["icp-filing", "copyright"]
    [finding] = [f for f in result.findings if f.endpoint == api.key]
    assert finding.rule == "service-operator-from-country-of-concern" and finding.severity == "review"
    assert "run by Example Vendor Technology Co., Ltd. (likely under CN law: ICP filing 京ICP备18024657号) (CN)" in (
        finding.message
    )
    assert "from legal-entity text in the scanned bundle" in finding.adjustments[0]
    assert finding.adjustments[0].endswith("until an organisation's table or the knowledge base settles it")
    other = next(e for e in result.endpoints if e.host == "api.other-vendor.test")
    assert other.service is None and other.entities == ()  # text in another file says nothing about it
    assert result.verdict == "review"  # an inference asks for review: not allow, and never prohibit


def test_assess_paths_assesses_each_app_keeps_it_and_stops_starting_more_once_cancelled(tmp_path: Path) -> None:
    from databorder.assess import APPS_STAGE, assess_paths
    from databorder.history import HistoryStore

    apps = []
    for name, host in (("one", "api.deepseek.com"), ("two", "api.openai.com"), ("three", "api.moonshot.cn")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "main.js").write_text(f'fetch("https://{host}/v1/chat")\n', encoding="utf-8")
        apps.append(folder)
    empty = tmp_path / "empty"
    empty.mkdir()

    class StopAfterFirst:
        def __init__(self) -> None:
            self.reports: list[tuple[str, int, int]] = []

        def report(self, stage: str, done: int, total: int) -> None:
            self.reports.append((stage, done, total))

        @property
        def cancelled(self) -> bool:
            # Once the first app's files are scanned: a cancel stops a scan at once, keeping what it gathered.
            if (APPS_STAGE, 1, 4) not in self.reports:
                return False
            after = self.reports[self.reports.index((APPS_STAGE, 1, 4)) + 1 :]
            return any(stage == "collect" and total and done == total for stage, done, total in after)

    results = assess_paths([empty, *apps], TargetRequest(), AssessOptions(offline=True), StopAfterFirst())
    assert [r.path for r in results] == [empty, apps[0]]
    assert results[0].problem is not None and "nothing to assess" in results[0].problem
    assessed = results[1].assessment
    assert assessed is not None and [e.key for e in assessed.endpoints] == ["api.deepseek.com"]
    assert assessed.verdict == "review" and results[1].history_id == 1  # a scan's names are possible only
    with HistoryStore() as store:
        assert store.count() == 1 and store.get(1).target.name == str(apps[0])
    unkept = assess_paths(apps[1:2], TargetRequest(), AssessOptions(offline=True, history=False))
    assert unkept[0].history_id is None and unkept[0].assessment is not None


def test_the_tier_defaults_by_the_kind_of_app_is_shown_and_selects_the_vendors_facts(
    check_schema: Callable[[object], dict[str, object]],
) -> None:
    request = TargetRequest(apps=("claude-code",))
    packs = ("vendor-data-practices",)
    coding = assess_request(request, AssessOptions(offline=True, packs=packs))
    check_schema(coding)
    assert (coding.tier, coding.tier_basis, coding.app) == ("api", "the default for a coding app (claude-code)",
                                                            "claude-code")  # fmt: skip
    [anthropic] = coding.practices
    assert anthropic.vendor == "Anthropic PBC" and anthropic.tier == "api"
    assert anthropic.value("trains_on_user_data") == "no" and anthropic.source_file == "practices/anthropic.toml"
    assert not [f for f in coding.findings if f.rule.startswith("vendor-")]
    consumer = assess_request(request, AssessOptions(offline=True, packs=packs, tier="consumer"))
    assert (consumer.tier, consumer.tier_basis) == ("consumer", "given")
    trains = [f for f in consumer.findings if f.rule == "vendor-trains-on-user-content"]
    assert len(trains) == 1 and "https://code.claude.com/docs/en/data-usage" in trains[0].fact  # once per vendor
    chat = assess_request(TargetRequest(apps=("deepseek",)), AssessOptions(offline=True, packs=packs))
    assert (chat.tier, chat.tier_basis) == ("consumer", "the default for a chat app (deepseek)")
    hosts = assess(target=TARGET, observations=observations_from_args(["api.chat.test"])[0],
                   options=AssessOptions(offline=True, packs=packs))  # fmt: skip
    assert (hosts.tier, hosts.app, hosts.practices) == ("consumer", None, ())


def test_a_scanned_package_is_recognised_by_its_file_name_and_compared_with_its_declarations(tmp_path: Path) -> None:
    package = tmp_path / "qwen-code-qwen-code-9.9.9"
    (package / "dist").mkdir(parents=True)
    (package / "dist" / "cli.js").write_text(
        'const GEMINI = "https://generativelanguage.googleapis.com/v1beta/models";\n'
        'const QWEN = "https://dashscope.aliyuncs.com/compatible-mode/v1";\n',
        encoding="utf-8",
    )
    request = TargetRequest(paths=(package,), all_names=True)
    result = assess_request(request, AssessOptions(offline=True, packs=("vendor-data-practices",)))
    assert (result.app, result.tier, result.tier_basis) == ("qwen", "api", "the default for a scanned package or "
                                                            "SDK (qwen)")  # fmt: skip
    other = [f for f in result.findings if f.rule == "other-model-vendor"]
    assert [f.endpoint for f in other] == ["generativelanguage.googleapis.com"]
    assert "catalog qwen declares the models of: Alibaba Cloud (Alibaba Group)" in other[0].fact
    assert "cli.js" in other[0].fact  # the observed side: where the scan saw it
    given = assess_request(request, AssessOptions(offline=True, packs=("vendor-data-practices",), app="gemini-cli"))
    flagged = [f.endpoint for f in given.findings if f.rule == "other-model-vendor"]
    assert given.app == "gemini-cli" and flagged == ["dashscope.aliyuncs.com"]  # now the other side is the other vendor
