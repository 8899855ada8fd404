"""Static files under content-hashed names, precompressed, cached for a year.

`static/` is flat and small, so it is read once at start-up: each file gets a name with
the first 10 hex digits of its SHA-256 (`site.css` → `site.3f9a….css`) and brotli and
gzip bodies made at the highest levels once, instead of on every request.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import brotli

STATIC_DIR = Path(__file__).resolve().parents[3] / "static"
YEAR = 365 * 24 * 3600
COMPRESSIBLE = {".css", ".js", ".svg", ".txt", ".json", ".webmanifest"}


@dataclass(frozen=True)
class Asset:
    name: str
    hashed_name: str
    media_type: str
    body: bytes
    brotli_body: bytes | None
    gzip_body: bytes | None


class AssetManifest:
    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.by_name: dict[str, Asset] = {}
        self.by_hashed: dict[str, Asset] = {}
        for path in sorted(directory.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:10]
            stem, dot, ext = path.name.rpartition(".")
            hashed = f"{stem}.{digest}.{ext}" if dot else f"{path.name}.{digest}"
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type.endswith(("javascript", "+xml")):
                media_type += "; charset=utf-8"
            squeeze = path.suffix in COMPRESSIBLE and len(body) > 500
            asset = Asset(
                name=path.name,
                hashed_name=hashed,
                media_type=media_type,
                body=body,
                brotli_body=brotli.compress(body, quality=11) if squeeze else None,
                gzip_body=gzip.compress(body, compresslevel=9, mtime=0) if squeeze else None,
            )
            self.by_name[path.name] = asset
            self.by_hashed[hashed] = asset

    def url(self, name: str) -> str:
        """The cache-busting URL of a file in `static/`; a typo fails loudly at render time."""
        return f"/static/{self.by_name[name].hashed_name}"

    def pick(self, hashed_name: str, accept_encoding: str) -> tuple[Asset, bytes, str | None]:
        """The asset and the body to send for this Accept-Encoding (KeyError: no such file)."""
        asset = self.by_hashed[hashed_name]
        accepted = {part.split(";")[0].strip() for part in accept_encoding.lower().split(",")}
        if asset.brotli_body is not None and "br" in accepted:
            return asset, asset.brotli_body, "br"
        if asset.gzip_body is not None and "gzip" in accepted:
            return asset, asset.gzip_body, "gzip"
        return asset, asset.body, None
