from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from acrtui.oci.config import (
    HistoryEntry,
    ImageConfig,
    InvalidConfig,
    RuntimeConfig,
    format_time,
    pair_layers_with_history,
)
from acrtui.oci.manifest import parse_manifest

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64

OCI_CONFIG = {
    "created": "2024-03-05T10:20:30.123456789Z",
    "author": "Jane Doe <jane@example.com>",
    "architecture": "arm64",
    "variant": "v8",
    "os": "linux",
    "config": {
        "User": "app:app",
        "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
        "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"],
        "Entrypoint": ["/usr/bin/tini", "--"],
        "Cmd": ["python", "-m", "app"],
        "Volumes": {"/data": {}},
        "WorkingDir": "/srv/app",
        "Labels": {"org.opencontainers.image.source": "https://example.com/app"},
        "StopSignal": "SIGTERM",
        "ArgsEscaped": True,
    },
    "rootfs": {"type": "layers", "diff_ids": [D1, D2]},
    "history": [
        {"created": "2024-03-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
        {"created": "2024-03-01T00:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": True},
        {"created": "2024-03-05T10:20:30Z", "created_by": "RUN pip install app", "comment": "buildkit.dockerfile.v0"},
    ],
}

DOCKER_CONFIG = {
    "architecture": "amd64",
    "config": {
        "Hostname": "",
        "Domainname": "",
        "User": "",
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.25.3"],
        "Cmd": ["nginx", "-g", "daemon off;"],
        "Healthcheck": {
            "Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
            "Interval": 30000000000,
            "Timeout": 3000000000,
            "Retries": 3,
        },
        "Image": "sha256:" + "a" * 64,
        "Volumes": None,
        "WorkingDir": "",
        "Entrypoint": ["/docker-entrypoint.sh"],
        "OnBuild": None,
        "Labels": {"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"},
        "StopSignal": "SIGQUIT",
        "Shell": ["/bin/bash", "-c"],
    },
    "container": "0123456789abcdef",
    "container_config": {"Hostname": "0123456789ab", "Cmd": ["/bin/sh", "-c", "#(nop) ", "CMD [\"nginx\"]"]},
    "created": "2023-11-01T05:46:21.917862946Z",
    "docker_version": "20.10.23",
    "history": [
        {"created": "2023-11-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:xyz in / "},
        {"created": "2023-11-01T00:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": True},
        {"created": "2023-11-01T05:46:00Z", "created_by": "/bin/sh -c #(nop)  LABEL maintainer=NGINX", "empty_layer": True},
        {"created": "2023-11-01T05:46:20Z", "created_by": "/bin/sh -c set -x && apt-get install nginx"},
        {"created": "2023-11-01T05:46:21Z", "created_by": "/bin/sh -c #(nop) COPY file:def in /docker-entrypoint.sh "},
    ],
    "os": "linux",
    "rootfs": {"type": "layers", "diff_ids": [D1, D2, D3]},
}


def test_oci_config_fields():
    cfg = ImageConfig.from_json(json.dumps(OCI_CONFIG).encode())
    assert (cfg.os, cfg.architecture, cfg.variant) == ("linux", "arm64", "v8")
    assert cfg.created == datetime(2024, 3, 5, 10, 20, 30, 123456, tzinfo=timezone.utc)
    assert cfg.author.startswith("Jane")
    rc = cfg.config
    assert rc.user == "app:app"
    assert rc.exposed_ports == ["53/udp", "8080/tcp"]
    assert rc.volumes == ["/data"]
    assert rc.entrypoint == ["/usr/bin/tini", "--"]
    assert rc.cmd == ["python", "-m", "app"]
    assert rc.working_dir == "/srv/app"
    assert rc.stop_signal == "SIGTERM"
    assert rc.shell is None and rc.healthcheck is None
    assert rc.env_dict()["LANG"] == "C.UTF-8"
    assert rc.extra == {"ArgsEscaped": True}
    assert cfg.diff_ids == [D1, D2]
    assert [h.empty_layer for h in cfg.history] == [False, True, False]
    assert cfg.history[2].comment == "buildkit.dockerfile.v0"


def test_docker_config_fields_and_unknowns_kept():
    cfg = ImageConfig.from_json(json.dumps(DOCKER_CONFIG))
    rc = cfg.config
    assert rc.healthcheck is not None
    assert rc.healthcheck.test[0] == "CMD-SHELL"
    assert (rc.healthcheck.interval, rc.healthcheck.timeout, rc.healthcheck.retries) == (30_000_000_000, 3_000_000_000, 3)
    assert rc.shell == ["/bin/bash", "-c"]
    assert rc.volumes == [] and rc.on_build == []
    assert rc.extra["Image"].startswith("sha256:")
    assert cfg.extra["docker_version"] == "20.10.23"
    assert cfg.created is not None and cfg.created.tzinfo is not None
    out = json.loads(cfg.to_json())
    assert out["container_config"]["Hostname"] == "0123456789ab"
    assert out["config"]["Healthcheck"]["Retries"] == 3
    assert out["rootfs"] == {"type": "layers", "diff_ids": [D1, D2, D3]}


