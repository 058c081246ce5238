"""Dockerfile → OCI image → pushed: the native builder, its cache, and the optional backends."""
