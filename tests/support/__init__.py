"""Helpers shared by the test suite: real tools and real servers, started on 127.0.0.1."""
