"""Reading and writing the engines' YAML configuration (imported only when a staged config is written anew).

``mkdocs.yml`` is read keeping its ``!ENV`` and ``!!python/name`` tags as they are, so that they are written back
for the engine to resolve.
"""

from __future__ import annotations

from typing import Any

import yaml


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where installed: same values
    """Reads mkdocs.yml keeping ``!ENV`` and ``!!python/name`` tags as they are (they are written back)."""


class _Tagged(str):
    def __new__(cls, tag: str, value: Any) -> _Tagged:
        obj = super().__new__(cls, str(value))
        obj.tag, obj.value = tag, value
        return obj


def _keep_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tagged:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)
    return _Tagged(suffix, value)


_Loader.add_multi_constructor("!", lambda loader, suffix, node: _keep_tag(loader, "!" + suffix, node))  # !ENV
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: _keep_tag(
    loader, "tag:yaml.org,2002:python/" + suffix, node))


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter where installed: same YAML, faster
    pass


def _represent_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


_Dumper.add_representer(_Tagged, _represent_tagged)


def load_config(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_Loader) or {}


def dump_config(config: dict[str, Any]) -> str:
    return yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
