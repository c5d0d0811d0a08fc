package io.mailroom.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration processor's metadata (what IDEs complete and describe) and README's settings
 * table name the same {@code mailroom.*} settings, so neither can drift from the code.
 */
class SettingsMetadataTest {

    private static final Pattern NAME = Pattern.compile("`([^`]+)`");

    static Set<String> metadata() throws Exception {
        try (InputStream in = SettingsMetadataTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("the configuration processor ran").isNotNull();
            Set<String> names = new TreeSet<>();
            for (JsonNode p : JsonMapper.builder().build().readTree(in).get("properties")) {
                String name = p.get("name").asString();
                if (name.startsWith("mailroom.")) {
                    names.add(name);
                }
            }
            return names;
        }
    }

    /** Rows like {@code | `mailroom.root.max-restarts` / `within-seconds` |}: the later names share the first one's prefix. */
    static Set<String> readme() throws Exception {
        Set<String> names = new TreeSet<>();
        List<String> lines = Files.readAllLines(Path.of("README.md"));
        for (String line : lines) {
            if (!line.startsWith("| `mailroom.")) {
                continue;
            }
            Matcher m = NAME.matcher(line.split("\\|")[1]);
            String prefix = null;
            while (m.find()) {
                String name = prefix == null ? m.group(1) : prefix + m.group(1);
                if (prefix == null) {
                    prefix = name.substring(0, name.lastIndexOf('.') + 1);
                }
                names.add(name);
            }
        }
        return names;
    }

    @Test
    void everySettingIsInTheReadmeAndEveryReadmeSettingExists() throws Exception {
        Set<String> code = metadata();
        Set<String> docs = readme();
        assertThat(code).as("settings the code binds").hasSizeGreaterThan(40);
        assertThat(docs).as("README's table lists every setting").containsAll(code);
        assertThat(code).as("README lists no setting the code does not bind").containsAll(docs);
    }

    @Test
    void theMetadataCarriesTheRecordsDescriptionsAndDefaults() throws Exception {
        try (InputStream in = SettingsMetadataTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            JsonNode history = null;
            for (JsonNode p : JsonMapper.builder().build().readTree(in).get("properties")) {
                if (p.get("name").asString().equals("mailroom.chat.history-size")) {
                    history = p;
                }
            }
            assertThat(history).isNotNull();
            assertThat(history.get("defaultValue").asInt()).isEqualTo(1000);
            assertThat(history.get("description").asString()).contains("messages each room stores");
        }
    }
}
