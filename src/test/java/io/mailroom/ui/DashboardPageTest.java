package io.mailroom.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/** The process dashboard: the password gate, live figures, the tree, and a kill the supervisor repairs. */
class DashboardPageTest extends UiTest {
    private static Browser browser;

    @BeforeAll
    static void browser() {
        browser = Browser.open();
    }

    @AfterAll
    static void close() {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void aWrongPasswordIsRefusedWithAnError() {
        browser.get(url("/dashboard.html"));
        browser.find("#password").sendKeys("not-the-password", Keys.ENTER);
        browser.waitFor("the refusal", d -> browser.text("#login-error").contains("Wrong password"));
        assertThat(browser.find("#dashboard").isDisplayed()).isFalse();
        assertThat(browser.find("#password").getDomAttribute("aria-invalid")).isEqualTo("true");
    }

    @Test
    void showsLiveFiguresAndTheTreeAndAKilledRoomIsRestarted() throws Exception {
        // someone chatting, so that there is a room process to kill
        String room = unique("sorting");
        try (Chatter chatter = Chatter.join(port, unique("Carol"), room)) {
            browser.get(url("/dashboard.html"));
            browser.find("#password").sendKeys(PASSWORD, Keys.ENTER);
            browser.waitFor("the dashboard", d -> browser.find("#dashboard").isDisplayed());

            browser.waitFor("a process count", d -> number(browser.text("#tile-processes .figure")) > 0);
            assertThat(browser.text("#tile-processes .detail")).contains("supervisor", "room", "session");
            browser.waitFor("messages/s", d -> !browser.text("#tile-rate .figure").equals("–"));
            for (String name : new String[] {"root", "rooms", "sessions", "counters", "room:" + room}) {
                browser.waitFor("the tree shows " + name, d -> !browser.findAll("#tree li[data-name='" + name + "']").isEmpty());
            }
            assertThat(browser.findAll(".chart .uplot")).hasSize(5);
            assertThat(browser.find("#tile-redis").isDisplayed()).as("a single node has no Redis tile").isFalse();

            new Select(browser.find("#type-filter")).selectByValue("room");
            String row = "#process-rows tr[data-name='room:" + room + "']";
            browser.waitFor("the room's row", d -> !browser.findAll(row).isEmpty());
            browser.waitFor("only rooms listed", d -> browser.js(
                    "return [...document.querySelectorAll('#process-rows tr')].every(tr => tr.dataset.type === 'room')"));
            String treeEntry = "#tree li[data-name='room:" + room + "']";
            // read in one script: the tree is drawn anew on every refresh
            int before = Integer.parseInt(browser.js("return document.querySelector(arguments[0]).dataset.restarts", treeEntry));
            String pid = browser.js("return document.querySelector(arguments[0]).dataset.pid", row);

            browser.find(row + " button.kill").click();

            browser.waitFor("the room restarted under a new pid", d -> {
                WebElement entry = browser.find(treeEntry);
                return Integer.parseInt(entry.getDomAttribute("data-restarts")) > before
                        && !browser.findAll(row).isEmpty()
                        && !pid.equals(browser.find(row).getDomAttribute("data-pid"));
            });
            browser.waitFor("the kill log tells", d -> browser.text("#kill-log li").contains("restarted it as"));
            browser.waitFor("the table's restarts column", d -> String.valueOf(before + 1).equals(browser.text(row + " td.restarts")));
            // the room's members stay joined through the restart
            chatter.send(room, "still here after the restart");
            assertThat(chatter.await("\"type\":\"ack\"")).contains("\"room\":\"" + room + "\"");

            new Select(browser.find("#type-filter")).selectByValue("");
            browser.waitFor("all processes listed", d -> browser.findAll("#process-rows tr").size() > 1);
            browser.driver.manage().window().setSize(new Dimension(1440, 1040));
            browser.js("document.activeElement?.blur()");
            browser.waitFor("charts resized", d -> browser.js(
                    "return [...document.querySelectorAll('.chart .plot')].every(p => Math.abs(p.querySelector('canvas').clientWidth - p.clientWidth) < 4)"));
            browser.screenshot("dashboard.png");
        }
    }

    private static long number(String figure) {
        String digits = figure.replaceAll("[^0-9]", "");
        return digits.isEmpty() ? 0 : Long.parseLong(digits);
    }

    /** A chat user over a plain WebSocket (no browser): enough to keep a room alive. */
    static final class Chatter implements AutoCloseable, WebSocket.Listener {
        private final LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        static Chatter join(int port, String user, String room) throws Exception {
            Chatter chatter = new Chatter();
            chatter.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create("ws://localhost:" + port + "/ws/chat?user=" + user), chatter)
                    .get(20, TimeUnit.SECONDS);
            chatter.await("\"type\":\"welcome\"");
            chatter.socket.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}", true).get(10, TimeUnit.SECONDS);
            chatter.await("\"type\":\"joined\"");
            return chatter;
        }

        void send(String room, String text) throws Exception {
            socket.sendText("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + text + "\"}", true).get(10, TimeUnit.SECONDS);
        }

        String await(String fragment) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                String frame = frames.poll(200, TimeUnit.MILLISECONDS);
                if (frame != null && frame.contains(fragment)) {
                    return frame;
                }
            }
            throw new AssertionError("no frame with " + fragment);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS)
                    .exceptionally(e -> null);
            CompletableFuture.runAsync(socket::abort, CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS));
        }
    }
}
