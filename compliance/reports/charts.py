"""Bar charts as inline SVG: no script, no external asset, styles as attributes, so that
they draw the same in a browser and in the mail clients that render SVG. The report
prints the same numbers in a table under each chart for the clients that strip SVG."""

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 24, 40
FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#374151"'
COLOURS = {"received": "#2563eb", "completed": "#16a34a", "hours": "#7c3aed"}


def _nice_max(value: int) -> int:
    """A round top for the axis, at least 1."""
    for top in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= top:
            return top
    magnitude = 10 ** (len(str(value)) - 1)
    return -(-value // magnitude) * magnitude


def _frame(title: str, top: int) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'style="max-width:100%;height:auto;background:#ffffff">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_height * (1 - fraction)
        label = round(top * fraction, 1)
        label = int(label) if label == int(label) else label
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e5e7eb" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{label}</text>'
        )
    return parts


def _bar(x: float, width: float, value: int, top: int, colour: str, tooltip: str) -> str:
    plot_height = HEIGHT - TOP - BOTTOM
    height = plot_height * value / top if top else 0
    y = TOP + plot_height - height
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 1):.1f}" '
        f'height="{height:.1f}" fill="{colour}"><title>{escape(tooltip)}</title></rect>'
    )


def requests_per_day(per_day: list[dict]) -> SafeString:
    """Requests received and completed on each day, side by side."""
    title = "Removal requests per day: received and completed"
    top = _nice_max(max([max(d["received"], d["completed"]) for d in per_day] or [0]))
    parts = _frame(title, top)
    slot = (WIDTH - LEFT - RIGHT) / max(len(per_day), 1)
    bar = max(slot * 0.38, 1)
    every = 1 if len(per_day) <= 14 else 3
    for n, day in enumerate(per_day):
        x = LEFT + n * slot + slot * 0.1
        when = date.fromisoformat(day["day"])
        parts.append(
            _bar(
                x,
                bar,
                day["received"],
                top,
                COLOURS["received"],
                f"{day['day']}: {day['received']} received",
            )
        )
        parts.append(
            _bar(
                x + bar,
                bar,
                day["completed"],
                top,
                COLOURS["completed"],
                f"{day['day']}: {day['completed']} completed",
            )
        )
        if n % every == 0:
            label = f"{when:%a} {when.day}" if len(per_day) <= 7 else f"{when.day}"
            parts.append(
                f'<text x="{x + bar:.1f}" y="{HEIGHT - BOTTOM + 14}" '
                f'text-anchor="middle" {FONT}>{escape(label)}</text>'
            )
    legend_y = HEIGHT - 8
    for n, series in enumerate(("received", "completed")):
        x = LEFT + n * 110
        parts.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS[series]}"/>'
        )
        parts.append(f'<text x="{x + 14}" y="{legend_y}" {FONT}>{series}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bucket_label(low: int, high: int | None) -> str:
    return f"{low} to {high} h" if high is not None else f"{low} h or more"


def completion_distribution(histogram: list[dict]) -> SafeString:
    """How many requests were completed within each band of hours after receipt."""
    title = "Time from receipt to completion (requests completed in the period)"
    top = _nice_max(max([bucket["count"] for bucket in histogram] or [0]))
    parts = _frame(title, top)
    slot = (WIDTH - LEFT - RIGHT) / max(len(histogram), 1)
    for n, bucket in enumerate(histogram):
        x = LEFT + n * slot + slot * 0.15
        label = bucket_label(bucket["low_hours"], bucket["high_hours"])
        parts.append(
            _bar(
                x, slot * 0.7, bucket["count"], top, COLOURS["hours"], f"{label}: {bucket['count']}"
            )
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" '
            f'text-anchor="middle" {FONT}>{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
