package io.mailroom.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/** Two people chatting in two real browsers, through the page only (and the actuator, to cut a socket). */
class ChatPageTest extends UiTest {
    private static Browser first;
    private static Browser second;

    @BeforeAll
    static void browsers() {
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

    @Test
    void twoPagesChatInOneRoomAndSeeEachOtherComeAndGo() {
        String room = unique("front-desk");
        ChatPage ada = ChatPage.join(first, url(""), unique("Ada"), room);
        ChatPage bob = ChatPage.join(second, url(""), unique("Bob"), room);

        // presence: Ada, who was there first, sees Bob arrive; Bob's joined frame lists both
        ada.browser.waitFor("Ada sees Bob join", d -> ada.members().contains(bob.user));
        assertThat(bob.members()).contains(ada.user, bob.user);

        ada.recordStates(room);
        ada.send("Hello Bob, the mailroom is open.");
        bob.waitShown(room, "Hello Bob, the mailroom is open.", "sent");
        ada.waitShown(room, "Hello Bob, the mailroom is open.", "sent");
        // Ada's own message was shown at once as pending, and became sent when its ack came
        assertThat(ada.stateLog()).containsSubsequence(
                "Hello Bob, the mailroom is open.|pending", "Hello Bob, the mailroom is open.|pending>sent");

        bob.send("Hi Ada! Any parcels for me?");
        ada.waitShown(room, "Hi Ada! Any parcels for me?", "sent");
        bob.waitShown(room, "Hi Ada! Any parcels for me?", "sent");
        ada.send("Two, and a postcard.");
        bob.waitShown(room, "Two, and a postcard.", "sent");

        // each message once on both pages, in the same order, with the sender's name
        for (ChatPage page : List.of(ada, bob)) {
            assertThat(page.messages(room)).extracting(m -> m.get("from") + ": " + m.get("text")).containsExactly(
                    ada.user + ": Hello Bob, the mailroom is open.",
                    bob.user + ": Hi Ada! Any parcels for me?",
                    ada.user + ": Two, and a postcard.");
        }

        // a second room: Ada joins it by name, Bob from the room list (GET /api/rooms, with counts)
        String office = unique("back-office");
        ada.browser.find("#join-room").sendKeys(office, Keys.ENTER);
        ada.waitJoined(office);
        ada.browser.click("li.room-item[data-room='" + room + "'] button.open");
        String listed = "#directory button[data-room='" + office + "']";
        // the list is redrawn every few seconds: read it inside the wait
        bob.browser.waitFor("the room list shows " + office + " with 1 member",
                d -> !bob.browser.findAll(listed).isEmpty() && bob.browser.text(listed).contains("1 member"));
        bob.browser.click(listed);
        bob.waitJoined(office);
        bob.send("There is a parcel for you in the back office.");
        bob.waitShown(office, "There is a parcel for you in the back office.", "sent");

        // Ada, still looking at the first room, sees an unread count on the other
        String badge = "li.room-item[data-room='" + office + "'] .badge";
        ada.browser.waitFor("an unread badge saying 1",
                d -> !ada.browser.findAll(badge).isEmpty() && "1".equals(ada.browser.text(badge)));
        ada.browser.js("document.activeElement?.blur()");
        ada.browser.screenshot("chat.png");
        bob.browser.phoneWidth();
        bob.browser.screenshot("chat-phone.png");
        bob.browser.desktopWidth();
        ada.browser.click("li.room-item[data-room='" + office + "'] button.open");
        ada.waitShown(office, "There is a parcel for you in the back office.", "sent");
        assertThat(ada.browser.findAll(badge)).isEmpty();
        ada.browser.click("li.room-item[data-room='" + room + "'] button.open");

        // Bob leaves: his page drops the room, Ada's member list follows
        bob.browser.click("li.room-item[data-room='" + room + "'] button.leave");
        bob.browser.waitFor("Bob's room list without the room",
                d -> bob.browser.findAll("li.room-item[data-room='" + room + "']").isEmpty());
        ada.browser.waitFor("Ada sees Bob leave", d -> !ada.members().contains(bob.user));
        assertThat(ada.members()).containsExactly(ada.user);
    }

    @Test
    void htmlInAMessageIsShownAsTextAndRunsNothing() {
        String room = unique("xss");
        ChatPage ada = ChatPage.join(first, url(""), unique("Ada"), room);
        ChatPage bob = ChatPage.join(second, url(""), unique("Bob"), room);
        String attack = "<img src=x onerror=alert(1)>";
        String script = "<script>window.__pwned = 1</script><b>bold?</b>";
        for (ChatPage page : List.of(ada, bob)) {
            page.browser.js("window.__alerts = 0; window.alert = () => { window.__alerts++; };");
        }

        ada.send(attack);
        ada.send(script);
        bob.waitShown(room, attack, "sent");
        bob.waitShown(room, script, "sent");
        ada.waitShown(room, script, "sent");

        for (ChatPage page : List.of(ada, bob)) {
            assertThat(page.browser.findAll("ol.messages img, ol.messages script, ol.messages b")).isEmpty();
            assertThat((Long) page.browser.js("return window.__alerts")).isZero();
            assertThat((Object) page.browser.js("return window.__pwned ?? null")).isNull();
            assertThat(page.browser.findAll("ol.messages li.message .text"))
                    .extracting(e -> e.getText()).containsExactly(attack, script);
        }
    }

    /** decodeURIComponent throws on a bad escape; the page must still open, in the lobby. */
    @Test
    void anAddressWithABrokenEscapeOpensTheLobby() {
        for (String hash : List.of("%", "%E0%A4%A")) {
            first.get("about:blank");
            first.get(url("/#" + hash));
            String eve = unique("Eve");
            first.find("#name").sendKeys(eve, Keys.ENTER);
            ChatPage page = new ChatPage(first, eve);
            page.waitOnline();
            page.waitJoined("lobby");
            assertThat(first.text("#room-title")).as("after #%s", hash).isEqualTo("#lobby");
        }
    }

    @Test
    void aTakenNameATooLongMessageAndRateLimitingAreShownInline() {
        String room = unique("limits");
        ChatPage ada = ChatPage.join(first, url(""), unique("Ada"), room);

        // the same name, in other letter case, while Ada is connected
        second.get("about:blank");
        second.get(url("/#" + room));
        second.find("#name").sendKeys(ada.user.toUpperCase(java.util.Locale.ROOT), Keys.ENTER);
        second.waitFor("name_taken shown", d -> second.text("#name-error").contains("in use"));
        assertThat(second.find("#chat").isDisplayed()).isFalse();
        second.find("#name").sendKeys("!", Keys.ENTER);
        second.waitFor("a bad name refused before it is sent", d -> second.text("#name-error").contains("1–32"));

        // 4001 characters: refused on the page, nothing sent
        ada.browser.js("const t = document.getElementById('text'); t.value = 'x'.repeat(4001); t.dispatchEvent(new Event('input'));");
        ada.browser.find("#text").sendKeys(Keys.ENTER);
        ada.browser.waitFor("too long shown", d -> ada.browser.text("#send-error").contains("Too long"));
        assertThat(ada.messages(room)).isEmpty();
        ada.browser.js("const t = document.getElementById('text'); t.value = ''; t.dispatchEvent(new Event('input'));");

        // a burst past the token bucket (100, refilled at 50/s): the dropped ones say so, with Retry.
        // 400 at once: the server would have to take over 6 s for them for the bucket to keep up.
        ada.browser.js("for (let i = 0; i < 400; i++) window.mailroomChat.send(arguments[0], 'burst ' + i);", room);
        ada.browser.waitFor("every burst message answered",
                d -> ada.messages(room).stream().noneMatch(m -> "pending".equals(m.get("state"))));
        List<WebElement> dropped = ada.browser.findAll("li.message[data-error='rate_limited']");
        assertThat(dropped).isNotEmpty();
        assertThat(dropped.get(0).findElement(By.cssSelector(".problem")).getText()).contains("too fast", "Retry");
        assertThat(ada.messages(room)).filteredOn(m -> "sent".equals(m.get("state"))).hasSizeGreaterThanOrEqualTo(100);
    }

    @Test
    void afterTheServerKillsItsSessionThePageReconnectsAndShowsWhatItMissedOnce() {
        String room = unique("reconnect");
        ChatPage ada = ChatPage.join(first, url(""), unique("Ada"), room);
        ChatPage bob = ChatPage.join(second, url(""), unique("Bob"), room);
        ada.browser.waitFor("Ada sees Bob", d -> ada.members().contains(bob.user));
        bob.send("before the cut");
        ada.waitShown(room, "before the cut", "sent");

        // the server kills Ada's session (its socket closes); Ada cannot get back in until we say so
        ada.blockSockets();
        String session = pidOf("session", "session:" + ada.user);
        assertThat(session).as("Ada's session process").isNotNull();
        assertThat(admin("DELETE", "/actuator/processes/" + java.net.URLEncoder.encode(session, java.nio.charset.StandardCharsets.UTF_8)).status())
                .isEqualTo(204);
        ada.browser.waitFor("Ada's page says it is offline", d -> "waiting".equals(ada.status()));
        assertThat(ada.browser.find("#banner").isDisplayed()).isTrue();
        assertThat(ada.browser.text("#banner")).contains("Reconnecting in");
        bob.browser.waitFor("Bob sees Ada leave", d -> !bob.members().contains(ada.user));

        // meanwhile: Bob talks, Ada writes while offline (kept as pending)
        List<String> missed = List.of("while you were out 1", "while you were out 2", "while you were out 3");
        for (String text : missed) {
            bob.send(text);
        }
        for (String text : missed) {
            bob.waitShown(room, text, "sent");
        }
        ada.send("written offline");
        ada.waitShown(room, "written offline", "pending");

        // Ada's page may come back now; "Reconnect now" skips the rest of the back-off
        ada.unblockSockets();
        // the back-off timer may win the race against the button on a slow machine: either way is a reconnect
        ada.browser.waitFor("the Reconnect now button, or the page already back",
                d -> "online".equals(ada.status()) || ada.browser.find("#banner-retry").isDisplayed());
        if (!"online".equals(ada.status())) {
            try {
                ada.browser.find("#banner-retry").click();
            } catch (org.openqa.selenium.WebDriverException backAlready) {
                // the page reconnected between the check and the click
            }
        }
        ada.waitOnline();
        ada.waitJoined(room);
        for (String text : missed) {
            ada.waitShown(room, text, "sent");
        }
        ada.waitShown(room, "written offline", "sent");
        bob.waitShown(room, "written offline", "sent");
        bob.browser.waitFor("Bob sees Ada back", d -> bob.members().contains(ada.user));

        // nothing lost, nothing twice, in seq order
        for (ChatPage page : List.of(ada, bob)) {
            List<Map<String, Object>> shown = page.messages(room);
            assertThat(shown).extracting(m -> (String) m.get("text")).containsExactly(
                    "before the cut", "while you were out 1", "while you were out 2", "while you were out 3", "written offline");
            assertThat(shown).extracting(m -> Long.parseLong((String) m.get("seq"))).isSorted().doesNotHaveDuplicates();
        }
        assertThat(ada.browser.find("#banner").isDisplayed()).isFalse();
    }
}
