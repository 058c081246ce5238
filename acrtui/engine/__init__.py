"""The embedded registry: an ASGI app over a blob store and a metadata index.

Never imports acrtui.client, acrtui.build or acrtui.tui (and never Textual).
"""
