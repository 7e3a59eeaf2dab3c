"""Bridge and bridge-port options (core.options) in NetworkManager keyfiles:
``[bridge] priority``, ``hello-time``, ``max-age``, ``ageing-time`` (whole seconds),
``multicast-snooping``, and a port profile's ``[bridge-port] path-cost`` and ``priority``
(nm-settings-keyfile(5)).  Bond options are ``[bond]`` keys by the driver's own names
(backends.options_common)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ifsmith.core.options import BRIDGE_SPECS, PORT_SPECS, BridgeOptions, PortOptions

Keys = dict[tuple[str, str], str | None]
BRIDGE_KEYS = {
    "priority": ("bridge", "priority"),
    "hello_time": ("bridge", "hello-time"),
    "max_age": ("bridge", "max-age"),
    "ageing_time": ("bridge", "ageing-time"),
    "multicast_snooping": ("bridge", "multicast-snooping"),
}
PORT_KEYS = {
    "path_cost": ("bridge-port", "path-cost"),
    "port_priority": ("bridge-port", "priority"),
}


def keys(options: BridgeOptions | PortOptions, warn: Callable[[str], None]) -> Keys:
    """The keys of every option of this kind (None: not set, the key goes)."""
    table = BRIDGE_KEYS if isinstance(options, BridgeOptions) else PORT_KEYS
    out: Keys = {key: None for key in table.values()}
    for spec, value in options.items():
        if spec.field not in table:
            continue  # not written here: options_common's warning names it
        if spec.kind == "bool":
            text = "true" if value else "false"
        elif spec.kind == "seconds":
            text = str(round(float(value)))
            if float(text) != float(value):
                warn(f"NetworkManager's {table[spec.field][1]} is whole seconds; {value} "
                     f"written as {text}")  # fmt: skip
        else:
            text = spec.text(value)
        out[table[spec.field]] = text
    return out


def read(
    get: Callable[[str, str], str | None],
    kind: type[BridgeOptions] | type[PortOptions],
    where: str,
    problems: list[str],
) -> Any:
    table = BRIDGE_KEYS if kind is BridgeOptions else PORT_KEYS
    values: dict[str, Any] = {}
    for spec in BRIDGE_SPECS if kind is BridgeOptions else PORT_SPECS:
        if spec.field not in table:
            continue
        group, key = table[spec.field]
        text = get(group, key)
        if text is None or not text.strip():
            continue
        text = text.strip()
        if spec.kind == "bool":
            text = {"true": "on", "false": "off", "yes": "on", "no": "off", "1": "on",
                    "0": "off"}.get(text.lower(), text)  # fmt: skip
        try:
            values[spec.field] = spec.parse(text)
        except ValueError as exc:
            problems.append(f"{where}: {group}.{key}={text!r}: {exc}; ignored")
    return kind(**values)
