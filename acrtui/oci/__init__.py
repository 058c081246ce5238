"""The shared vocabulary: digests, media types, references, manifests, configs, layer tars.

Pure functions and dataclasses. Imports no other acrtui package and does no I/O beyond the
streams handed to it.
"""
