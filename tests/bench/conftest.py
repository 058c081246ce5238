# The client tests' registries with basic and token auth serve the benchmark's auth tests too.
from tests.client.conftest import basic_registry, token_registry

__all__ = ["basic_registry", "token_registry"]
