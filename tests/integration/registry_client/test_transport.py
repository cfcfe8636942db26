"""The transport against real sockets: keep-alive reuse, maxsockets, TLS with a private CA, proxies."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from snpm.errors import NetworkError
from snpm.registry_client import ClientSettings, RegistryClient
from support.fake_registry import FakeRegistry, settings_for

T = TypeVar("T")


def with_client(settings: ClientSettings, body: Callable[[RegistryClient], Awaitable[T]], **kw: Any) -> T:
    async def main() -> T:
        async with RegistryClient(settings, **kw) as client:
            return await body(client)

    return asyncio.run(main())


# ── connections ──


def test_sequential_requests_reuse_one_connection(fake_registry: FakeRegistry) -> None:
    for number in range(5):
        fake_registry.add_packument(f"pkg{number}")

    async def body(c: RegistryClient) -> None:
        for _ in range(4):
            for number in range(5):
                await c.get_json(f"pkg{number}")

    with_client(settings_for(fake_registry), body)
    assert len(fake_registry.requests) == 20
    assert fake_registry.connections == 1


def test_many_parallel_requests_few_connections(fake_registry: FakeRegistry) -> None:
    for number in range(40):
        fake_registry.add_packument(f"pkg{number}")
    fake_registry.delay = 0.02

    async def body(c: RegistryClient) -> None:
        for _ in range(2):
            await asyncio.gather(*(c.get_json(f"pkg{number}") for number in range(40)))

    with_client(settings_for(fake_registry, maxsockets=15), body)
    assert len(fake_registry.requests) == 80
    assert fake_registry.connections <= 15  # the second wave reused the first wave's sockets


def test_maxsockets_is_respected(fake_registry: FakeRegistry) -> None:
    for number in range(30):
        fake_registry.add_packument(f"pkg{number}")
    fake_registry.delay = 0.03

    async def body(c: RegistryClient) -> None:
        await asyncio.gather(*(c.get_json(f"pkg{number}") for number in range(30)))

    with_client(settings_for(fake_registry, maxsockets=3), body)
    assert fake_registry.connections <= 3
    assert fake_registry.max_in_flight == 3


def test_injected_session_is_used_and_left_open(fake_registry: FakeRegistry) -> None:
    fake_registry.add_packument("demo")

    async def main() -> bool:
        async with aiohttp.ClientSession() as session:
            async with RegistryClient(settings_for(fake_registry), session=session) as client:
                await client.get_json("demo")
            return session.closed

    assert asyncio.run(main()) is False
    assert len(fake_registry.requests) == 1


# ── TLS ──


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    ca_pem, ca_key = folder / "ca.pem", folder / "ca.key"
    server_pem, server_key, csr = folder / "server.pem", folder / "server.key", folder / "server.csr"
    openssl = shutil.which("openssl")
    if openssl is not None:
        ext = folder / "ext.cnf"
        ext.write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
            "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        )
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        commands = [
            [openssl, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2", "-subj", "/CN=snpm test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            [openssl, "req", *ec, "-keyout", server_key, "-out", csr, "-subj", "/CN=127.0.0.1"],
            [openssl, "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
             "-out", server_pem, "-days", "2", "-extfile", ext],
        ]  # fmt: skip
        for command in commands:
            subprocess.run([str(part) for part in command], check=True, capture_output=True)
        return ca_pem, server_pem, server_key
    return _make_certificates_with_cryptography(folder)


def _make_certificates_with_cryptography(folder: Path) -> tuple[Path, Path, Path]:
    try:
        import datetime
        import ipaddress

        from cryptography import x509  # type: ignore[import-not-found, unused-ignore]
        from cryptography.hazmat.primitives import hashes, serialization  # type: ignore[import-not-found, unused-ignore]
        from cryptography.hazmat.primitives.asymmetric import ec  # type: ignore[import-not-found, unused-ignore]
        from cryptography.x509.oid import NameOID  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pytest.skip("neither the openssl CLI nor the cryptography package is available to make a test CA")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "snpm test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = (folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def test_strict_ssl_with_a_private_ca(tmp_path: Path) -> None:
    ca_pem, server_pem, server_key = make_certificates(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(server_pem, server_key)
    registry = FakeRegistry(ssl_context=server_ctx)
    registry.start_in_thread()
    try:
        registry.add_packument("demo")
        assert registry.url.startswith("https://")
        # the system trust store does not know our CA
        with pytest.raises(NetworkError) as info:
            with_client(settings_for(registry, fetch_retries=0), lambda c: c.get_json("demo"))
        assert info.value.code == "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
        assert info.value.message == (
            f"request to {registry.url}demo failed, reason: unable to get local issuer certificate"
        )
        ca_text = ca_pem.read_text()
        assert with_client(settings_for(registry, ca=(ca_text,)), lambda c: c.get_json("demo"))
        assert with_client(settings_for(registry, cafile=ca_pem), lambda c: c.get_json("demo"))
        assert with_client(settings_for(registry, strict_ssl=False), lambda c: c.get_json("demo"))
    finally:
        registry.stop_thread()


def test_ca_only_in_the_bundle_file_is_trusted_through_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default trust is first read on demand from the CA folder; a CA found only in the bundle
    file (SSL_CERT_FILE) is still trusted, as by Python's default context."""
    ca_pem, server_pem, server_key = make_certificates(tmp_path)
    empty = tmp_path / "certs"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(server_pem, server_key)
    registry = FakeRegistry(ssl_context=server_ctx)
    registry.start_in_thread()
    try:
        registry.add_packument("demo")
        for name in ("one", "two"):
            registry.add_packument(name)

        async def body(c: RegistryClient) -> None:
            await c.get_json("demo")
            await asyncio.gather(c.get_json("one"), c.get_json("two"))

        with_client(settings_for(registry, fetch_retries=0), body)
        assert len(registry.requests) == 3
    finally:
        registry.stop_thread()


