"""Jinja's compiled templates on disk, sealed like every other cache entry (the pages' templates in
build/cache/jinja/<code>/, the theme's in build/cache/engine/theme/)."""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from pathlib import Path

import jinja2

from .cache import seal, unseal


class SealedBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's compiled templates in a folder, each file sealed like every other cache entry (``cache.seal``):
    with the sha256 of its bytes and its own name, so that a file changed on disk, or another template's copied
    over it, is compiled again and never run. Jinja itself then checks the template's source checksum."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        filename = self._get_cache_filename(bucket)
        try:
            entry = unseal(Path(filename).read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == os.path.basename(filename) \
                and isinstance(entry[1], bytes):
            bucket.bytecode_from_string(entry[1])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = self._get_cache_filename(bucket)
        tmp = f"{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:  # written whole, then renamed into place: another process never reads half a file
            Path(tmp).write_bytes(seal((os.path.basename(name), bucket.bytecode_to_string())))
            os.replace(tmp, name)
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(tmp)
