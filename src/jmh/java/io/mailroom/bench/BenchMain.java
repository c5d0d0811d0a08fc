package io.mailroom.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the whole suite and prints the comparison: every JMH workload {@code io.mailroom.bench.W*}
 * for the three implementations (one fork each), then W1's memory figure in a fresh JVM per
 * implementation, then one table with rates and the ratios Mailroom/Pekko and
 * Mailroom/virtual threads, and which targets are met. Started by {@code bench/run.sh}.
 *
 * <p>System properties: {@code bench.out} (folder for results, default target-bench/bench),
 * {@code bench.include} (JMH regex, default every workload), {@code bench.quick=true} (1 warmup
 * and 1 measured iteration: a smoke run), {@code bench.memory=false} / {@code bench.jmh=false}
 * (skip a part), {@code bench.jvmArgs} (fork JVM flags, replacing the defaults below) and
 * {@code bench.jvmArgsAppend} (added to them).
 */
public final class BenchMain {
    static final String[] IMPLS = {Runtimes.MAILROOM, Runtimes.PEKKO, Runtimes.VTHREADS};
    /**
     * Fork JVM flags. The young generation is fixed (-Xmn512m) so that G1 keeps reusing the same,
     * already touched pages: left adaptive it grew eden to 2.4 GB mid-run, and first-touch page
     * faults (very slow on the benchmark VM: pre-touching 8 GB took 3.5 minutes) tripled a run's CPU
     * time for dozens of iterations. AlwaysPreTouch would fix it too, at minutes per fork.
     */
    static final String DEFAULT_JVM_ARGS = "-Xms8g -Xmx8g -Xmn512m -XX:+UseG1GC --sun-misc-unsafe-memory-access=allow";

    /** Scores by benchmark (class.method), then by impl. */
    private final Map<String, Map<String, Result<?>>> scores = new TreeMap<>();
    /** Mean CPU milliseconds (whole JVM) per measured invocation, by benchmark, then by impl. */
    private final Map<String, Map<String, Double>> cpu = new TreeMap<>();
    private final Map<String, double[]> memory = new LinkedHashMap<>();
    private final StringBuilder report = new StringBuilder();

    public static void main(String[] args) throws Exception {
        new BenchMain().run();
    }

    private void run() throws Exception {
        Path out = Path.of(System.getProperty("bench.out", "target-bench/bench")).toAbsolutePath();
        Files.createDirectories(out);
        List<String> jvmArgs = jvmArgs();
        if (Boolean.parseBoolean(System.getProperty("bench.jmh", "true"))) {
            runJmh(out, jvmArgs);
        }
        boolean w1Included = Pattern.compile(include()).matcher(W1SpawnIdle.class.getName() + ".spawn").find();
        if (w1Included && Boolean.parseBoolean(System.getProperty("bench.memory", "true"))) {
            for (String impl : IMPLS) {
                memory.put(impl, measureMemory(impl, jvmArgs, out));
            }
        }
        writeReport(jvmArgs);
        Path file = out.resolve("results.md");
        Files.writeString(file, report);
        System.out.println();
        System.out.println(report);
        System.out.println("Written to " + file + " (JMH JSON: " + out.resolve("jmh-result.json") + ")");
    }

    static String include() {
        return System.getProperty("bench.include", "io\\.mailroom\\.bench\\.W\\d.*");
    }

    static List<String> jvmArgs() {
        List<String> args = new ArrayList<>(split(System.getProperty("bench.jvmArgs", DEFAULT_JVM_ARGS)));
        args.addAll(split(System.getProperty("bench.jvmArgsAppend", "")));
        String logback = System.getProperty("logback.configurationFile");
        if (logback != null) {
            args.add("-Dlogback.configurationFile=" + logback);
        }
        return args;
    }

