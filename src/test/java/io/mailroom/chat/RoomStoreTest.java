package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The node's history budget in {@link RoomStore} alone: rooms with members keep their history even
 * past the budget, and the budget is back within reach as soon as their last member leaves.
 */
@TestNode
class RoomStoreTest {
    private static final String TEXT = "x".repeat(90); // a 100-byte frame with its digits

    private final Node node;

    RoomStoreTest(Node node) {
        this.node = node;
    }

    private static OutFrame frame(int i) {
        return OutFrame.message(String.format("%010d", i) + TEXT, 0);
    }

    private Pid<Session.Msg> session() {
        return node.spawn(Behaviors.receive(m -> Behaviors.same()));
    }

    @Test
    void roomsWithMembersMayTakeTheNodePastItsBudgetAndGiveItBackWhenTheirLastMemberLeaves() {
        RoomStore store = new RoomStore(20, 1_000);
        Pid<Session.Msg> reader = session();
        RoomLog[] logs = new RoomLog[5];
        for (int r = 0; r < logs.length; r++) {
            logs[r] = store.attach("room-" + r, session());
            logs[r].members(new RoomLog.Member[] {new RoomLog.Member(reader, "Reader", 1)});
            for (int i = 1; i <= 4; i++) {
                store.append(logs[r], i, frame(i));
            }
        }
        // 5 rooms × 4 frames × 100 B, all held by a member: nothing may go
        assertThat(store.historyBytes()).isEqualTo(2_000);
        assertThat(logs).allMatch(l -> l.stored() == 4);

        logs[0].members(new RoomLog.Member[0]);
        store.lastMemberLeft();
        // the one room without members gives its history back; the rest are still held
        assertThat(logs[0].stored()).isZero();
        assertThat(store.historyBytes()).isEqualTo(1_600);

        for (int r = 1; r < logs.length; r++) {
            logs[r].members(new RoomLog.Member[0]);
        }
        store.lastMemberLeft();
        // least recently used first, down to 90 % of the budget: rooms 1 and 2 go, 3 and 4 keep theirs
        assertThat(store.historyBytes()).isEqualTo(800);
        assertThat(logs[1].stored()).isZero();
        assertThat(logs[2].stored()).isZero();
        assertThat(logs[3].stored()).isEqualTo(4);
        assertThat(logs[4].stored()).isEqualTo(4);
        assertThat(logs[1].lastSeq()).as("the seqs stay").isEqualTo(4);
    }

    @Test
    void aLastMemberLeavingWithinTheBudgetDropsNothing() {
        RoomStore store = new RoomStore(20, 1_000);
        RoomLog log = store.attach("quiet", session());
        for (int i = 1; i <= 9; i++) {
            store.append(log, i, frame(i));
        }
        store.lastMemberLeft();
        assertThat(store.historyBytes()).isEqualTo(900);
        assertThat(log.stored()).isEqualTo(9);
    }

    /**
     * Many room processes appending at once to rooms without members: whichever thread drops, the
     * node ends within its budget once the last append is in. A thread that finds another dropping
     * goes on, so the dropper must run again for what came meanwhile; it did not, and the node
     * could stay past its budget until the next append.
     */
    @RepeatedTest(20)
    void concurrentAppendsEndWithinTheBudget() throws Exception {
        RoomStore store = new RoomStore(20, 2_000);
        int rooms = 8;
        RoomLog[] logs = new RoomLog[rooms];
        for (int r = 0; r < rooms; r++) {
            logs[r] = store.attach("busy-" + r, session());
        }
        CyclicBarrier start = new CyclicBarrier(rooms);
        ExecutorService pool = Executors.newFixedThreadPool(rooms);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < rooms; r++) {
                RoomLog log = logs[r];
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= 2_000; i++) {
                        store.append(log, i, frame(i)); // one writer per log, as its room process
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long stored = 0;
        for (RoomLog log : logs) {
            stored += log.bytes();
        }
        assertThat(store.historyBytes()).as("the counter is the logs' sum").isEqualTo(stored);
        assertThat(store.historyBytes()).isLessThanOrEqualTo(store.budget());
    }
}
