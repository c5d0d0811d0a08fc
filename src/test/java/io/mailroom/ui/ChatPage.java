package io.mailroom.ui;

import java.util.List;
import java.util.Map;
import org.openqa.selenium.Keys;

/** The chat page (/) as a test sees it: what a person does there, and what it shows. */
final class ChatPage {
    final Browser browser;
    final String user;

    ChatPage(Browser browser, String user) {
        this.browser = browser;
        this.user = user;
    }

    /** Opens the page on room (the #room in the address), picks the name and waits to be in the room. */
    static ChatPage join(Browser browser, String baseUrl, String user, String room) {
        browser.get("about:blank"); // a real page load, not a jump to another #room in the same page
        browser.get(baseUrl + "/#" + room);
        browser.find("#name").sendKeys(user, Keys.ENTER);
        ChatPage page = new ChatPage(browser, user);
        page.waitOnline();
        page.waitJoined(room);
        return page;
    }

    void waitOnline() {
        browser.waitFor(user + " connected", d -> "online".equals(browser.find("#status").getDomAttribute("data-status")));
    }

    void waitJoined(String room) {
        browser.waitFor(user + " in #" + room, d -> browser.js(
                "return window.mailroomChat.rooms.get(arguments[0])?.joined === true", room));
    }

    String status() {
        return browser.find("#status").getDomAttribute("data-status");
    }

    void send(String text) {
        browser.find("#text").sendKeys(text, Keys.ENTER);
    }

    /** The message list of room, top to bottom: from, text, state (pending, sent, failed) and seq. */
    List<Map<String, Object>> messages(String room) {
        return browser.js("""
                return Array.from(document.querySelectorAll(
                    `ol.messages[data-room="${arguments[0]}"] li.message`)).map(li => ({
                  from: li.querySelector('.from').textContent,
                  text: li.querySelector('.text').textContent,
                  state: li.dataset.state,
                  seq: li.dataset.seq
                }));""", room);
    }

    long count(String room, String text) {
        return messages(room).stream().filter(m -> text.equals(m.get("text"))).count();
    }

    /** Waits until text is shown in room with the given state, and exactly once. */
    void waitShown(String room, String text, String state) {
        browser.waitFor(user + " shows \"" + text + "\" as " + state, d -> {
            List<Map<String, Object>> matching = messages(room).stream().filter(m -> text.equals(m.get("text"))).toList();
            return matching.size() == 1 && state.equals(matching.get(0).get("state"));
        });
    }

    List<String> members() {
        return browser.js("return Array.from(document.querySelectorAll('#members li')).map(li => li.firstChild.textContent)");
    }

    /**
     * Records, from now on, every state each message of room takes: "text|pending" when it is
     * added, "text|pending>sent" when it changes (read back with {@link #stateLog}).
     */
    void recordStates(String room) {
        browser.js("""
                window.__states = [];
                const ol = document.querySelector(`ol.messages[data-room="${arguments[0]}"]`);
                new MutationObserver(records => {
                  for (const r of records) {
                    if (r.type === 'childList') {
                      for (const n of r.addedNodes) {
                        if (n.classList?.contains('message')) window.__states.push(n.querySelector('.text').textContent + '|' + n.dataset.state);
                      }
                    } else if (r.target.classList?.contains('message')) {
                      window.__states.push(r.target.querySelector('.text').textContent + '|' + r.oldValue + '>' + r.target.dataset.state);
                    }
                  }
                }).observe(ol, {childList: true, subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-state']});
                """, room);
    }

    List<String> stateLog() {
        return browser.js("return window.__states");
    }

    /** From now on the page cannot open a WebSocket to the server: every attempt fails at once. */
    void blockSockets() {
        browser.js("""
                window.__RealWebSocket = window.__RealWebSocket || window.WebSocket;
                // a same-origin address with no socket behind it (404): refused as an unreachable server
                // is, where the Content-Security-Policy lets the page try (a foreign one it blocks outright)
                window.WebSocket = function () {
                  return new window.__RealWebSocket(location.origin.replace(/^http/, 'ws') + '/ws/unreachable');
                };
                """);
    }

    void unblockSockets() {
        browser.js("window.WebSocket = window.__RealWebSocket;");
    }
}
