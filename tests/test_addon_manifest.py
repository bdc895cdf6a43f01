"""addon.yaml against the keys and types Home Assistant documents for an add-on's configuration,
and against plexbooks itself: its version, its settings, its port, its init. And compose.yaml, the
example beside Plex, against the image."""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from plugin import __version__
from plugin.container import option_environment
from plugin.settings import BY_NAME

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "addon.yaml"

# -- what Home Assistant's add-on configuration documents ------------------------------------------
ARCHES = {"amd64", "aarch64", "armhf", "armv7", "i386"}
SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")
PORT_KEY = re.compile(r"^\d+(?:/tcp|/udp)?$")
SCHEMA_ELEMENT = re.compile(
    r"^(?:bool|email|url|port|device(?:\(subsystem=[a-z]+\))?|str(?:\(\d*,\d*\))?|password(?:\(\d*,\d*\))?"
    r"|int(?:\(-?\d*,-?\d*\))?|float(?:\(-?\d*\.?\d*,-?\d*\.?\d*\))?|match\(.*\)|list\(.+\))\??$")
WATCHDOG = re.compile(r"^(?:https?|\[PROTO:\w+\]|tcp)://\[HOST\]:(\[PORT:\d+\]|\d+).*$")
WEBUI = re.compile(r"^(?:https?|\[PROTO:\w+\])://\[HOST\]:\[PORT:\d+\].*$")
MAP_TYPES = {"data", "config", "ssl", "addons", "backup", "share", "media", "homeassistant_config",
             "all_addon_configs", "addon_config"}


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _one_of(*choices: str) -> Callable[[Any], bool]:
    return lambda value: value in choices


def _list_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


def _map_of(key: Callable[[Any], bool], value: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, dict) and all(key(k) and value(x) for k, x in v.items())


def _str(value: Any) -> bool:
    return isinstance(value, str)


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _mapping(value: Any) -> bool:
    return (isinstance(value, dict) and {"type"} <= set(value) <= {"type", "read_only", "path"}
            and value["type"] in MAP_TYPES and isinstance(value.get("read_only", True), bool))


def _schema(value: Any) -> bool:
    def element(v: Any) -> bool:
        if isinstance(v, str):
            return bool(SCHEMA_ELEMENT.match(v))
        if isinstance(v, list):
            return all(isinstance(i, (str, dict)) and element(i) for i in v)
        return isinstance(v, dict) and all(isinstance(k, str) and element(x) for k, x in v.items())
    return value is False or (isinstance(value, dict) and all(element(v) for v in value.values()))


KEYS: dict[str, Callable[[Any], bool]] = {
    "name": _str, "version": _str, "slug": lambda v: _str(v) and bool(SLUG.match(v)), "description": _str,
    "arch": lambda v: _list_of(lambda a: a in ARCHES)(v) and bool(v),
    "machine": _list_of(_str), "url": lambda v: _str(v) and v.startswith(("http://", "https://")),
    "startup": _one_of("initialize", "system", "services", "application", "once"),
    "boot": _one_of("auto", "manual", "manual_only"), "init": _bool, "advanced": _bool,
    "stage": _one_of("stable", "experimental", "deprecated"),
    "ports": _map_of(lambda k: _str(k) and bool(PORT_KEY.match(k)), lambda v: v is None or _is_port(v)),
    "ports_description": _map_of(lambda k: _str(k) and bool(PORT_KEY.match(k)), _str),
    "watchdog": lambda v: _str(v) and bool(WATCHDOG.match(v)), "webui": lambda v: _str(v) and bool(WEBUI.match(v)),
    "ingress": _bool, "ingress_port": lambda v: v == 0 or _is_port(v), "ingress_entry": _str,
    "ingress_stream": _bool, "panel_icon": _str, "panel_title": _str, "panel_admin": _bool,
    "homeassistant": _str, "host_network": _bool, "host_pid": _bool, "host_ipc": _bool, "host_uts": _bool,
    "host_dbus": _bool, "devices": _list_of(_str), "udev": _bool, "tmpfs": _bool,
    "map": _list_of(_mapping), "environment": _map_of(lambda k: _str(k) and bool(re.match(r"^\w*$", k)), _str),
    "privileged": _list_of(_str), "apparmor": lambda v: _bool(v) or _str(v), "full_access": _bool,
    "audio": _bool, "video": _bool, "gpio": _bool, "usb": _bool, "uart": _bool, "devicetree": _bool,
    "kernel_modules": _bool, "realtime": _bool, "hassio_api": _bool,
    "hassio_role": _one_of("default", "homeassistant", "backup", "manager", "admin"),
    "homeassistant_api": _bool, "stdin": _bool, "legacy": _bool, "docker_api": _bool, "auth_api": _bool,
    "services": _list_of(lambda v: _str(v) and bool(re.match(r"^(mqtt|mysql):(provide|want|need)$", v))),
    "discovery": _list_of(_str), "backup_exclude": _list_of(_str), "backup_pre": _str, "backup_post": _str,
    "backup": _one_of("hot", "cold"), "options": lambda v: isinstance(v, dict), "schema": _schema,
    "image": lambda v: _str(v) and ":" not in v.split("/")[-1],
    "ulimits": lambda v: isinstance(v, dict), "timeout": lambda v: isinstance(v, int) and 10 <= v <= 300,
    "journald": _bool, "breaking_versions": _list_of(_str),
}
REQUIRED = ("name", "version", "slug", "description", "arch")


