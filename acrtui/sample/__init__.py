"""The sample registry: demo content generated from sample-registry/ and pushed on first run.

Start-up code seeds the embedded engine with

    await seed_sample_registry(client, marker=data_dir / "sample-seeded",
                               progress=show_line, backdate=index_backdate(engine.index.set_times))

Imports oci, build and client only (never engine internals, never tui).
"""

from acrtui.sample.description import DescriptionError
from acrtui.sample.seeder import Backdate, Progress, SeedResult, index_backdate, seed_sample_registry

__all__ = ["Backdate", "DescriptionError", "Progress", "SeedResult", "index_backdate", "seed_sample_registry"]
