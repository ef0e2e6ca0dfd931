"""The request's base URL: Host as sent, forwarded headers only from trusted proxies."""

from __future__ import annotations

import pytest

from market.web.public_url import request_base_url

TRUSTED = ("10.0.0.0/8",)
FORWARDED = {"host": "10.0.0.5:8000", "x-forwarded-proto": "https", "x-forwarded-host": "a.cn"}


def test_the_host_header_keeps_its_port():
    assert request_base_url("http", {"host": "127.0.0.1:8123"}, None, "1.2.3.4", ()) == (
        "http://127.0.0.1:8123"
    )


def test_without_a_host_header_the_server_address_is_used_default_port_omitted():
    assert request_base_url("http", {}, ("example.org", 80), "1.2.3.4", ()) == "http://example.org"
    assert request_base_url("https", {}, ("example.org", 8443), "p", ()) == (
        "https://example.org:8443"
    )


def test_forwarded_headers_count_only_from_a_trusted_peer():
    assert request_base_url("http", FORWARDED, None, "10.0.0.9", TRUSTED) == "https://a.cn"
    assert request_base_url("http", FORWARDED, None, "192.0.2.7", TRUSTED) == (
        "http://10.0.0.5:8000"
    )
    assert request_base_url("http", FORWARDED, None, "10.0.0.9", ()) == "http://10.0.0.5:8000"
    # a proxy chain: the first value is what the client used
    chain = {**FORWARDED, "x-forwarded-proto": "https, http", "x-forwarded-host": "a.cn, b"}
    assert request_base_url("http", chain, None, "10.0.0.9", TRUSTED) == "https://a.cn"


@pytest.mark.parametrize(
    "host", ["evil.example/x", "a b", 'x"y', "host:99999999", "", "x@y", "[::1"]
)
def test_a_malformed_host_gives_no_base_url(host):
    assert request_base_url("http", {"host": host}, None, "1.2.3.4", ()) is None


def test_only_http_and_https():
    assert request_base_url("ftp", {"host": "a.cn"}, None, "p", ()) is None
    assert request_base_url("http", {"host": "[::1]:8000"}, None, "p", ()) == "http://[::1]:8000"