def manifest_errors(manifest: Any) -> list[str]:
    """What Home Assistant would refuse (or silently drop: unknown keys are typos here)."""
    if not isinstance(manifest, dict):
        return ["the manifest must be a mapping"]
    errors = [f"{key}: required" for key in REQUIRED if key not in manifest]
    for key, value in manifest.items():
        check = KEYS.get(key)
        if check is None:
            errors.append(f"{key}: not an add-on configuration key")
        elif not check(value):
            errors.append(f"{key}: invalid value {value!r}")
    return errors


def option_fits(kind: str, value: Any) -> bool:
    """An option's default against its schema element (the subset this manifest uses)."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value in ("", None):
        return optional
    if kind == "bool":
        return isinstance(value, bool)
    if kind.startswith("float"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind.startswith("int") or kind == "port":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind.startswith("list("):
        return isinstance(value, str) and value in kind[5:-1].split("|")
    if kind == "url":
        return isinstance(value, str) and value.startswith(("http://", "https://"))
    return isinstance(value, str)


# what a setting's type must be declared as in the add-on schema
SETTING_TO_SCHEMA = {"bool": ("bool",), "float": ("float",), "int": ("int", "port"), "url": ("url",),
                     "str": ("str", "password", "list("), "list": ("str",)}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_manifest_has_only_documented_keys_of_the_documented_types(manifest):
    assert manifest_errors(manifest) == []


def test_version_is_the_package_version(manifest):
    assert manifest["version"] == __version__


def test_every_option_is_a_setting_of_a_matching_type(manifest):
    schema, options = manifest["schema"], manifest["options"]
    assert set(options) <= set(schema)
    for name, kind in schema.items():
        setting = BY_NAME.get(name)
        assert setting is not None, f"add-on option {name} is no plexbooks setting"
        assert kind.rstrip("?").startswith(SETTING_TO_SCHEMA[setting.type]), (name, kind, setting.type)
        if setting.secret:
            assert kind.startswith("password"), f"{name} is a secret: Home Assistant should mask it"
    for name, value in options.items():
        assert option_fits(schema[name], value), (name, value, schema[name])
    # the defaults in the manifest are the settings' own defaults
    for name, value in options.items():
        default = BY_NAME[name].default
        assert value == ("" if default is None or default == [] else default), name
    # and the entrypoint turns the options into a configuration plexbooks accepts
    from plugin.settings import resolve
    env = option_environment({**options, "plex_url": "http://192.168.1.10:32400", "plex_library": "3,7",
                              "plex_token": "t0ken", "poll_interval_minutes": 2.5})
    config = resolve({}, env)
    assert config.plex_url == "http://192.168.1.10:32400" and config.plex_library == ["3", "7"]
    assert config.poll_interval_minutes == 2.5 and config.websocket_enabled is True
    assert "PLEXBOOKS_API_KEY" not in env                      # empty options keep the default


def test_ingress_and_the_published_webhook_port_are_the_port_the_app_listens_on(manifest):
    port = int(manifest["environment"]["PLEXBOOKS_PORT"])
    assert manifest["ingress"] is True and manifest["ingress_port"] == port
    assert manifest["ports"] == {f"{port}/tcp": port}
    assert manifest["environment"]["PLEXBOOKS_HOST"] == "0.0.0.0"
    assert manifest["environment"]["PLEXBOOKS_DATA_DIR"] == "/data"   # Home Assistant's add-on storage
    assert f"[PORT:{port}]/healthz" in manifest["watchdog"]
    readme = (ROOT / "README.md").read_text()
    assert "ingress" in readme and "webhook" in readme.split("## Run in a container")[1]


def test_init_false_because_the_image_brings_tini(manifest):
    entrypoint = next(line for line in (ROOT / "Dockerfile").read_text().splitlines()
                      if line.startswith("ENTRYPOINT"))
    assert manifest["init"] is False and "/usr/bin/tini" in entrypoint


@pytest.mark.parametrize("change, error", [
    (lambda m: m.update(slug="plex books"), "slug: invalid"),
    (lambda m: m.pop("arch"), "arch: required"),
    (lambda m: m.update(arch=["amd64", "sparc"]), "arch: invalid"),
    (lambda m: m.update(ingress_port="8787"), "ingress_port: invalid"),
    (lambda m: m.update(ports={"8787": "x"}), "ports: invalid"),
    (lambda m: m.update(init="no"), "init: invalid"),
    (lambda m: m.update(healthcheck={"port": 8787}), "healthcheck: not an add-on configuration key"),
    (lambda m: m.update(image="ghcr.io/x/plexbooks:0.1.0"), "image: invalid"),
    (lambda m: m["schema"].update(plex_url="uri"), "schema: invalid"),
    (lambda m: m.update(timeout=5), "timeout: invalid"),
])
def test_the_check_refuses_what_home_assistant_refuses(manifest, change, error):
    broken = copy.deepcopy(manifest)
    change(broken)
    assert any(e.startswith(error) for e in manifest_errors(broken)), manifest_errors(broken)


def test_compose_example_matches_the_image():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service = compose["services"]["plexbooks"]
    env = service["environment"]
    assert {"PUID", "PGID", "TZ", "PLEXBOOKS_PLEX_URL", "PLEXBOOKS_PUBLIC_URL"} <= set(env)
    for name in env:
        assert name in ("PUID", "PGID", "TZ") or name.removeprefix("FILE__") in {s.env for s in BY_NAME.values()}
    assert any(v.endswith(":/config") for v in service["volumes"])
    assert "8787:8787" in service["ports"] and env["PLEXBOOKS_PUBLIC_URL"].endswith(":8787")
    for secret in service["secrets"]:
        assert f"FILE__PLEXBOOKS_{secret.upper()}" in env and secret in compose["secrets"]
    assert not any(BY_NAME[s.name].secret for s in BY_NAME.values() if s.env in env)   # no secret inline
