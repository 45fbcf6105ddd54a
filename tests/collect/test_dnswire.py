from __future__ import annotations

import struct

import dns.message
from hypothesis import given
from hypothesis import strategies as st

from databorder.collect.dnswire import Answer, TcpMessages, parse_response
from tests.helpers.packets import dns_response


def test_a_whole_response_gives_name_chain_and_addresses() -> None:
    wire = dns_response("www.chat.test", a=["198.51.100.20"], aaaa=["2001:db8::20"], cname="edge.cdn.test")
    assert parse_response(wire) == Answer("www.chat.test", ("198.51.100.20", "2001:db8::20"), ("edge.cdn.test",), False)


def test_queries_and_non_dns_are_not_answers() -> None:
    assert parse_response(dns.message.make_query("q.chat.test", "A").to_wire()) is None
    assert parse_response(b"\x00" * 5) is None


def test_a_cut_response_keeps_the_records_before_the_cut() -> None:
    wire = dns_response("many.chat.test", a=[f"198.51.100.{i}" for i in range(1, 11)])
    answer = parse_response(wire[: len(wire) - 20])
    assert answer is not None and answer.cut and answer.name == "many.chat.test"
    assert answer.addresses == tuple(f"198.51.100.{i}" for i in range(1, 9))
    assert parse_response(wire[:40]) == Answer("many.chat.test", (), (), True)


def test_a_compression_loop_is_not_followed_forever() -> None:
    header = struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0)
    assert parse_response(header + b"\xc0\x0c" + b"\x00\x01\x00\x01") is None


def test_dns_over_tcp_messages_are_split_across_segments_and_retransmissions_skipped() -> None:
    one = dns_response("a.tcp.test", a=["198.51.100.1"])
    two = dns_response("b.tcp.test", a=["198.51.100.2"])
    stream = struct.pack("!H", len(one)) + one + struct.pack("!H", len(two)) + two
    messages = TcpMessages()
    got = messages.feed(1000, stream[:5]) + messages.feed(1005, stream[5:40])
    got += messages.feed(1005, stream[5:40])  # the same segment again
    got += messages.feed(1040, stream[40:])
    assert got == [one, two]
    cut = TcpMessages()
    cut.feed(1, stream[:30])
    assert cut.rest() == one[:28]


@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    parse_response(b"\x00\x01\x81\x80" + data)
    TcpMessages().feed(0, data)
