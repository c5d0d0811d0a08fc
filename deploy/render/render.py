"""Render the Grafana dashboard's panels (deploy/grafana/dashboards/mailroom.json) from scraped samples.

A tiny PromQL evaluator for the dashboard's expression shapes: sum/max [by (..)] (...), rate/increase
(sel[range]), histogram_quantile(q, ...), selectors with = matchers. Output: a PNG laid out by gridPos.
"""
import json, re, sys, math
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.dates as mdates
from datetime import datetime

DASH, SERIES, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
RATE_INTERVAL = 20.0  # seconds, $__rate_interval for 1 s scrapes here (4x the scrape interval + margin)

dash = json.load(open(DASH))
scrapes = json.load(open(SERIES))
T = [s["t"] for s in scrapes]
# per scrape: name -> list of (labels, value)
frames = []
for s in scrapes:
    f = {}
    for name, labels, value in s["samples"]:
        f.setdefault(name, []).append((labels, value))
    frames.append(f)

TOKEN = re.compile(r'\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<id>[a-zA-Z_:][a-zA-Z0-9_:]*)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<range>\[[^\]]*\])|(?P<p>[(){},=]))')

def tokenize(s):
    s = s.replace("$__rate_interval", "RI")
    out, pos = [], 0
    while pos < len(s):
        m = TOKEN.match(s, pos)
        if not m or m.end() == pos:
            if s[pos:].strip() == "":
                break
            raise ValueError("cannot tokenize: " + s[pos:])
        pos = m.end()
        for k in ("num", "id", "str", "range", "p"):
            if m.group(k) is not None:
                out.append((k, m.group(k)))
    return out

class P:
    def __init__(self, toks): self.t, self.i = toks, 0
    def peek(self): return self.t[self.i] if self.i < len(self.t) else (None, None)
    def next(self): tok = self.t[self.i]; self.i += 1; return tok
    def expect(self, v):
        k, x = self.next()
        assert x == v, f"expected {v}, got {x}"
    def labels_list(self):
        self.expect("("); names = []
        while self.peek()[1] != ")":
            k, x = self.next()
            if x != ",": names.append(x)
        self.expect(")"); return names
    def expr(self):
        k, x = self.next()
        if k == "num": return ("num", float(x))
        if x in ("sum", "max"):
            by = None
            if self.peek()[1] == "by": self.next(); by = self.labels_list()
            self.expect("("); inner = self.expr(); self.expect(")")
            return ("agg", x, by, inner)
        if x in ("rate", "increase"):
            self.expect("("); sel = self.selector_after(self.next()[1]); rng = self.next()[1]; self.expect(")")
            r = rng[1:-1]
            secs = RATE_INTERVAL if r == "RI" else float(r[:-1]) * {"s": 1, "m": 60, "h": 3600}[r[-1]]
            return (x, sel, secs)
        if x == "histogram_quantile":
            self.expect("("); q = self.expr(); self.expect(","); inner = self.expr(); self.expect(")")
            return ("hq", q[1], inner)
        return self.selector_after(x)
    def selector_after(self, name):
        matchers = {}
        if self.peek()[1] == "{":
            self.next()
            while self.peek()[1] != "}":
                k, lab = self.next()
                if lab == ",": continue
                self.expect("="); v = self.next()[1][1:-1]; matchers[lab] = v
            self.next()
        return ("sel", name, matchers)

def key(labels): return tuple(sorted(labels.items()))

def select(i, name, matchers):
    return {key(l): v for l, v in frames[i].get(name, []) if all(l.get(a) == b for a, b in matchers.items())}

def at(i, node):
    """Instant vector at scrape i: {labels-tuple: value}."""
    kind = node[0]
    if kind == "sel": return select(i, node[1], node[2])
    if kind in ("rate", "increase"):
        _, sel, secs = node
        j = i
        while j > 0 and T[i] - T[j - 1] <= secs: j -= 1
        if j == i or (T[i] - T[j] < secs * 0.5 and T[i] - T[0] > secs * 0.5): return {}
        a, b = select(j, sel[1], sel[2]), select(i, sel[1], sel[2])
        out = {}
        for k, v in b.items():
            if k in a:
                d = v - a[k] if v >= a[k] else v
                out[k] = d / (T[i] - T[j]) if kind == "rate" else d
        return out
    if kind == "agg":
        _, op, by, inner = node
        vec, out = at(i, inner), {}
        for k, v in vec.items():
            labels = dict(k)
            g = tuple((b, labels.get(b, "")) for b in (by or []))
            if g in out: out[g] = out[g] + v if op == "sum" else max(out[g], v)
            else: out[g] = v
        return out
    if kind == "hq":
        _, q, inner = node
        groups = {}
        for k, v in at(i, inner).items():
            labels = dict(k); le = labels.pop("le")
            groups.setdefault(key(labels), []).append((math.inf if le == "+Inf" else float(le), v))
        out = {}
        for g, buckets in groups.items():
            buckets.sort(); total = buckets[-1][1]
            if total <= 0: continue
            rank, prev_le, prev_c = q * total, 0.0, 0.0
            for le, c in buckets:
                if c >= rank:
                    if math.isinf(le): out[g] = prev_le
                    else: out[g] = prev_le + (le - prev_le) * ((rank - prev_c) / (c - prev_c) if c > prev_c else 0)
                    break
                prev_le, prev_c = le, c
        return out
    raise ValueError(kind)

