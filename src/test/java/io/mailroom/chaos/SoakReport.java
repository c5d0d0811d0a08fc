package io.mailroom.chaos;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The soak's HTML report: one inline SVG line chart per sampled quantity, drawn from the samples. */
final class SoakReport {
    private static final int W = 760, H = 180, LEFT = 60, BOTTOM = 24, TOP = 10;

    private SoakReport() {}

    static String html(List<Soak.Sample> samples, String summary) {
        StringBuilder b = new StringBuilder("""
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Mailroom soak</title>
                <style>body{font:14px sans-serif;margin:2em;max-width:820px}svg{display:block;margin-bottom:1.5em}
                .axis{stroke:#888;stroke-width:1}.line{fill:none;stroke:#1f6fb2;stroke-width:1.5}.second{fill:none;stroke:#c0392b;stroke-width:1.5}
                text{font:11px sans-serif;fill:#333}</style></head><body>
                <h1>Mailroom soak</h1>
                """);
        b.append("<p>").append(escape(summary)).append("</p>\n");
        double minutes = samples.isEmpty() ? 0 : samples.getLast().minutes();
        b.append(String.format(Locale.ROOT, "<p>%d samples, one every 10 s, over %.1f minutes.</p>%n", samples.size(), minutes));
        chart(b, samples, "Server RSS (MB)", Soak.Sample::rssMb, null);
        chart(b, samples, "Server heap after a full GC (MB)", Soak.Sample::heapMb, null);
        chart(b, samples, "Server threads", s -> s.threads(), null);
        chart(b, samples, "Live Mailroom processes", s -> s.processes(), null);
        chart(b, samples, "Live delivery latency in each 10 s window (ms): p50 blue, p99 red", Soak.Sample::p50, Soak.Sample::p99);
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void chart(StringBuilder b, List<Soak.Sample> samples, String title, ToDoubleFunction<Soak.Sample> first,
                              ToDoubleFunction<Soak.Sample> second) {
        double maxX = Math.max(1e-9, samples.isEmpty() ? 1 : samples.getLast().minutes());
        double maxY = 0;
        for (Soak.Sample s : samples) {
            maxY = Math.max(maxY, first.applyAsDouble(s));
            if (second != null) {
                maxY = Math.max(maxY, second.applyAsDouble(s));
            }
        }
        maxY = maxY <= 0 ? 1 : maxY * 1.1;
        b.append("<h2>").append(escape(title)).append("</h2>\n");
        b.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">%n",
                W, H + BOTTOM + TOP, W, H + BOTTOM + TOP, escape(title)));
        b.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>%n", LEFT, TOP + H, W - 10, TOP + H));
        b.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>%n", LEFT, TOP, LEFT, TOP + H));
        for (int i = 0; i <= 4; i++) {
            double v = maxY * i / 4;
            int y = TOP + H - (int) (H * i / 4.0);
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4, label(v)));
            double m = maxX * i / 4;
            int x = LEFT + (int) ((W - 10 - LEFT) * i / 4.0);
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s min</text>%n", x, TOP + H + 16, label(m)));
        }
        polyline(b, samples, first, maxX, maxY, "line");
        if (second != null) {
            polyline(b, samples, second, maxX, maxY, "second");
        }
        b.append("</svg>\n");
    }

    private static void polyline(StringBuilder b, List<Soak.Sample> samples, ToDoubleFunction<Soak.Sample> f, double maxX,
                                 double maxY, String cls) {
        b.append("<polyline class=\"").append(cls).append("\" points=\"");
        for (Soak.Sample s : samples) {
            double x = LEFT + (W - 10 - LEFT) * s.minutes() / maxX;
            double y = TOP + H - H * f.applyAsDouble(s) / maxY;
            b.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        b.append("\"/>\n");
    }

    private static String label(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