    private static List<String> split(String s) {
        List<String> parts = new ArrayList<>();
        for (String p : s.trim().split("\\s+")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        return parts;
    }

    private void runJmh(Path out, List<String> jvmArgs) throws Exception {
        Path cpuDir = out.resolve("cpu");
        if (Files.isDirectory(cpuDir)) {
            try (var stale = Files.list(cpuDir)) {
                for (Path f : stale.toList()) {
                    Files.delete(f);
                }
            }
        }
        List<String> forkArgs = new ArrayList<>(jvmArgs);
        forkArgs.add("-Dbench.out=" + out);
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(include())
                .jvmArgs(forkArgs.toArray(String[]::new))
                .shouldDoGC(true)
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve("jmh-result.json").toString());
        if (Boolean.parseBoolean(System.getProperty("bench.quick", "false"))) {
            options.warmupIterations(1).measurementIterations(1);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        for (RunResult r : results) {
            String benchmark = r.getParams().getBenchmark().replace("io.mailroom.bench.", "");
            if (r.getParams().getParam("impl") == null) {
                continue; // not a three-way workload (another benchmark in this package): JMH's summary has it
            }
            String impl = r.getParams().getParam("impl");
            scores.computeIfAbsent(benchmark, k -> new LinkedHashMap<>()).put(impl, r.getPrimaryResult());
            Path cpuFile = cpuDir.resolve(benchmark + "-" + impl + ".txt");
            if (Files.exists(cpuFile)) {
                cpu.computeIfAbsent(benchmark, k -> new LinkedHashMap<>())
                        .put(impl, Double.parseDouble(Files.readString(cpuFile).trim()));
            }
        }
    }

    /** Runs {@link W1Memory} for one implementation in a fresh JVM; {bytes/process, left after stop}. */
    private static double[] measureMemory(String impl, List<String> jvmArgs, Path out) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), W1Memory.class.getName(), impl));
        System.out.println("# W1 memory, " + impl + ": " + String.join(" ", command.subList(0, command.size() - 4)) + " ...");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        double[] result = {Double.NaN, Double.NaN};
        StringBuilder log = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                System.out.println(line);
                log.append(line).append('\n');
                if (line.startsWith("RESULT ")) {
                    String[] f = line.split(" ");
                    result = new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3])};
                }
            }
        }
        p.waitFor();
        Files.writeString(out.resolve("memory-" + impl + ".txt"), log);
        return result;
    }

    // ---------------------------------------------------------------- the report

    private void writeReport(List<String> jvmArgs) {
        line("# Mailroom benchmarks, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 16));
        line("");
        line("JDK " + System.getProperty("java.vm.version") + " (" + System.getProperty("java.vm.vendor") + "), "
                + Runtime.getRuntime().availableProcessors() + " cores, fork JVM flags: `" + String.join(" ", jvmArgs) + "`");
        line("");
        line("Times are JMH single-shot means over the measured iterations (± is JMH's 99.9% error); a rate is the");
        line("workload's units over that mean. Ratios are Mailroom's rate over the other's (> 1: Mailroom is faster).");
        line("");
        line("| Workload | Mailroom | Pekko typed | Virtual threads | Mailroom/Pekko | Mailroom/VT |");
        line("|---|---|---|---|---|---|");
        List<String> targets = new ArrayList<>();
        for (Map.Entry<String, Map<String, Result<?>>> e : scores.entrySet()) {
            String benchmark = e.getKey();
            Map<String, Result<?>> byImpl = e.getValue();
            long units = units(benchmark);
            String unit = unit(benchmark);
            StringBuilder row = new StringBuilder("| " + label(benchmark) + " |");
            for (String impl : IMPLS) {
                Result<?> r = byImpl.get(impl);
                row.append(' ').append(r == null ? "–" : cell(r, units, unit)).append(" |");
            }
            double vsPekko = ratio(byImpl.get(Runtimes.PEKKO), byImpl.get(Runtimes.MAILROOM));
            double vsVirtual = ratio(byImpl.get(Runtimes.VTHREADS), byImpl.get(Runtimes.MAILROOM));
            row.append(' ').append(fmtRatio(vsPekko)).append(" | ").append(fmtRatio(vsVirtual)).append(" |");
            line(row.toString());
            if (benchmark.startsWith("W1SpawnIdle.spawn")) {
                targets.add(check("W1 spawn time <= 1/5 of Pekko's (Mailroom/Pekko time " + fmt(1 / vsPekko) + ")",
                        vsPekko >= 5));
            } else if (!Double.isNaN(vsPekko)) {
                targets.add(check(label(benchmark) + ": >= 1.5x Pekko (" + fmtRatio(vsPekko) + ")", vsPekko >= 1.5));
            }
            if (!Double.isNaN(vsVirtual)) {
                targets.add(check(label(benchmark) + ": ahead of virtual threads (" + fmtRatio(vsVirtual) + ")", vsVirtual > 1));
            }
        }
        if (!cpu.isEmpty()) {
            line("");
            line("CPU time per run: the whole JVM's CPU (all threads: runtime, GC, JIT) during a measured invocation,");
            line("mean in ms. Ratios are the other's CPU over Mailroom's (> 1: Mailroom does the work with less CPU).");
            line("");
            line("| Workload | Mailroom | Pekko typed | Virtual threads | Pekko/Mailroom | VT/Mailroom |");
            line("|---|---|---|---|---|---|");
            for (Map.Entry<String, Map<String, Double>> e : cpu.entrySet()) {
                Map<String, Double> byImpl = e.getValue();
                StringBuilder row = new StringBuilder("| " + label(e.getKey()) + " |");
                for (String impl : IMPLS) {
                    Double ms = byImpl.get(impl);
                    row.append(' ').append(ms == null ? "–" : fmt(ms) + " ms").append(" |");
                }
                Double mine = byImpl.get(Runtimes.MAILROOM);
                for (String other : new String[] {Runtimes.PEKKO, Runtimes.VTHREADS}) {
                    Double theirs = byImpl.get(other);
                    row.append(' ').append(mine == null || theirs == null ? "–" : fmtRatio(theirs / mine)).append(" |");
                }
                line(row.toString());
            }
        }
        if (!memory.isEmpty()) {
            line("");
            line("W1 retained heap per idle process (1,000,000 spawned; used heap after full GCs, before and after):");
            line("");
            line("| | Mailroom | Pekko typed | Virtual threads |");
            line("|---|---|---|---|");
            StringBuilder bytes = new StringBuilder("| bytes per idle process |");
            StringBuilder left = new StringBuilder("| left per process after stopping all |");
            for (String impl : IMPLS) {
                double[] m = memory.getOrDefault(impl, new double[] {Double.NaN, Double.NaN});
                bytes.append(' ').append(fmt(m[0])).append(" |");
                left.append(' ').append(fmt(m[1])).append(" |");
            }
            line(bytes.toString());
            line(left.toString());
            double mine = memory.getOrDefault(Runtimes.MAILROOM, new double[] {Double.NaN})[0];
            targets.add(check("W1 retained heap <= 200 bytes per idle Mailroom process (" + fmt(mine) + ")", mine <= 200));
        }
        line("");
        line("Targets:");
        line("");
        for (String t : targets) {
            line("- " + t);
        }
    }

    private static String check(String what, boolean met) {
        return (met ? "met: " : "NOT met: ") + what;
    }

    private static String cell(Result<?> r, long units, String unit) {
        double millis = toMillis(r.getScore(), r.getScoreUnit());
        double err = toMillis(r.getScoreError(), r.getScoreUnit());
        String time = Double.isNaN(err) ? fmt(millis) + " ms" : fmt(millis) + " ± " + fmt(err) + " ms";
        if (units <= 0) {
            return time;
        }
        return time + " (" + rate(units / (millis / 1000.0)) + " " + unit + "/s)";
    }

    /** Mailroom's rate over the other's: the other's time over Mailroom's. */
    private static double ratio(Result<?> other, Result<?> mine) {
        if (other == null || mine == null) {
            return Double.NaN;
        }
        return toMillis(other.getScore(), other.getScoreUnit()) / toMillis(mine.getScore(), mine.getScoreUnit());
    }

    private static double toMillis(double value, String unit) {
        return switch (unit.replace("/op", "")) {
            case "s" -> value * 1000;
            case "us" -> value / 1000;
            case "ns" -> value / 1_000_000;
            default -> value;
        };
    }

    private static String label(String benchmark) {
        return benchmark.endsWith(".run") ? benchmark.substring(0, benchmark.length() - 4) : benchmark;
    }

    private static Class<?> benchClass(String benchmark) {
        String name = "io.mailroom.bench." + benchmark.substring(0, benchmark.lastIndexOf('.'));
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    static long units(String benchmark) {
        try {
            return benchClass(benchmark).getField("UNITS").getLong(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        }
    }

    static String unit(String benchmark) {
        try {
            return (String) benchClass(benchmark).getField("UNIT").get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "ops";
        }
    }

    private static String rate(double perSecond) {
        if (perSecond >= 1e6) {
            return String.format(Locale.ROOT, "%.2f M", perSecond / 1e6);
        }
        if (perSecond >= 1e3) {
            return String.format(Locale.ROOT, "%.1f k", perSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f", perSecond);
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String fmtRatio(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2fx", v);
    }

    private void line(String s) {
        report.append(s).append('\n');
    }
}
