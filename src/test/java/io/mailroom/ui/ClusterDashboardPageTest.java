package io.mailroom.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.cluster.RedisServer;
import io.mailroom.cluster.TestCluster;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.Keys;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The dashboard of a node in cluster mode, on a real redis-server: a Redis tile that a single node
 * does not show (DashboardPageTest), saying up, then down while Redis is stopped, then up again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterDashboardPageTest {
    private static RedisServer redis;
    private static ConfigurableApplicationContext node;
    private static Browser browser;
    private static int port;

    @BeforeAll
    static void start() {
        Browser.assumeAvailable();
        redis = RedisServer.startNew();
        node = TestCluster.node(redis.url(), "mailroom.admin.password=" + UiTest.PASSWORD);
        port = TestCluster.port(node);
        browser = Browser.open();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (node != null) {
            node.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void theRedisTileSaysUpThenDownWhileRedisIsStoppedThenUpAgain() {
        browser.get("http://127.0.0.1:" + port + "/dashboard.html");
        browser.find("#password").sendKeys(UiTest.PASSWORD, Keys.ENTER);
        browser.waitFor("the dashboard", d -> browser.find("#dashboard").isDisplayed());

        browser.waitFor("the Redis tile, up", d -> browser.find("#tile-redis").isDisplayed()
                && browser.text("#tile-redis .figure").equals("up"));
        assertThat(browser.text("#tile-redis .detail")).contains("rooms subscribed", "gap fills");

        redis.stopSaving();
        try {
            browser.waitFor("the Redis tile, down", d -> browser.text("#tile-redis .figure").equals("down"));
            assertThat(browser.text("#tile-redis .detail")).contains("send and join refused");
            assertThat(browser.find("#tile-redis").getDomAttribute("class")).contains("down");
            // the rest of the page stays live: the node's own metrics do not need Redis
            assertThat(browser.text("#status")).isEqualTo("Live");
        } finally {
            redis.start();
        }
        browser.waitFor("the Redis tile, up again", d -> browser.text("#tile-redis .figure").equals("up"));
        assertThat(browser.find("#tile-redis").getDomAttribute("class")).contains("up").doesNotContain("down");
    }
}