def legend(fmt, labels):
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt) if fmt else (
        "{" + ",".join(f'{a}="{b}"' for a, b in labels.items()) + "}" if labels else "value")

def fmt_value(v, unit):
    if v is None: return "No data"
    if unit == "bytes":
        for u in ("B", "KiB", "MiB", "GiB"):
            if abs(v) < 1024: return f"{v:.1f} {u}"
            v /= 1024
        return f"{v:.1f} TiB"
    if unit == "s":
        return f"{v * 1000:.2f} ms" if v < 1 else f"{v:.2f} s"
    if unit == "ops": return f"{v:,.1f} ops/s" if v < 100 else f"{v:,.0f} ops/s"
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.2f}"

BG, PANEL, GRID, TEXT, DIM = "#111217", "#181b1f", "#2c3235", "#ccccdc", "#8e8e9e"
COLORS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#ff780a", "#96d98d", "#fade2a"]
ROW_H, COL_W = 0.42, 0.62  # inches per grid unit
rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in dash["panels"])
fig = plt.figure(figsize=(24 * COL_W, rows * ROW_H + 0.7), facecolor=BG)
H = rows * ROW_H + 0.7
fig.text(0.01, 1 - 0.3 / H, f"{dash['title']}  ·  rendered from {len(T)} scrapes of a running Mailroom "
         f"({datetime.fromtimestamp(T[0]).strftime('%H:%M:%S')}–{datetime.fromtimestamp(T[-1]).strftime('%H:%M:%S')})",
         color=TEXT, fontsize=13, va="center", weight="bold")
times = [datetime.fromtimestamp(t) for t in T]

def rect(gp, plot=False):
    x0 = gp["x"] / 24; w = gp["w"] / 24
    top = (0.7 + gp["y"] * ROW_H) / H; h = gp["h"] * ROW_H / H
    if not plot:
        return [x0 + 0.004, 1 - top - h + 0.006, w - 0.008, h - 0.012]
    left, bottom = 0.055, 0.75 / H  # room for y tick labels, and x tick labels plus the legend
    return [x0 + left, 1 - top - h + bottom, w - left - 0.01, h - bottom - 0.3 / H]

for p in dash["panels"]:
    gp = p["gridPos"]
    if p["type"] == "row":
        fig.text(gp["x"] / 24 + 0.005, 1 - (0.7 + gp["y"] * ROW_H + 0.5 * ROW_H) / H, p["title"], color=TEXT,
                 fontsize=11, weight="bold", va="center")
        continue
    unit = p["fieldConfig"]["defaults"].get("unit", "short")
    frame = fig.add_axes(rect(gp), facecolor=PANEL)
    frame.set_xticks([]); frame.set_yticks([])
    for sp in frame.spines.values(): sp.set_color(GRID)
    frame.set_title(p["title"], color=TEXT, fontsize=10, loc="left", pad=4)
    if p["type"] == "stat":
        ax = frame
        t = p["targets"][0]; node = P(tokenize(t["expr"])).expr()
        vals = [sum(at(i, node).values()) if at(i, node) else None for i in range(len(T))]
        last = next((v for v in reversed(vals) if v is not None), None)
        xs = [times[i] for i, v in enumerate(vals) if v is not None]; ys = [v for v in vals if v is not None]
        if ys: ax.fill_between(xs, ys, color="#73bf69", alpha=0.18, lw=0); ax.plot(xs, ys, color="#73bf69", lw=1, alpha=0.6)
        ax.text(0.5, 0.45, fmt_value(last, unit), transform=ax.transAxes, ha="center", va="center",
                color="#73bf69" if last is not None else DIM, fontsize=20 if last is not None else 13, weight="bold")
        ax.set_xticks([]); ax.set_yticks([])
        continue
    ax = fig.add_axes(rect(gp, plot=True), facecolor=PANEL)
    for sp in ax.spines.values(): sp.set_visible(False)
    ci = 0; any_data = False
    for t in p["targets"]:
        node = P(tokenize(t["expr"])).expr()
        series = {}
        for i in range(len(T)):
            for k, v in at(i, node).items():
                series.setdefault(k, {})[i] = v
        for k in sorted(series):
            pts = series[k]; idx = sorted(pts)
            ax.plot([times[i] for i in idx], [pts[i] for i in idx], lw=1.3, color=COLORS[ci % len(COLORS)],
                    label=legend(t.get("legendFormat"), dict(k)))
            ci += 1; any_data = True
    ax.tick_params(colors=DIM, labelsize=7)
    ax.grid(color=GRID, lw=0.5)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.xaxis.set_major_locator(mdates.SecondLocator(bysecond=[0, 30]))
    ax.set_xlim(times[0], times[-1])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _, unit=unit: fmt_value(v, unit)))
    ax.set_ylim(bottom=0)
    if any_data:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.09), fontsize=6.5, frameon=False, ncol=min(4, ci),
                  labelcolor=TEXT, handlelength=1.2, columnspacing=1.0)
    else:
        ax.text(0.5, 0.5, "No data", transform=ax.transAxes, ha="center", va="center", color=DIM, fontsize=12)
        ax.set_yticks([])
fig.savefig(OUT, dpi=110, facecolor=BG)
print("wrote", OUT)
