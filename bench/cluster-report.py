#!/usr/bin/env python3
"""The table of bench/cluster-load.sh: cluster-report.py OUT_DIR case… (single, one, two).

Reads each case's LoadGen properties (OUT/<case>.properties) and the window hook's snapshots
(OUT/window/<case>-load-{start,end}/: Redis's /proc stat and INFO, nginx's /proc stat, sockets per
node, loadavg), and prints a markdown table, with two/one ratios when both ran."""
import os
import sys

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")
MAIN_COMMANDS = ["eval", "evalsha", "publish", "spublish", "xadd", "hincrby", "hget", "hset", "xrange",
                 "xrevrange", "sadd", "srem", "hdel", "zadd", "zrangebyscore", "subscribe", "unsubscribe", "time"]


def props(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                out[k] = v.replace("\\:", ":")
    return out


def cpu_us(stat_text):
    """utime + stime of every /proc/<pid>/stat line in the text, in µs."""
    total = 0
    for line in stat_text.splitlines():
        if not line.strip():
            continue
        f = line[line.rindex(")") + 2:].split()
        total += int(f[11]) + int(f[12])
    return total * TICK_US


def info(text):
    stats, cmds = {}, {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_"):].split(":", 1)
            fields = dict(kv.split("=") for kv in rest.split(","))
            cmds[name] = (int(fields["calls"]), float(fields["usec"]))
        elif ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            stats[k] = v
    return stats, cmds


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def case_figures(out, case):
    p = props(os.path.join(out, case + ".properties"))
    w0 = os.path.join(out, "window", case + "-load-start")
    w1 = os.path.join(out, "window", case + "-load-end")
    secs = float(p["load.window.seconds"])
    sent = float(p["load.window.sent"])
    deliveries = float(p["load.window.deliveries"])
    fig = {"p": p, "secs": secs, "sent": sent, "deliveries": deliveries}
    fig["server_us"] = float(p["load.server.cpu.us.per.delivery"])
    fig["server_sys_us"] = float(p["load.server.sys.us.per.delivery"])
    fig["server_pct"] = float(p["load.server.cpu.percent"])
    nginx = cpu_us(read(os.path.join(w1, "nginx.stat"))) - cpu_us(read(os.path.join(w0, "nginx.stat")))
    fig["nginx_us"] = nginx / deliveries if read(os.path.join(w1, "nginx.stat")) else None
    fig["nginx_pct"] = 100 * nginx / (secs * 1e6)
    redis = cpu_us(read(os.path.join(w1, "redis.stat"))) - cpu_us(read(os.path.join(w0, "redis.stat")))
    fig["redis_pct"] = 100 * redis / (secs * 1e6)
    fig["redis_us_msg"] = redis / sent
    fig["redis_us_delivery"] = redis / deliveries
    s0, c0 = info(read(os.path.join(w0, "redis.info")))
    s1, c1 = info(read(os.path.join(w1, "redis.info")))
    fig["ops"] = (int(s1["total_commands_processed"]) - int(s0["total_commands_processed"]) - 1) / sent  # minus the hook's INFO
    fig["ops_per_s"] = (int(s1["total_commands_processed"]) - int(s0["total_commands_processed"])) / secs
    fig["net_in"] = (int(s1["total_net_input_bytes"]) - int(s0["total_net_input_bytes"])) / sent
    fig["net_out"] = (int(s1["total_net_output_bytes"]) - int(s0["total_net_output_bytes"])) / sent
    fig["redis_clients"] = s1.get("connected_clients", "?")
    cmds = {}
    for name, (calls, usec) in c1.items():
        calls0, usec0 = c0.get(name, (0, 0.0))
        if name == "info":
            continue
        if calls - calls0 > 0:
            cmds[name] = ((calls - calls0) / sent, (usec - usec0) / sent)
    fig["cmds"] = cmds
    if case == "single":  # Redis runs beside it, idle: nothing of it is this case's
        for k in ("redis_pct", "redis_us_msg", "redis_us_delivery", "ops", "ops_per_s"):
            fig[k] = None
        fig["cmds"] = {}
    sockets = read(os.path.join(w1, "sockets")).split()
    fig["sockets"] = " + ".join(sockets[1::2]) if sockets else "?"
    fig["load"] = (read(os.path.join(w0, "loadavg")).split()[:3], read(os.path.join(w1, "loadavg")).split()[:3])
    return fig


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def main():
    out, cases = sys.argv[1], sys.argv[2:]
    figs = {c: case_figures(out, c) for c in cases}
    names = {"single": "single node, no Redis", "one": "A: one node + Redis", "two": "B: two nodes + Redis + nginx"}
    ratio = "one" in figs and "two" in figs
    head = "| figure | " + " | ".join(names.get(c, c) for c in cases) + (" | B / A |" if ratio else " |")
    print(head)
    print("|---|" + "---|" * (len(cases) + (1 if ratio else 0)))

    def row(label, get, digits=1, r=True):
        vals = [get(figs[c]) for c in cases]
        line = f"| {label} | " + " | ".join(fmt(v, digits) for v in vals) + " |"
        if ratio:
            a, b = get(figs["one"]), get(figs["two"])
            line += (f" {b / a:.2f}× |" if r and isinstance(a, float) and isinstance(b, float) and a else " |")
        print(line)

    pf = lambda k: (lambda f: float(f["p"][k]) if k in f["p"] else None)
    row("offered deliveries/s", pf("load.offered.per.second"), r=False)
    row("sends/s in the window", pf("load.sends.per.second"), r=False)
    row("deliveries/s (steady window)", pf("load.deliveries.per.second"))
    row("lost / duplicates", lambda f: f"{f['p'].get('load.lost')} / {f['p'].get('load.duplicates')}", r=False)
    row("latency p50, ms", pf("load.p50.ms"))
    row("latency p99, ms", pf("load.p99.ms"))
    row("latency max, ms", pf("load.max.ms"))
    row("client sockets per node (in the window)", lambda f: f["sockets"], r=False)
    row("Mailroom JVMs: CPU µs per delivery (sum)", lambda f: f["server_us"], 2)
    row("… of which kernel, µs", lambda f: f["server_sys_us"], 2)
    row("Mailroom JVMs: % of a core", lambda f: f["server_pct"], 0)
    row("nginx: CPU µs per delivery", lambda f: f["nginx_us"], 2)
    row("nginx: % of a core", lambda f: f["nginx_pct"] if f["nginx_us"] is not None else None, 0)
    row("Redis: % of a core", lambda f: f["redis_pct"], 0)
    row("Redis: CPU µs per message sent", lambda f: f["redis_us_msg"], 1)
    row("Redis: CPU µs per delivery", lambda f: f["redis_us_delivery"], 2)
    row("all servers (JVMs + nginx + Redis): CPU µs per delivery",
        lambda f: f["server_us"] + (f["nginx_us"] or 0) + (f["redis_us_delivery"] or 0), 2)
    row("generator: % of a core", pf("load.gen.cpu.percent"), 0)
    row("Redis: commands per message (total_commands_processed)", lambda f: f["ops"], 2)
    row("Redis: commands/s", lambda f: f["ops_per_s"], 0)
    names_seen = sorted({n for f in figs.values() for n in f["cmds"]},
                        key=lambda n: (MAIN_COMMANDS.index(n) if n in MAIN_COMMANDS else 99, n))
    for n in names_seen:
        row(f"Redis: `{n}` calls per message (µs in Redis per message{', the calls inside included' if n in ('eval', 'evalsha') else ''})",
            lambda f, n=n: (f"{f['cmds'][n][0]:.2f} ({f['cmds'][n][1]:.1f})" if n in f["cmds"] else "–"), r=False)
    row("Redis: bytes in / out per message",
        lambda f: f"{f['net_in']:.0f} / {f['net_out']:.0f}" if f["ops"] is not None else None, r=False)
    row("Redis: connected clients", lambda f: f["redis_clients"] if f["ops"] is not None else None, r=False)
    row("load average at the window's start → end",
        lambda f: " ".join(f["load"][0]) + " → " + " ".join(f["load"][1]), r=False)
    print()
    with open(os.path.join(out, "machine.txt"), encoding="utf-8") as f:
        for line in f:
            print("    " + line.rstrip())


if __name__ == "__main__":
    main()
