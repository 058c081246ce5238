# The client tests' registries with basic and token auth (and the fixtures they stand on) serve
# the benchmark's auth tests too; a star import follows them as they grow new dependencies.
from tests.client.conftest import *  # noqa: F401,F403
