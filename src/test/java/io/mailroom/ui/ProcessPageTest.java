package io.mailroom.ui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.support.ui.Select;

/**
 * The dashboard's process page in headless Chromium: a click on a room's row opens it with the
 * room's state (its members), a live trace shows a chat message sent while tracing, what it shows
 * is text and not markup, and the room's monitors lead to the session's own page.
 */
class ProcessPageTest extends UiTest {
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
    void aRoomsPageShowsItsStateAndALiveTraceOfAChatMessageAsText() throws Exception {
        String room = unique("observed");
        String user = unique("Dana");
        try (DashboardPageTest.Chatter chatter = DashboardPageTest.Chatter.join(port, user, room)) {
            browser.driver.manage().window().setSize(new Dimension(1440, 1100));
            browser.get(url("/dashboard.html"));
            browser.find("#password").sendKeys(PASSWORD, Keys.ENTER);
            browser.waitFor("the dashboard", d -> browser.find("#dashboard").isDisplayed());

            new Select(browser.find("#type-filter")).selectByValue("room");
            String row = "#process-rows tr[data-name='room:" + room + "']";
            browser.waitFor("the room's row", d -> !browser.findAll(row).isEmpty());
            String pid = browser.find(row).getDomAttribute("data-pid");
            browser.click(row + " td.name");

            browser.waitFor("the process page", d -> browser.find("#process-page").isDisplayed());
            assertThat(browser.find("#overview").isDisplayed()).isFalse();
            assertThat(browser.js("return location.hash").toString()).startsWith("#process=");
            browser.waitFor("the room's state names its member", d -> browser.text("#process-state").contains(user));
            assertThat(browser.text("#process-title")).contains("room:" + room, pid);
            assertThat(browser.text("#process-facts [data-fact='type']")).isEqualTo("room");
            assertThat(browser.text("#process-facts [data-fact='supervisor']")).isEqualTo("rooms");

            browser.find("#trace-toggle").click();
            browser.waitFor("the trace running", d -> browser.text("#trace-status").startsWith("Tracing"));
            String markup = "<img src=x onerror=window.pwned=1> hi from the page test";
            chatter.send(room, markup);
            String line = "#trace-lines li[data-type='Post']";
            browser.waitFor("the chat message in the trace", d -> !browser.findAll(line).isEmpty());
            assertThat(browser.text(line + " .msg")).contains("text=" + markup);
            assertThat(browser.text(line + " .outcome")).isEqualTo("same");
            assertThat(browser.findAll("#trace-lines img")).as("shown as text, not markup").isEmpty();
            assertThat((Object) browser.js("return window.pwned")).isNull();

            // paused, a new message is held back; resumed, it is shown
            browser.find("#trace-pause").click();
            chatter.send(room, "while paused");
            browser.waitFor("the held event counted", d -> browser.text("#trace-status").contains("paused, 1 not shown"));
            assertThat(browser.text("#trace-lines")).doesNotContain("while paused");
            browser.screenshot("process-page.png");
            browser.find("#trace-pause").click();
            browser.waitFor("the held event shown", d -> browser.text("#trace-lines").contains("while paused"));

            browser.find("#trace-clear").click();
            assertThat(browser.findAll("#trace-lines li")).isEmpty();
            browser.find("#trace-toggle").click();
            browser.waitFor("the trace stopped", d -> browser.text("#trace-toggle").equals("Trace"));

            // the room monitors its member's session: the link opens the session's page
            browser.click("#process-facts [data-fact='monitors'] a"); // the facts are rendered anew with each update
            browser.waitFor("the session's page", d -> browser.text("#process-state").contains("\"user\": \"" + user + "\""));
            assertThat(browser.text("#process-facts [data-fact='type']")).isEqualTo("session");

            browser.find("#process-back").click();
            browser.waitFor("back to the overview", d -> browser.find("#overview").isDisplayed());
            assertThat(browser.find("#process-page").isDisplayed()).isFalse();
            // the page, its SSE reading and its links all work under the strict policy
            assertThat(browser.consoleLines()).noneMatch(l -> l.contains("Content Security Policy"));
        }
    }
}
