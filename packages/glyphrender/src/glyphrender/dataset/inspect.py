"""A dataset's summary for ``glyphrender inspect``: fonts, counts, image size, placement, disk."""

from __future__ import annotations

from typing import Any

from glyphrender.dataset.manifest import SPLITS, FontRecord
from glyphrender.dataset.shards import MANIFEST_NAME, Dataset


def summarize(dataset: Dataset, verify: bool = False) -> dict[str, Any]:
    """A JSON-ready summary; with ``verify`` the shard checksum problems under ``problems``."""
    m = dataset.manifest
    splits = {
        split: {"count": dataset.count(split), "shards": len(dataset.shard_entries(split))}
        for split in SPLITS
        if dataset.has_split(split)
    }
    files = [dataset.path / MANIFEST_NAME] + [
        dataset.path / e.file for s in m.splits for e in dataset.shard_entries(s)
    ]
    size = sum(p.stat().st_size for p in files if p.is_file())
    summary: dict[str, Any] = {
        "path": str(dataset.path),
        "schema_version": m.schema_version,
        "glyph_px": dataset.glyph_px,
        "placement": m.placement,
        "margin": m.margin,
        "clipped": m.clipped_count,
        "num_styles": dataset.num_styles,
        "fonts": [_font_summary(f) for f in m.fonts],
        "charset": m.charset,
        "split": m.split_rule,
        "splits": splits,
        "size_bytes": size,
        "created": m.created,
        "tool": m.tool,
    }
    if verify:
        summary["problems"] = dataset.verify()
    return summary


def _font_summary(font: FontRecord) -> dict[str, Any]:
    return {
        "role": font.role,
        "style_id": font.style_id,
        "family": font.family,
        "style_name": font.style_name,
        "path": font.path,
        "face_index": font.face_index,
        "sha256": font.sha256,
        "transform": font.transform.to_dict() if font.transform else None,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The human-readable form printed by ``glyphrender inspect``."""
    lines = [f"dataset   {summary['path']}  (schema {summary['schema_version']})"]
    for f in summary["fonts"]:
        role = f"style {f['style_id']}" if f["role"] == "target" else f["role"]  # source, blend
        t = f["transform"] or {}
        lines.append(
            f"{role:9s} {f['family']} {f['style_name']}  {f['path']}"
            + (f"#{f['face_index']}" if f.get("face_index") else "")
            + (
                f"  (scale {t['scale']:.5g} px/unit, offset {t['x_offset']:.4g},{t['y_offset']:.4g})"
                if t
                else ""
            )
        )
    lines.append(
        f"images    {summary['glyph_px']}x{summary['glyph_px']} px, placement "
        f"{summary['placement']}, margin {summary['margin']}, clipped {summary['clipped']}"
    )
    cs = summary.get("charset") or {}
    sp = summary.get("split") or {}
    lines.append(
        f"charset   {' '.join(cs.get('spec', []))} ({cs.get('count')} characters); "
        f"val fraction {sp.get('val_fraction')}, seed {sp.get('seed')}"
    )
    for split, info in summary["splits"].items():
        lines.append(f"{split:9s} {info['count']:>7,} samples in {info['shards']} shard(s)")
    lines.append(f"on disk   {_human(summary['size_bytes'])}")
    if "problems" in summary:
        problems = summary["problems"]
        lines.append("verify    " + ("all shard checksums match" if not problems else "FAILED"))
        lines.extend(f"  {p}" for p in problems)
    return "\n".join(lines)


def _human(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{n} B"
        value /= 1000
    return f"{n} B"
