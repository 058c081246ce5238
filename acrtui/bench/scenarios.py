"""The benchmark's scenarios: each does its own (untimed) setup, then times its operations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from acrtui.bench.context import BenchContext, PushedImage
from acrtui.bench.listing import ListingWalk, parse_pages
from acrtui.bench.protocol import Mismatch, UnexpectedStatus
from acrtui.bench.stats import Measurement
from acrtui.bench.workers import timed


class Skip(Exception):
    """The scenario cannot run against this registry; the message says why."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: Callable[[BenchContext], Awaitable[Measurement]]
    transfers_bytes: bool = False


async def blob_push_monolithic(ctx: BenchContext) -> Measurement:
    plan, source = ctx.plan, ctx.blob_source()
    blobs = ctx.new_blobs(plan.monolithic_blobs)

    async def push(index: int) -> int:
        serial, digest = blobs[index]
        await ctx.http.push_blob(ctx.blob_repo, digest, source.blob(serial))
        ctx.blobs.append(digest)
        return source.size

    return await timed(len(blobs), plan.concurrency, push)


async def blob_push_chunked(ctx: BenchContext) -> Measurement:
    plan, source = ctx.plan, ctx.blob_source()
    blobs = ctx.new_blobs(plan.chunked_blobs)

    async def push(index: int) -> int:
        serial, digest = blobs[index]
        await ctx.http.push_blob_chunked(ctx.blob_repo, digest, source.blob(serial), plan.chunk_size)
        ctx.blobs.append(digest)
        return source.size

    return await timed(len(blobs), plan.concurrency, push)


async def blob_pull(ctx: BenchContext) -> Measurement:
    plan = ctx.plan
    await ctx.ensure_blobs(min(plan.monolithic_blobs, plan.blob_pulls))
    blobs = list(ctx.blobs)

    async def pull(index: int) -> int:
        return await ctx.http.pull_blob(ctx.blob_repo, blobs[index % len(blobs)])

    return await timed(plan.blob_pulls, plan.concurrency, pull)


async def image_push(ctx: BenchContext) -> Measurement:
    images = ctx.new_images(ctx.plan.images)

    async def push(index: int) -> int:
        image = images[index]
        tag = f"img-{image.digest[7:19]}"
        await ctx.push_image(ctx.image_repo, image, tag)
        ctx.images.append(PushedImage(tag=tag, digest=image.digest))
        return image.size

    return await timed(len(images), ctx.plan.concurrency, push)


async def manifest_get(ctx: BenchContext) -> Measurement:
    await ctx.ensure_images(ctx.plan.images)
    images = list(ctx.images)

    async def get(index: int) -> int:
        return await ctx.http.get_manifest(ctx.image_repo, images[index % len(images)].tag)

    return await timed(ctx.plan.manifest_gets, ctx.plan.concurrency, get)


async def _full_listings(ctx: BenchContext, walks: int, path: str, key: str, action: str,
                         check: Callable[[list[str]], None]) -> Measurement:
    """Time `walks` complete listings, one after another: a full listing is one client walking
    page after page, so walks do not overlap. The last walk's pages are checked after the clock."""
    walk = await ListingWalk.prepare(ctx.http, path, ctx.plan.page_size, action)
    measurement, pages = await asyncio.to_thread(walk.time, walks)
    listing = parse_pages(pages, key)
    check(listing.items)
    measurement.items, measurement.pages = len(listing.items), listing.pages
    return measurement


async def tags_list_full(ctx: BenchContext) -> Measurement:
    await ctx.ensure_tag_repo()
    expected = ctx.plan.tags

    def check(tags: list[str]) -> None:
        if len(tags) != expected:
            raise Mismatch(f"a full tag listing returned {len(tags)} tags instead of {expected}")

    return await _full_listings(ctx, ctx.plan.tag_walks, f"/v2/{ctx.tag_repo}/tags/list", "tags", "a tag listing", check)


async def tags_list_first_page(ctx: BenchContext) -> Measurement:
    await ctx.ensure_tag_repo()
    size = ctx.plan.first_page_size
    least = min(size, ctx.plan.tags)
    returned = 0

    async def first_page(index: int) -> int:
        nonlocal returned
        returned = len(await ctx.http.tags_page(ctx.tag_repo, size))
        if returned < least:
            raise Mismatch(f"the first page of tags held {returned} tags instead of {least}")
        return 0

    measurement = await timed(ctx.plan.first_pages, ctx.plan.concurrency, first_page)
    measurement.items = returned
    return measurement


async def catalog_full(ctx: BenchContext) -> Measurement:
    await ctx.ensure_catalog()
    ours = f"{ctx.prefix}/catalog/"
    expected = ctx.plan.repositories

    def check(repositories: list[str]) -> None:
        found = sum(1 for repo in repositories if repo.startswith(ours))
        if found != expected:
            raise Mismatch(f"a full catalog listing showed {found} of this run's {expected} repositories")

    return await _full_listings(ctx, ctx.plan.catalog_walks, "/v2/_catalog", "repositories", "a catalog listing", check)


async def manifest_delete(ctx: BenchContext) -> Measurement:
    count = ctx.plan.deletes
    await ctx.ensure_images(count)
    doomed = ctx.images[:count]

    async def delete(index: int) -> int:
        await ctx.http.delete_manifest(ctx.image_repo, doomed[index].digest)
        return 0

    try:
        measurement = await timed(count, ctx.plan.concurrency, delete)
    except UnexpectedStatus as error:
        if error.refused:
            raise Skip(
                f"the registry refused a manifest DELETE (HTTP {error.status} {error.code}); enable deletes on it"
                " to measure them (distribution: storage.delete.enabled: true)"
            ) from None
        raise
    del ctx.images[:count]
    return measurement


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("blob-push-monolithic", "blob push, monolithic", blob_push_monolithic, transfers_bytes=True),
    Scenario("blob-push-chunked", "blob push, chunked", blob_push_chunked, transfers_bytes=True),
    Scenario("blob-pull", "blob pull", blob_pull, transfers_bytes=True),
    Scenario("image-push", "small image push", image_push),
    Scenario("manifest-get", "manifest GET", manifest_get),
    Scenario("tags-list-full", "tag listing, full", tags_list_full),
    Scenario("tags-list-first-page", "tag listing, first page", tags_list_first_page),
    Scenario("catalog-full", "catalog, full", catalog_full),
    Scenario("manifest-delete", "manifest delete", manifest_delete),
)
SCENARIO_NAMES = tuple(s.name for s in SCENARIOS)
