"""The intranet site: handbook (mkdocs) plus generated household and scope pages, published atomically."""

from __future__ import annotations

from generator.site.build import BuildResult, build_site

__all__ = ["BuildResult", "build_site"]
