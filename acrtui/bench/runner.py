"""One benchmark run: connect, check the registry answers, run the scenarios, clean up."""

from __future__ import annotations

import http.client
import secrets
from dataclasses import dataclass

import httpx

from acrtui.bench.auth import RegistryAuth
from acrtui.bench.context import BenchContext
from acrtui.bench.memory import MemoryPeak, RssSampler
from acrtui.bench.plan import BenchPlan
from acrtui.bench.protocol import Mismatch, RegistryHTTP, UnexpectedStatus
from acrtui.bench.scenarios import Scenario, Skip
from acrtui.bench.stats import Measurement, ScenarioResult
from acrtui.bench.workers import timed
from acrtui.client.auth import Authenticator
from acrtui.client.credentials import Credentials, docker_credentials
from acrtui.client.errors import AuthError
from acrtui.client.errors import RegistryError as ClientError
from acrtui.client.errors import network_error

_PUSH_METHODS = frozenset({"POST", "PUT", "PATCH"})
REQUEST_TIMEOUT = 120.0
CONNECT_TIMEOUT = 10.0


class BenchAbort(Exception):
    """The benchmark cannot start; the message is the one sentence the user sees."""


@dataclass
class BenchRun:
    url: str
    run_id: str
    plan: BenchPlan
    results: list[ScenarioResult]
    memory: MemoryPeak | None


async def run_bench(
    url: str,
    plan: BenchPlan,
    scenarios: tuple[Scenario, ...],
    *,
    credentials: Credentials | None = None,
    pid: int | None = None,
    keep: bool = False,
) -> BenchRun:
    host = httpx.URL(url).netloc.decode()
    limits = httpx.Limits(max_connections=max(plan.concurrency, plan.setup_concurrency), max_keepalive_connections=None)
    timeout = httpx.Timeout(REQUEST_TIMEOUT, connect=CONNECT_TIMEOUT)
    # Token requests go out on their own client: the benchmark's client would run them through its auth flow.
    async with httpx.AsyncClient(timeout=timeout) as token_client:
        authenticator = Authenticator(
            host,
            token_client,
            timeout=REQUEST_TIMEOUT,
            credentials=credentials,
            find_credentials=None if credentials else docker_credentials,
        )
        auth = RegistryAuth(authenticator)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout, auth=auth) as client:
            http = RegistryHTTP(client)
            await _check_registry(http, url, host)
            sampler = RssSampler(pid) if pid is not None else None
            ctx = BenchContext(http=http, plan=plan, run_id=secrets.token_hex(4))
            if sampler:
                sampler.start()
            try:
                results = [await _run_one(ctx, scenario) for scenario in scenarios]
            finally:
                memory = await sampler.stop() if sampler else None
            if not keep:
                await _clean_up(ctx)
    return BenchRun(url=url, run_id=ctx.run_id, plan=plan, results=results, memory=memory)


async def _check_registry(http: RegistryHTTP, url: str, host: str) -> None:
    try:
        response = await http.ping()
    except httpx.HTTPError as error:
        raise BenchAbort(f"{network_error(error, host, REQUEST_TIMEOUT)}.") from None
    except AuthError:
        raise BenchAbort(f"{url} requires credentials; pass --username and --password (or docker login {host}).") from None
    except ClientError as error:
        raise BenchAbort(f"{error}.") from None
    if response.status_code == 401:
        raise BenchAbort(f"{url} refused these credentials; check --username and --password (or docker login {host}).")
    if response.status_code != 200:
        raise BenchAbort(f"{url} is not an OCI registry (GET /v2/ answered HTTP {response.status_code}); check the URL.")


def _reason(error: Exception) -> str:
    return str(error).rstrip(".") or type(error).__name__


async def _run_one(ctx: BenchContext, scenario: Scenario) -> ScenarioResult:
    def result(status: str, reason: str = "", measurement: Measurement | None = None) -> ScenarioResult:
        return ScenarioResult(
            scenario.name, scenario.title, status, reason, measurement, transfers_bytes=scenario.transfers_bytes
        )

    if ctx.push_refused:
        return result("skipped", ctx.push_refused)
    try:
        return result("ok", measurement=await scenario.run(ctx))
    except Skip as skip:
        return result("skipped", str(skip))
    except UnexpectedStatus as error:
        if not error.refused:
            return result("failed", f"{error}.")
        if error.method in _PUSH_METHODS:
            ctx.push_refused = (
                f"the registry refused a push ({error.action} got HTTP {error.status} {error.code}".rstrip()
                + "); pass --username/--password or point the benchmark at a registry you can push to."
            )
            return result("skipped", ctx.push_refused)
        return result("skipped", f"{error}.")
    except ClientError as error:
        # Raised by the auth flow: the registry wants credentials we lack or refused ours.
        ctx.push_refused = f"{error}."
        return result("skipped", ctx.push_refused)
    except Mismatch as error:
        return result("failed", f"{error}.")
    except (httpx.HTTPError, http.client.HTTPException, OSError, ValueError) as error:
        # http.client and OSError: the listing walks' connection; ValueError: a body that should be JSON is not.
        return result("failed", f"{scenario.title} failed: {_reason(error)}.")


async def _clean_up(ctx: BenchContext) -> None:
    """Best effort: delete the manifests and big blobs this run left; a refusal ends it quietly."""
    doomed = [(ctx.image_repo, image.digest) for image in ctx.images]
    doomed += [(repo, ctx.catalog_digest) for repo in ctx.catalog_repos]
    if ctx.tag_repo_digest:
        doomed.append((ctx.tag_repo, ctx.tag_repo_digest))
    blobs = [(ctx.blob_repo, digest) for digest in ctx.blobs]

    async def delete_manifest(index: int) -> int:
        await ctx.http.delete_manifest(*doomed[index])
        return 0

    async def delete_blob(index: int) -> int:
        await ctx.http.delete_blob(*blobs[index])
        return 0

    try:
        await timed(len(doomed), ctx.plan.setup_concurrency, delete_manifest)
        await timed(len(blobs), ctx.plan.setup_concurrency, delete_blob)
    except (UnexpectedStatus, ClientError, httpx.HTTPError):
        pass
