package io.mailroom.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.testing.TestClock;
import org.junit.jupiter.api.Test;

/** The per-address token bucket on a clock the test moves: no waiting, exact token counts. */
class AddressRateTest {
    final TestClock clock = new TestClock();

    AddressRate rate(double perSecond, int burst, int maxAddresses) {
        return new AddressRate(perSecond, burst, maxAddresses, clock::nanoTime);
    }

    void advanceMillis(long millis) {
        clock.advanceMillis(millis);
    }

    @Test
    void theBurstThenOneTokenPerRefill() {
        AddressRate rate = rate(10, 3, 100);
        for (int i = 0; i < 3; i++) {
            assertThat(rate.take("a").allowed()).isTrue();
        }
        AddressRate.Decision refused = rate.take("a");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterNanos()).isEqualTo(100_000_000L);
        advanceMillis(60);
        assertThat(rate.take("a").retryAfterNanos()).isEqualTo(40_000_000L);
        advanceMillis(40);
        assertThat(rate.take("a").allowed()).isTrue();
        assertThat(rate.take("a").allowed()).isFalse();
        assertThat(rate.take("b").allowed()).as("another address has its own bucket").isTrue();
    }

    @Test
    void aTokenGivenBackIsThereAgainButNeverBeyondTheBurst() {
        AddressRate rate = rate(1, 2, 100);
        for (int i = 0; i < 10; i++) {
            assertThat(rate.take("a").allowed()).isTrue();
            rate.giveBack("a");
        }
        rate.giveBack("a");
        rate.giveBack("a");
        assertThat(rate.take("a").allowed()).isTrue();
        assertThat(rate.take("a").allowed()).isTrue();
        assertThat(rate.take("a").allowed()).as("the burst is still 2").isFalse();
    }

    @Test
    void fullBucketsAreSweptAndBeyondTheTableAddressesShareOne() {
        AddressRate rate = rate(10, 1, 2);
        assertThat(rate.take("a").allowed()).isTrue();
        assertThat(rate.take("b").allowed()).isTrue();
        assertThat(rate.take("c").allowed()).as("the shared overflow bucket").isTrue();
        assertThat(rate.take("d").allowed()).as("shared: c took its token").isFalse();
        assertThat(rate.addresses()).isEqualTo(2);
        advanceMillis(1000);
        assertThat(rate.take("e").allowed()).as("a and b refilled and were swept").isTrue();
        assertThat(rate.addresses()).isEqualTo(1);
    }

    @Test
    void zeroTurnsTheLimitOff() {
        AddressRate rate = rate(0, 0, 0);
        for (int i = 0; i < 1000; i++) {
            assertThat(rate.take("a").allowed()).isTrue();
        }
        assertThat(rate.toString()).isEqualTo("unlimited");
        assertThat(rate(0.2, 20, 1).toString()).isEqualTo("0.2/s, burst 20");
    }
}
