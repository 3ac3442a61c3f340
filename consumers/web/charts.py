"""Charts as inline SVG, drawn on the server: no script, no CDN, nothing the CSP has to allow.

    Series("医疗支出负担", [(x0, 3.0), (x1, 5.0), ...])  --line_chart-->  <svg>...</svg>
    [("田东街道", 12.0), ("新淮街道", 7.0)]              --bar_chart-->   <svg>...</svg>

Pure: values in, markup out. x values are numbers (epoch seconds, week index); labels say what they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

COLOURS = ("#1a4c9c", "#c0392b", "#1d6b38", "#8a5300", "#5b2a8c", "#0f7c86", "#9c1a6b", "#556b2f", "#7a4b1a",
           "#2f4f8f", "#b35900", "#4d4d4d", "#00796b")
W, H, PAD_L, PAD_B, PAD_T, PAD_R = 360, 180, 44, 26, 10, 10


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[float, float]] = field(default_factory=list)


def number(value: float, unit: str = "") -> str:
    """A figure as a label: 1,234 / 12.5 / 98% / 3.2 秒."""
    if unit == "%":
        return f"{value * 100:.0f}%"
    text = f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".rstrip() if unit else text


def line_chart(series: list[Series], *, unit: str = "", x_labels: tuple[str, str] = ("", ""),
               title: str = "") -> Markup:
    points = [p for s in series for p in s.points]
    if not points:
        return no_data()
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    top = max(max(p[1] for p in points), 0) or 1.0
    sx = lambda x: PAD_L + (W - PAD_L - PAD_R) * ((x - x0) / (x1 - x0) if x1 > x0 else 0.5)  # noqa: E731
    sy = lambda y: PAD_T + (H - PAD_T - PAD_B) * (1 - y / top)  # noqa: E731
    paths = []
    for i, s in enumerate(series):
        d = " ".join(f"{'M' if j == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for j, (x, y) in enumerate(sorted(s.points)))
        dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2" fill="{COLOURS[i % len(COLOURS)]}"/>'
                       for x, y in s.points) if len(s.points) < 40 else ""
        paths.append(f'<path d="{d}" fill="none" stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2"/>{dots}')
    return _frame(title, "".join(paths), top, unit, x_labels) + legend(series)


def bar_chart(bars: list[tuple[str, float]], *, unit: str = "", title: str = "") -> Markup:
    if not bars:
        return no_data()
    top = max(max(v for _, v in bars), 0) or 1.0
    row = 22
    height = row * len(bars) + 8
    label_w = 150
    parts = []
    for i, (label, value) in enumerate(bars):
        width = (W - label_w - 60) * max(value, 0) / top
        y = 4 + i * row
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" '
                     f'fill="{COLOURS[i % len(COLOURS)]}"/>'
                     f'<text x="{label_w + width + 4:.1f}" y="{y + 14}" font-size="12">{escape(number(value, unit))}</text>')
    return Markup(f'<svg viewBox="0 0 {W} {height}" role="img" aria-label="{escape(title)}">'
                  f'<title>{escape(title)}</title>{"".join(parts)}</svg>')


def legend(series: list[Series]) -> Markup:
    items = "".join(f'<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" '
                    f'fill="{COLOURS[i % len(COLOURS)]}"/></svg> {escape(s.name)}</li>' for i, s in enumerate(series))
    return Markup(f'<ul class="legend">{items}</ul>')


def no_data() -> Markup:
    return Markup('<p class="nodata">暂无数据</p>')


def _frame(title: str, body: str, top: float, unit: str, x_labels: tuple[str, str]) -> Markup:
    axis = (f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" stroke="#99a"/>'
            f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" stroke="#99a"/>'
            f'<text x="{PAD_L - 4}" y="{PAD_T + 8}" text-anchor="end" font-size="10">{escape(number(top, unit))}</text>'
            f'<text x="{PAD_L - 4}" y="{H - PAD_B}" text-anchor="end" font-size="10">0</text>'
            f'<text x="{PAD_L}" y="{H - 8}" font-size="10">{escape(x_labels[0])}</text>'
            f'<text x="{W - PAD_R}" y="{H - 8}" text-anchor="end" font-size="10">{escape(x_labels[1])}</text>')
    return Markup(f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
                  f'{axis}{body}</svg>')
