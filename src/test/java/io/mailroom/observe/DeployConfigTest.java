package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

/**
 * docker-compose.yml, the Dockerfile and deploy/ checked without Docker: the files parse, refer to
 * files that exist and to each other consistently, and every PromQL expression of the Grafana
 * dashboard names only metrics the running app really exports (scraped here, not listed by hand).
 */
class DeployConfigTest extends ObserveTestSupport {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
    static final Path DASHBOARD = ROOT.resolve("deploy/grafana/dashboards/mailroom.json");

    /** PromQL words that are not metric names. */
    static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "inf", "nan", "Inf", "NaN");
    /** The prefix of the meters that exist only in cluster mode. */
    static final String CLUSTER_METRICS = "mailroom_cluster_";
    static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path file) throws IOException {
        assertThat(file).as("%s exists", ROOT.relativize(file)).isRegularFile();
        Object parsed = new Yaml().load(Files.readString(file));
        assertThat(parsed).as("%s is a YAML mapping", file).isInstanceOf(Map.class);
        return (Map<String, Object>) parsed;
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Map<String, Object> map, String... path) {
        Object o = map;
        for (String key : path) {
            assertThat(o).as("%s in %s", key, List.of(path)).isInstanceOf(Map.class);
            o = ((Map<String, Object>) o).get(key);
        }
        return (T) o;
    }

    Map<String, Object> services() throws IOException {
        return at(yaml(COMPOSE), "services");
    }

    /** host path (relative to the repo) → container path, for each bind mount of a service. */
    Map<Path, String> mounts(String service) throws IOException {
        return mounts(COMPOSE, service);
    }

    /** The same, of a service in another compose file. */
    Map<Path, String> mounts(Path composeFile, String service) throws IOException {
        Map<Path, String> out = new LinkedHashMap<>();
        List<String> volumes = at(yaml(composeFile), "services", service, "volumes");
        for (String v : volumes) {
            String[] parts = v.split(":");
            assertThat(parts[0]).as("a bind mount of %s: %s", service, v).startsWith("./");
            out.put(ROOT.resolve(parts[0]).normalize(), parts[1]);
        }
        return out;
    }

    @Test
    void theComposeFileHasTheAppPrometheusAndGrafanaAndItsFilesExist() throws IOException {
        Map<String, Object> services = services();
        assertThat(services).containsKeys("app", "prometheus", "grafana");

        String context = at(services, "app", "build", "context");
        String dockerfile = at(services, "app", "build", "dockerfile");
        assertThat(ROOT.resolve(context).resolve(dockerfile)).isRegularFile();
        assertThat((List<String>) at(services, "app", "ports")).contains("8080:8080");

        for (String service : List.of("prometheus", "grafana")) {
            assertThat((String) at(services, service, "image")).as("%s image is pinned", service).matches(".+:.+");
            mounts(service).keySet().forEach(host -> assertThat(host).as("mounted in %s", service).exists());
        }
        assertThat(mounts("prometheus").values()).contains("/etc/prometheus/prometheus.yml");
        assertThat((List<String>) at(services, "prometheus", "command"))
                .contains("--config.file=/etc/prometheus/prometheus.yml");
        String home = at(services, "grafana", "environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
        assertThat(home).isEqualTo(mounts("grafana").get(DASHBOARD.getParent()) + "/" + DASHBOARD.getFileName());
    }

    /** Grafana is reachable by anyone who reaches port 3000: it must not have an admin with a known password. */
    @Test
    void grafanaIsViewerOnlyWithNoAdminAccountToGuess() throws IOException {
        Map<String, Object> env = at(services(), "grafana", "environment");
        assertThat(env).containsEntry("GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer")
                .containsEntry("GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION", "true")
                .containsEntry("GF_AUTH_DISABLE_LOGIN_FORM", "true")
                .doesNotContainKeys("GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_ADMIN_USER");
    }

    /** A root that gives up ends the JVM with 70 (protocol.md §3): whatever runs the container must start it again. */
    @Test
    void theAppIsRestartedWhenItExitsAndTheImageChecksHealth() throws IOException {
        assertThat((String) at(services(), "app", "restart")).isEqualTo("unless-stopped");
        List<String> lines = Files.readAllLines(ROOT.resolve("Dockerfile"));
        assertThat(lines).anyMatch(l -> l.startsWith("HEALTHCHECK "));
        assertThat(String.join("\n", lines)).contains("/actuator/health");
    }

    @Test
    void theDockerfileIsAMultiStageBuildWithTheMavenWrapperAndCopiesWhatExists() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("Dockerfile"));
        assertThat(lines.stream().filter(l -> l.startsWith("FROM ")).count()).isGreaterThanOrEqualTo(2);
        assertThat(lines).anyMatch(l -> l.contains("./mvnw") && l.contains("package"));
        for (String line : lines) {
            if (line.startsWith("COPY ") && !line.contains("--from=")) {
                String[] parts = line.trim().split("\\s+");
                for (int i = 1; i < parts.length - 1; i++) {
                    assertThat(ROOT.resolve(parts[i])).as(line).exists();
                }
            }
        }
        assertThat(ROOT.resolve(".mvn/wrapper/maven-wrapper.properties")).isRegularFile();
    }

    @Test
    void prometheusScrapesTheAppEvery5Seconds() throws IOException {
        Map<String, Object> prometheus = yaml(ROOT.resolve("deploy/prometheus/prometheus.yml"));
        List<Map<String, Object>> jobs = at(prometheus, "scrape_configs");
        Map<String, Object> job = jobs.stream().filter(j -> "mailroom".equals(j.get("job_name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no mailroom job"));
        assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
        assertThat(job.getOrDefault("scrape_interval", at(prometheus, "global", "scrape_interval"))).isEqualTo("5s");
        List<Map<String, Object>> statics = at(job, "static_configs");
        assertThat((List<String>) statics.getFirst().get("targets")).containsExactly("app:8080");
        // the path really is the open scrape endpoint of the app
        assertThat(get((String) job.get("metrics_path"), Auth.NONE).status()).isEqualTo(200);
    }

    @Test
    void grafanaProvisionsThePrometheusDatasourceAndTheDashboard() throws IOException {
        Map<Path, String> mounts = mounts("grafana");
        Path provisioning = ROOT.resolve("deploy/grafana/provisioning");
        assertThat(mounts.get(provisioning)).isEqualTo("/etc/grafana/provisioning");

        Map<String, Object> datasources = yaml(provisioning.resolve("datasources/prometheus.yml"));
        List<Map<String, Object>> list = at(datasources, "datasources");
        assertThat(list).hasSize(1);
        Map<String, Object> ds = list.getFirst();
        assertThat(ds.get("type")).isEqualTo("prometheus");
        assertThat(ds.get("url")).isEqualTo("http://prometheus:9090");
        assertThat(services()).containsKey("prometheus");

        Map<String, Object> dashboards = yaml(provisioning.resolve("dashboards/mailroom.yml"));
        List<Map<String, Object>> providers = at(dashboards, "providers");
        String path = at(providers.getFirst(), "options", "path");
        assertThat(mounts.get(DASHBOARD.getParent())).isEqualTo(path);

        JsonNode dashboard = json.readTree(Files.readString(DASHBOARD));
        assertThat(dashboard.get("title").asString()).isEqualTo("Mailroom");
        for (JsonNode panel : dashboard.get("panels")) {
            if (panel.has("datasource")) {
                assertThat(panel.get("datasource").get("uid").asString()).as(panel.get("title").asString())
                        .isEqualTo(ds.get("uid"));
            }
        }
    }

    @Test
    void theDashboardHasThePanelsTheIssueAsksFor() throws IOException {
        JsonNode dashboard = json.readTree(Files.readString(DASHBOARD));
        List<String> titles = new ArrayList<>();
        dashboard.get("panels").forEach(p -> titles.add(p.get("title").asString()));
        assertThat(titles).contains("Processes by type", "Mailbox depth", "Messages/s", "Restarts/s by supervisor",
                "Scheduler run queues", "Chat sessions and rooms", "Delivery latency p50/p99", "Heap", "GC pauses",
                "Threads");
        String all = expressions(dashboard).toString();
        assertThat(all).contains("histogram_quantile(0.5,", "histogram_quantile(0.99,");
    }

    @Test
    void everyDashboardExpressionNamesOnlyMetricsTheAppExports() throws IOException {
        System.gc(); // the GC pause timer appears with the first collection
        eventually().until(() -> scrape().sampleNames().contains("jvm_gc_pause_seconds_sum"));
        Set<String> exported = scrape().sampleNames();

        JsonNode dashboard = json.readTree(Files.readString(DASHBOARD));
        List<String> exprs = expressions(dashboard);
        assertThat(exprs).hasSizeGreaterThan(10);
        Map<String, Set<String>> missing = new LinkedHashMap<>();
        for (String expr : exprs) {
            Set<String> names = metricNames(expr);
            assertThat(names).as("metrics in %s", expr).isNotEmpty();
            for (String name : names) {
                // a single node has no cluster meters: ClusterMetricsTest checks those panels on a cluster node
                if (!exported.contains(name) && !name.startsWith(CLUSTER_METRICS)) {
                    missing.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(expr);
                }
            }
        }
        assertThat(missing).as("dashboard metrics the app does not export").isEmpty();
    }

    /**
     * docker-compose.cluster.yml: two nodes on the compose Redis, one admin password for both, an
     * nginx front door with the shipped config, and Prometheus scraping each node itself.
     * FrontDoorTest runs that nginx config for real.
     */
    @Test
    void theClusterComposeFileHasTwoNodesOnRedisBehindTheFrontDoorAndPrometheusScrapesBoth() throws IOException {
        Path file = ROOT.resolve("docker-compose.cluster.yml");
        Map<String, Object> services = at(yaml(file), "services");
        assertThat(services).containsKeys("redis", "app1", "app2", "lb", "prometheus", "grafana");
        for (String node : List.of("app1", "app2")) {
            Map<String, Object> env = at(services, node, "environment");
            assertThat(env).as(node).containsEntry("MAILROOM_CLUSTER_REDIS_URL", "redis://redis:6379")
                    .containsEntry("SERVER_FORWARD_HEADERS_STRATEGY", "native");
            // required, not defaulted: two generated passwords would differ
            assertThat((String) env.get("MAILROOM_ADMIN_PASSWORD")).as(node).startsWith("${MAILROOM_ADMIN_PASSWORD:?");
            assertThat((String) at(services, node, "depends_on", "redis", "condition")).isEqualTo("service_healthy");
            assertThat((String) at(services, node, "restart")).isEqualTo("unless-stopped");
            String context = at(services, node, "build", "context");
            assertThat(ROOT.resolve(context).resolve((String) at(services, node, "build", "dockerfile"))).isRegularFile();
        }
        assertThat((List<String>) at(services, "app1", "ports")).containsExactly("8081:8080");
        assertThat((List<String>) at(services, "app2", "ports")).containsExactly("8082:8080");
        assertThat((List<String>) at(services, "lb", "ports")).containsExactly("8080:8080");
        for (String service : List.of("redis", "lb", "prometheus", "grafana")) {
            assertThat((String) at(services, service, "image")).as("%s image is pinned", service).matches(".+:.+");
        }

        Map<Path, String> lb = mounts(file, "lb");
        Path nginx = ROOT.resolve("deploy/nginx/nginx.conf");
        assertThat(lb).containsEntry(nginx, "/etc/nginx/nginx.conf");
        String conf = Files.readString(nginx);
        assertThat(conf).contains("proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
                "proxy_set_header Connection $connection_upgrade;", "proxy_set_header Host $http_host;",
                "proxy_read_timeout 1h;", "listen 8080;");
        Matcher upstream = Pattern.compile("server (app\\d):8080;").matcher(conf);
        Set<String> upstreams = new LinkedHashSet<>();
        while (upstream.find()) {
            upstreams.add(upstream.group(1));
        }
        assertThat(upstreams).containsExactly("app1", "app2");

        Map<Path, String> prometheusMounts = mounts(file, "prometheus");
        Path prometheusFile = ROOT.resolve("deploy/prometheus/prometheus-cluster.yml");
        assertThat(prometheusMounts).containsEntry(prometheusFile, "/etc/prometheus/prometheus.yml");
        List<Map<String, Object>> jobs = at(yaml(prometheusFile), "scrape_configs");
        assertThat(jobs).hasSize(1);
        assertThat(jobs.getFirst().get("metrics_path")).isEqualTo("/actuator/prometheus");
        List<Map<String, Object>> statics = at(jobs.getFirst(), "static_configs");
        assertThat((List<String>) statics.getFirst().get("targets")).containsExactlyInAnyOrder("app1:8080", "app2:8080");
        assertThat(mounts(file, "grafana")).isEqualTo(mounts("grafana"));
    }

    @Test
    void metricNamesAreFoundInPromQl() {
        assertThat(metricNames("histogram_quantile(0.99, sum by (le) (rate(a_bucket{x=\"y\"}[$__rate_interval])))"))
                .containsExactly("a_bucket");
        assertThat(metricNames("sum(jvm_memory_used_bytes{area=\"heap\"}) / on (id) group_left b_total offset 5m"))
                .containsExactly("jvm_memory_used_bytes", "b_total");
        assertThat(metricNames("max by (scheduler) (mailroom_scheduler_run_queue)"))
                .containsExactly("mailroom_scheduler_run_queue");
    }

    static List<String> expressions(JsonNode dashboard) {
        List<String> out = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            JsonNode targets = panel.get("targets");
            if (targets != null) {
                targets.forEach(t -> out.add(t.get("expr").asString()));
            }
        }
        return out;
    }

    /** The metric names an expression selects: identifiers that are not functions, keywords or labels. */
    static Set<String> metricNames(String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\boffset\\s+\\S+", " ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String word = m.group();
            int next = m.end();
            while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
                next++;
            }
            boolean function = next < s.length() && s.charAt(next) == '(';
            boolean number = m.start() > 0 && (Character.isDigit(s.charAt(m.start() - 1)) || s.charAt(m.start() - 1) == '.');
            if (!function && !number && !PROMQL_WORDS.contains(word)) {
                names.add(word);
            }
        }
        return names;
    }
}
