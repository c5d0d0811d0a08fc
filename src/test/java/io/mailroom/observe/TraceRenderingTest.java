package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How a traced message is shown: records by their fields, every string cut at the limit, the whole bounded. */
class TraceRenderingTest {
    record Post(String text, String ref) {}

    record Envelope(Object inner, List<Integer> numbers) {}

    private record Hidden(String secretlyPrivate) {}

    @Test
    void aRecordShowsItsFieldsAndAStringIsCutAtTheLimit() {
        TraceRendering r = new TraceRendering(10);
        assertThat(r.render(new Post("short", null))).isEqualTo("Post[text=short, ref=null]");
        assertThat(r.render(new Post("0123456789abcdef", "r1"))).isEqualTo("Post[text=0123456789…, ref=r1]");
        assertThat(TraceRendering.type(new Post("a", "b"))).isEqualTo("Post");
    }

    @Test
    void nestedRecordsAndCollectionsAreShownToABoundAndPrivateRecordsToo() {
        TraceRendering r = new TraceRendering(50);
        assertThat(r.render(new Envelope(new Hidden("x"), List.of(1, 2, 3, 4, 5, 6, 7))))
                .isEqualTo("Envelope[inner=Hidden[secretlyPrivate=x], numbers=(7)[1, 2, 3, 4, 5, …]]");
    }

    @Test
    void theWholeIsAtMostFourTimesTheLimitAndNeverSplitsASurrogatePair() {
        TraceRendering r = new TraceRendering(10);
        String rendered = r.render(new Envelope(List.of("a".repeat(9), "b".repeat(9), "c".repeat(9), "d".repeat(9), "e".repeat(9)), List.of()));
        assertThat(rendered.length()).isLessThanOrEqualTo(40 + TraceRendering.CUT.length());
        assertThat(TraceRendering.cut("123456789\uD83D\uDE00", 10)).isEqualTo("123456789…");
    }
}