def test_to_json_is_canonical_and_stable():
    a = ImageConfig.from_json(json.dumps(OCI_CONFIG).encode())
    # Same content with keys in another order parses to the same bytes.
    shuffled = dict(reversed(list(OCI_CONFIG.items())))
    b = ImageConfig.from_json(json.dumps(shuffled, indent=4).encode())
    assert a.to_json() == b.to_json()
    once = a.to_json()
    again = ImageConfig.from_json(once).to_json()
    assert once == again
    assert b"\n" not in once and b": " not in once
    obj = json.loads(once)
    assert once == json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    assert obj["created"] == "2024-03-05T10:20:30.123456Z"
    assert obj["config"]["ExposedPorts"] == {"53/udp": {}, "8080/tcp": {}}


def test_built_config_is_reproducible():
    def build() -> bytes:
        cfg = ImageConfig(os="linux", architecture="amd64", created=datetime(1970, 1, 1, tzinfo=timezone.utc))
        cfg.config.set_env("PATH", "/bin")
        cfg.config.set_env("A", "1")
        cfg.config.set_env("PATH", "/usr/bin:/bin")
        cfg.config.cmd = []
        cfg.diff_ids.append(D1)
        cfg.history.append(HistoryEntry(created_by="COPY . /app"))
        return cfg.to_json()

    first = build()
    assert first == build()
    obj = json.loads(first)
    assert obj["config"] == {"Cmd": [], "Env": ["PATH=/usr/bin:/bin", "A=1"]}
    assert obj["created"] == "1970-01-01T00:00:00Z"


def test_format_time_converts_to_utc():
    from datetime import timedelta

    t = datetime(2024, 1, 1, 2, 0, 0, 500000, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(t) == "2024-01-01T00:00:00.5Z"


@pytest.mark.parametrize(
    "body, words",
    [
        (b"\x1f\x8b\x08garbage", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"config": []}', "config is not a JSON object"),
        (b'{"config": {"Env": "A=1"}}', "config.Env is not a list of strings"),
        (b'{"rootfs": {"type": "layers", "diff_ids": ["nope"]}}', "rootfs.diff_ids[0] is not a digest"),
        (b'{"rootfs": {"type": "squash", "diff_ids": []}}', "rootfs.type"),
        (b'{"created": "yesterday"}', "created is not an RFC 3339 timestamp"),
        (b'{"history": [{"empty_layer": "yes"}]}', "history[0].empty_layer is not a boolean"),
        (b'{"config": {"Labels": {"a": 1}}}', "config.Labels"),
    ],
)
def test_junk_raises_invalid_config(body, words):
    with pytest.raises(InvalidConfig) as info:
        ImageConfig.from_json(body)
    assert words in str(info.value)


def test_history_pairs_with_manifest_layers_skipping_empty_ones():
    cfg = ImageConfig.from_json(json.dumps(DOCKER_CONFIG))
    manifest = parse_manifest(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 1},
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": 10}
                    for d in (D1, D2, D3)
                ],
            }
        ).encode()
    )
    pairs = cfg.layer_history(manifest.layers)
    assert [layer.digest for layer, _ in pairs] == [D1, D2, D3]
    assert [h.created_by[:30] if h else None for _, h in pairs] == [
        "/bin/sh -c #(nop) ADD file:xyz",
        "/bin/sh -c set -x && apt-get i",
        "/bin/sh -c #(nop) COPY file:de",
    ]


def test_history_pairing_tolerates_missing_and_short_history():
    assert pair_layers_with_history(["a", "b"], []) == [("a", None), ("b", None)]
    one = HistoryEntry(created_by="ADD")
    empty = HistoryEntry(created_by="ENV", empty_layer=True)
    assert pair_layers_with_history(["a", "b"], [empty, one]) == [("a", one), ("b", None)]
    assert pair_layers_with_history(["a"], [one, HistoryEntry(created_by="extra")]) == [("a", one)]


def test_minimal_config_defaults():
    cfg = ImageConfig.from_json(b"{}")
    assert cfg.config == RuntimeConfig()
    assert cfg.created is None and cfg.history == [] and cfg.diff_ids == []
    assert json.loads(cfg.to_json()) == {"architecture": "", "os": "", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}}
