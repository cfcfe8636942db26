"""Package tarballs: safe extraction (pacote + node-tar rules) and `npm pack`-identical packing.

headers.py   512-byte ustar headers, pax records, GNU long names (byte layout only)
reader.py    gunzip + header walk + path sanitising → TarEntry
extract.py   what npm writes to disk (files only, modes, .gitignore rename), safely
pack.py      npm pack: packlist order, portable headers, fixed mtime, gzip
"""

from __future__ import annotations

from snpm.tarball.extract import (
    ExtractResult,
    PackageFile,
    extract,
    file_mode,
    is_package_bin,
    iter_package_files,
)
from snpm.tarball.pack import (
    NPM_MTIME,
    PackedEntry,
    PackFile,
    PackResult,
    gzip_tar,
    pack,
    pack_directory,
    pack_tar,
    tarball_filename,
)
from snpm.tarball.reader import TarEntry, TarWarning, gunzip, iter_entries, iter_members

__all__ = [
    "NPM_MTIME",
    "ExtractResult",
    "PackFile",
    "PackResult",
    "PackageFile",
    "PackedEntry",
    "TarEntry",
    "TarWarning",
    "extract",
    "file_mode",
    "gunzip",
    "gzip_tar",
    "is_package_bin",
    "iter_entries",
    "iter_members",
    "iter_package_files",
    "pack",
    "pack_directory",
    "pack_tar",
    "tarball_filename",
]