# ── proxy ──


class TinyProxy:
    """An HTTP forward proxy for http:// URLs (absolute-form requests; no CONNECT)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []  # (method, target, proxy-authorization)
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> TinyProxy:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._session.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, target, _ = head[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
                lowered = {k.lower(): v for k, v in headers.items()}
                body = await reader.readexactly(int(lowered.get("content-length", "0")))
                self.seen.append((method, target, lowered.get("proxy-authorization")))
                forward = {
                    k: v for k, v in headers.items() if k.lower() not in ("proxy-authorization", "host")
                }
                async with self._session.request(method, target, headers=forward, data=body) as response:
                    data = await response.read()
                    lines = [f"HTTP/1.1 {response.status} {response.reason}"]
                    skip = ("content-length", "transfer-encoding", "connection")
                    lines += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in skip]
                    lines.append(f"content-length: {len(data)}")
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def test_http_proxy_and_noproxy(fake_registry: FakeRegistry) -> None:
    fake_registry.add_packument("demo")

    async def main() -> None:
        async with TinyProxy() as proxy:
            url = f"http://user:p%40ss@127.0.0.1:{proxy.port}"
            async with RegistryClient(settings_for(fake_registry, proxy=url)) as client:
                assert (await client.get_json("demo"))["name"] == "demo"  # type: ignore[index, call-overload]
            assert proxy.seen == [("GET", f"{fake_registry.url}demo", "Basic dXNlcjpwQHNz")]
            assert len(fake_registry.requests) == 1
            # noproxy (and the environment's https_proxy) are honoured too
            bypass = settings_for(fake_registry, proxy=url, noproxy="127.0.0.1")
            async with RegistryClient(bypass) as client:
                await client.get_json("demo")
            env = settings_for(fake_registry, proxy_env={"http_proxy": url})
            async with RegistryClient(env) as client:
                await client.get_json("demo")
            assert len(proxy.seen) == 2 and len(fake_registry.requests) == 3

    asyncio.run(main())


def test_concurrent_lookups_of_one_host_resolve_once(
    fake_registry: FakeRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of requests to a new host makes one DNS lookup (this machine's resolver stalls on bursts)."""
    from snpm.registry_client.http1 import Http1Pool

    calls: list[str] = []
    original = Http1Pool._lookup

    async def counting(self: Any, host: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(host)
        await asyncio.sleep(0.05)  # a slow resolver: every request arrives while the lookup runs
        return await original(self, host, *args, **kwargs)

    monkeypatch.setattr(Http1Pool, "_lookup", counting)
    for number in range(25):
        fake_registry.add_packument(f"pkg{number}")
    registry = fake_registry.url.replace("127.0.0.1", "localhost")

    async def body(c: RegistryClient) -> None:
        await asyncio.gather(*(c.get_json(f"pkg{number}") for number in range(25)))
        await c.get_json("pkg0")  # and later requests use the cached answer

    with_client(settings_for(registry), body)
    assert calls == ["localhost"]
    assert len(fake_registry.requests) == 26


def test_idle_body_times_out(fake_registry: FakeRegistry) -> None:
    from aiohttp import web

    async def stall(request: web.Request, body: bytes) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-length": "100"})
        await response.prepare(request)
        await response.write(b"x" * 10)
        await asyncio.sleep(2)
        return response

    fake_registry.on("GET", "/stall.tgz", stall)
    settings = settings_for(fake_registry, fetch_timeout=300, fetch_retries=0)
    with pytest.raises(NetworkError) as info:
        with_client(settings, lambda c: c.get_bytes("/stall.tgz"))
    assert info.value.code == "EIDLETIMEOUT"
    assert info.value.message == (
        f"Invalid response body while trying to fetch {fake_registry.url}stall.tgz: "
        f"Idle timeout reached for host `127.0.0.1:{fake_registry.port}`"
    )
