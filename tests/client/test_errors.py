"""Network failures become one sentence: unreachable host, silent server, TLS problems."""

from __future__ import annotations

import socket

import pytest

from acrtui.client import Profile, RegistryClient, Unreachable
from tests.client.token_server import make_certificate
from tests.support.distribution import run_distribution
from tests.support.tools import free_port


def client_for(url: str, *, insecure: bool = False, timeout: float = 5.0) -> RegistryClient:
    return RegistryClient(Profile(name="t", url=url, insecure=insecure), timeout=timeout, find_credentials=None)


async def test_nothing_listening():
    port = free_port()
    async with client_for(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(Unreachable) as excinfo:
            await client.ping()
    assert excinfo.value.message == (
        f"cannot connect to 127.0.0.1:{port} (Connection refused); check the address and that the registry is running")


async def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        async with client_for(f"http://127.0.0.1:{port}", timeout=0.3) as client:
            with pytest.raises(Unreachable, match=r"did not answer within 0.3 s; check the network, or raise the timeout"):
                await client.tags("app")


async def test_tls_failures(tmp_path, distribution):
    port = distribution.url.rsplit(":", 1)[1]
    async with client_for(f"https://127.0.0.1:{port}") as client:
        with pytest.raises(Unreachable, match="TLS handshake with 127.0.0.1:.* failed .*use an http:// address"):
            await client.ping()
    with run_distribution(tmp_path / "tls", tls=make_certificate(tmp_path, "registry")) as secure:
        async with client_for(secure.url) as client:
            with pytest.raises(Unreachable, match="TLS verification of 127.0.0.1:.* failed .*set insecure: true"):
                await client.ping()
        async with client_for(secure.url, insecure=True) as client:
            await client.ping()
            assert (await client.catalog()).items == []
