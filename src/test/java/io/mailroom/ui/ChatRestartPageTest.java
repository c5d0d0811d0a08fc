package io.mailroom.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.MailroomApplication;
import io.mailroom.cluster.ClusterModeRedis;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chat page against a node of its own, which a test may stop and start again on the same
 * port, as an operator restarts the service: the page must not show a restarted node's seqs next
 * to the old node's (the epoch, contract v1.1); and a catch-up over more than one byte-capped
 * REST page (catch-up-bytes is 4 KiB here) must get every message. In the cluster-mode execution
 * (pom.xml) the node is in cluster mode on that execution's redis-server, which outlives it: there a
 * restarted node carries on the room's seqs under the same epoch (protocol.md §5), and the page
 * shows the old and the new messages as one log.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ChatRestartPageTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Browser first;
    private static Browser second;
    private static int ids;
    /** Ada's posts before a restart, and Bob's after it. */
    private static final List<String> OLD = List.of("old 1", "old 2", "old 3");
    private static final List<String> FRESH = IntStream.rangeClosed(1, 5).mapToObj(i -> "new " + i).toList();

    private ConfigurableApplicationContext node;
    private int port;
    /** This test's node settings; in cluster mode Redis is flushed once, when they are made. */
    private String[] settings;

    @BeforeAll
    static void browsers() {
        Browser.assumeAvailable();
        first = Browser.open();
        second = Browser.open();
    }

    @AfterAll
    static void close() {
        for (Browser b : new Browser[] {first, second}) {
            if (b != null) {
                b.close();
            }
        }
    }

    private void startNode() {
        if (settings == null) {
            settings = ClusterModeRedis.settings("server.port=" + port, "mailroom.chat.catch-up-bytes=4KB");
        }
        node = new SpringApplicationBuilder(MailroomApplication.class).properties(settings).run();
    }

    private void stopNode() {
        node.close();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String url(String path) {
        return "http://localhost:" + port + path;
    }

    private static String unique(String prefix) {
        return prefix + "-r" + (++ids);
    }

    private String epochOf(String room) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url("/api/rooms/" + room))).build(),
                HttpResponse.BodyHandlers.ofString());
        return JsonMapper.builder().build().readTree(r.body()).get("epoch").asString();
    }

    private static List<String> texts(ChatPage page, String room) {
        return page.messages(room).stream().map(m -> (String) m.get("text")).toList();
    }

    /** Cuts the page's socket and keeps it from reconnecting until {@link ChatPage#unblockSockets}. */
    private static void offline(ChatPage page) {
        page.blockSockets();
        page.browser.js("window.mailroomChat.socket?.close()");
        page.browser.waitFor(page.user + " offline", d -> "waiting".equals(page.status()));
    }

    private static void online(ChatPage page, String room) {
        page.unblockSockets();
        page.browser.js("window.mailroomChat.reconnectNow()");
        page.waitOnline();
        page.waitJoined(room);
    }

    /** What {@link #restartWhileAdaIsAway} leaves: Ada's page (offline), Bob's, and the epoch before the restart. */
    private record Restarted(ChatPage ada, ChatPage bob, String oldEpoch) {}

    /**
     * Ada posts {@link #OLD}; the node stops while her page stays, unable to reconnect; the node
     * starts again on the same port and Bob, on it, posts {@link #FRESH}.
     */
    private Restarted restartWhileAdaIsAway(String room) throws Exception {
        ChatPage ada = ChatPage.join(first, url(""), unique("Ada"), room);
        for (String text : OLD) {
            ada.send(text);
            ada.waitShown(room, text, "sent");
        }
        String oldEpoch = epochOf(room);
        ada.blockSockets();
        stopNode();
        ada.browser.waitFor("Ada's page notices", d -> !"online".equals(ada.status()));
        startNode();
        ChatPage bob = ChatPage.join(second, url(""), unique("Bob"), room);
        for (String text : FRESH) {
            bob.send(text);
            bob.waitShown(room, text, "sent");
        }
        return new Restarted(ada, bob, oldEpoch);
    }

    @Test
    @DisabledIfSystemProperty(named = ClusterModeRedis.PROPERTY, matches = "true")
    void aRestartedNodesMessagesAreNotShownNextToTheOldOnes() throws Exception {
        port = freePort();
        startNode();
        try {
            String room = unique("restart");
            Restarted r = restartWhileAdaIsAway(room);
            ChatPage ada = r.ada();
            // on the new node the room started again at seq 1: Bob's five are seq 1–5 of a new epoch
            assertThat(epochOf(room)).isNotEqualTo(r.oldEpoch());

            // Ada comes back asking since=3: the old seqs 1–3 would have hidden new 1–3 and shown new 4–5 after old 3
            online(ada, room);
            ada.browser.waitFor("Ada shows the new node's messages", d -> texts(ada, room).equals(FRESH));
            assertThat(ada.messages(room)).extracting(m -> (String) m.get("seq")).containsExactly("1", "2", "3", "4", "5");
            assertThat(ada.browser.text("ol.messages[data-room='" + room + "']")).contains("afresh");
            ada.send("back on the new node");
            r.bob().waitShown(room, "back on the new node", "sent");
            assertThat(texts(r.bob(), room)).containsExactly("new 1", "new 2", "new 3", "new 4", "new 5", "back on the new node");
        } finally {
            stopNode();
        }
    }

    @Test
    @EnabledIfSystemProperty(named = ClusterModeRedis.PROPERTY, matches = "true")
    void aRestartedClusterNodeCarriesOnTheRoomsSeqsUnderTheSameEpoch() throws Exception {
        port = freePort();
        startNode();
        try {
            String room = unique("restart");
            Restarted r = restartWhileAdaIsAway(room);
            ChatPage ada = r.ada();
            // Redis kept the room: Bob's five are seq 4–8 of the same log
            assertThat(epochOf(room)).isEqualTo(r.oldEpoch());
            List<String> all = Stream.concat(OLD.stream(), FRESH.stream()).toList();
            assertThat(texts(r.bob(), room)).containsExactlyElementsOf(all);

            // Ada comes back asking since=3 and gets 4–8 after what she had, nothing twice, nothing afresh
            online(ada, room);
            ada.browser.waitFor("Ada shows the whole log", d -> texts(ada, room).equals(all));
            assertThat(ada.messages(room)).extracting(m -> (String) m.get("seq"))
                    .containsExactly("1", "2", "3", "4", "5", "6", "7", "8");
            assertThat(ada.browser.text("ol.messages[data-room='" + room + "']")).doesNotContain("afresh");
        } finally {
            stopNode();
        }
    }

    @Test
    void aCatchUpOverSeveralByteCappedPagesGetsEveryMessage() {
        port = freePort();
        startNode();
        try {
            String room = unique("pages");
            ChatPage ada = ChatPage.join(first, url(""), unique("Ada"), room);
            ChatPage bob = ChatPage.join(second, url(""), unique("Bob"), room);
            ada.browser.waitFor("Ada sees Bob", d -> ada.members().contains(bob.user));
            offline(ada);

            // 30 messages of ~700 bytes: the joined holds 4 KiB of them, each REST page 4 KiB more
            bob.browser.js("for (let i = 1; i <= 30; i++) window.mailroomChat.send(arguments[0], i + ' ' + 'm'.repeat(600));", room);
            bob.browser.waitFor("Bob's 30 sent", d -> bob.messages(room).stream().filter(m -> "sent".equals(m.get("state"))).count() == 30);

            online(ada, room);
            List<String> expected = IntStream.rangeClosed(1, 30).mapToObj(i -> i + " " + "m".repeat(600)).toList();
            ada.browser.waitFor("Ada caught up with all 30", d -> texts(ada, room).equals(expected));
            List<Map<String, Object>> shown = ada.messages(room);
            assertThat(shown).extracting(m -> Long.parseLong((String) m.get("seq"))).isSorted().doesNotHaveDuplicates();
        } finally {
            stopNode();
        }
    }
}
