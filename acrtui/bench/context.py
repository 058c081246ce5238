"""What one benchmark run shares between scenarios: the connection, the plan, the content it
pushed, and the setup (a 10,000-tag repository, 1,000 repositories) done once and untimed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from acrtui.bench.content import BlobSource, TinyImage, tiny_image
from acrtui.bench.plan import BenchPlan
from acrtui.bench.protocol import RegistryHTTP
from acrtui.bench.workers import timed


@dataclass(frozen=True)
class PushedImage:
    tag: str
    digest: str


@dataclass
class BenchContext:
    http: RegistryHTTP
    plan: BenchPlan
    run_id: str
    push_refused: str = ""
    blobs: list[str] = field(default_factory=list)
    images: list[PushedImage] = field(default_factory=list)
    tag_repo_digest: str = ""
    tag_repo_ready: bool = False
    catalog_digest: str = ""
    catalog_repos: list[str] = field(default_factory=list)
    catalog_ready: bool = False
    _serial: int = 0
    _blob_source: BlobSource | None = None

    @property
    def prefix(self) -> str:
        """Every repository of this run lives under it, so reruns never collide."""
        return f"acrtui-bench-{self.run_id}"

    @property
    def blob_repo(self) -> str:
        return f"{self.prefix}/blobs"

    @property
    def image_repo(self) -> str:
        return f"{self.prefix}/images"

    @property
    def tag_repo(self) -> str:
        return f"{self.prefix}/tags"

    @property
    def seed_repo(self) -> str:
        return f"{self.prefix}/seed"

    def catalog_repo(self, index: int) -> str:
        return f"{self.prefix}/catalog/r{index:05d}"

    def serials(self, count: int) -> list[int]:
        first = self._serial
        self._serial += count
        return list(range(first, first + count))

    def blob_source(self) -> BlobSource:
        if self._blob_source is None:
            self._blob_source = BlobSource(self.plan.blob_size, self.run_id.encode())
        return self._blob_source

    def new_blobs(self, count: int) -> list[tuple[int, str]]:
        """(serial, digest) of blobs not pushed yet; hashing happens here, before any timing."""
        source = self.blob_source()
        return [(s, "sha256:" + hashlib.sha256(source.blob(s)).hexdigest()) for s in self.serials(count)]

    def new_images(self, count: int) -> list[TinyImage]:
        return [tiny_image(self.run_id, s) for s in self.serials(count)]

    async def push_image(self, repo: str, image: TinyImage, tag: str) -> None:
        await self.http.push_blob(repo, image.config_digest, image.config)
        await self.http.push_blob(repo, image.layer_digest, image.layer)
        await self.http.put_manifest(repo, tag, image.manifest)

    async def ensure_blobs(self, count: int) -> None:
        """Setup: at least `count` blobs in the blob repository."""
        missing = self.new_blobs(max(0, count - len(self.blobs)))
        source = self.blob_source()

        async def push(index: int) -> int:
            serial, digest = missing[index]
            await self.http.push_blob(self.blob_repo, digest, source.blob(serial))
            self.blobs.append(digest)
            return 0

        await timed(len(missing), self.plan.setup_concurrency, push)

    async def ensure_images(self, count: int) -> None:
        """Setup: at least `count` tiny images in the image repository."""
        missing = self.new_images(max(0, count - len(self.images)))

        async def push(index: int) -> int:
            image = missing[index]
            tag = f"img-{image.digest[7:19]}"
            await self.push_image(self.image_repo, image, tag)
            self.images.append(PushedImage(tag=tag, digest=image.digest))
            return 0

        await timed(len(missing), self.plan.setup_concurrency, push)

    async def ensure_tag_repo(self) -> None:
        """Setup: one tiny image under plan.tags tags (the blobs are pushed once)."""
        if self.tag_repo_ready:
            return
        image = self.new_images(1)[0]
        await self.push_image(self.tag_repo, image, "t00000")
        self.tag_repo_digest = image.digest

        async def tag(index: int) -> int:
            await self.http.put_manifest(self.tag_repo, f"t{index + 1:05d}", image.manifest)
            return 0

        await timed(self.plan.tags - 1, self.plan.setup_concurrency, tag)
        self.tag_repo_ready = True

    async def ensure_catalog(self) -> None:
        """Setup: plan.repositories repositories holding one tiny image, blobs mounted from a seed."""
        if self.catalog_ready:
            return
        image = self.new_images(1)[0]
        self.catalog_digest = image.digest
        await self.http.push_blob(self.seed_repo, image.config_digest, image.config)
        await self.http.push_blob(self.seed_repo, image.layer_digest, image.layer)

        async def populate(index: int) -> int:
            repo = self.catalog_repo(index)
            for digest, data in ((image.config_digest, image.config), (image.layer_digest, image.layer)):
                if not await self.http.mount_blob(repo, digest, self.seed_repo):
                    await self.http.push_blob(repo, digest, data)
            await self.http.put_manifest(repo, "latest", image.manifest)
            self.catalog_repos.append(repo)
            return 0

        await timed(self.plan.repositories, self.plan.setup_concurrency, populate)
        self.catalog_ready = True
