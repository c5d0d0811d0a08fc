package io.mailroom.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.web.SecurityHeaders;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

/**
 * The UI's pages carry a strict Content-Security-Policy, nosniff and no framing, and every page
 * still works under it: Chromium logs no refusal while the chat, the counters and the dashboard run.
 */
class SecurityHeadersTest extends UiTest {
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
    void everyPageAndTheApiCarryTheHeaders() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/", "/index.html", "/counters.html", "/dashboard.html", "/js/chat.js",
                "/api/rooms", "/actuator/health")) {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url(path))).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Security-Policy")).as(path)
                    .contains(SecurityHeaders.CONTENT_SECURITY_POLICY);
            assertThat(response.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
            assertThat(response.headers().firstValue("X-Frame-Options")).as(path).contains("DENY");
        }
        assertThat(SecurityHeaders.CONTENT_SECURITY_POLICY)
                .contains("script-src 'self';", "style-src 'self';", "frame-ancestors 'none'", "object-src 'none'")
                .doesNotContain("unsafe-inline", "unsafe-eval");
    }

    @Test
    void thePagesWorkUnderThePolicyAndChromiumRefusesNothing() {
        List<String> console = new ArrayList<>(browser.consoleLines());

        String room = unique("csp");
        ChatPage ada = ChatPage.join(browser, url(""), unique("Ada"), room);
        ada.send("hello under a strict policy");
        ada.waitShown(room, "hello under a strict policy", "sent");
        console.addAll(browser.consoleLines());

        browser.get(url("/counters.html"));
        browser.waitFor("the counters page", d -> browser.find("#step").isDisplayed());
        console.addAll(browser.consoleLines());

        browser.get(url("/dashboard.html"));
        browser.find("#password").sendKeys(PASSWORD, Keys.ENTER);
        browser.waitFor("the dashboard", d -> browser.find("#dashboard").isDisplayed());
        browser.waitFor("its charts drawn", d -> browser.findAll(".chart .uplot").size() == 5);
        browser.waitFor("the tree drawn", d -> !browser.findAll("#tree li[data-name='root']").isEmpty());
        console.addAll(browser.consoleLines());

        assertThat(console).noneMatch(line -> line.contains("Content Security Policy"));
    }
}
