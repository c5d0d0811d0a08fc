package io.mailroom.ui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/** The counters page: a counter's life, and its restart after a crash as a person sees it. */
class CountersPageTest extends UiTest {
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
    void createIncrementAndCrashThenTheSupervisorRestartsItAtItsInitialValue() {
        String name = unique("parcels");
        browser.get(url("/counters.html"));
        browser.find("#new-name").sendKeys(name);
        WebElement initial = browser.find("#new-initial");
        initial.sendKeys(Keys.chord(Keys.CONTROL, "a"), "5");
        browser.find("#create").click();

        String row = "tr[data-counter='" + name + "']";
        browser.waitFor("the new counter's row", d -> !browser.findAll(row).isEmpty());
        assertThat(browser.text(row + " .value")).isEqualTo("5");
        assertThat(browser.text(row + " .restarts")).isEqualTo("0");

        for (int i = 1; i <= 3; i++) {
            browser.click(row + " button[title='Increment']");
            String expected = String.valueOf(5 + i);
            browser.waitFor("value " + expected, d -> expected.equals(browser.text(row + " .value")));
        }
        browser.click(row + " button[title='Decrement']");
        browser.waitFor("value 7", d -> "7".equals(browser.text(row + " .value")));

        browser.click(row + " button.crash");
        browser.waitFor("restarts 1", d -> "1".equals(browser.text(row + " .restarts")));
        assertThat(browser.text(row + " .value")).isEqualTo("5");
        assertThat(browser.text("#action-error")).contains("restarted by its supervisor");
        browser.screenshot("counters.png");

        // a second counter of the same name is refused inline
        browser.find("#new-name").sendKeys(name);
        browser.find("#create").click();
        browser.waitFor("409 shown", d -> browser.text("#create-error").contains("exists already"));

        browser.find(row + " button.delete").click();
        browser.waitFor("the row is gone", d -> browser.findAll(row).isEmpty());
    }
}
