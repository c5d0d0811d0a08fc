package io.mailroom.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.mailroom.chat.RoomStore;
import io.mailroom.config.ServiceTree;
import io.mailroom.process.Behaviors;
import io.mailroom.process.ExitReason;
import io.mailroom.process.Pid;
import io.mailroom.process.SpawnOptions;
import java.net.URI;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * The observer's process page over the real HTTP stack: a process's state as it describes it
 * ({@code "state"} on {@code /actuator/processes/{pid}}), the live trace
 * ({@code /actuator/processes/{pid}/trace}), and the schedulers' utilisation gauges.
 */
class ProcessObserverTest extends ObserveTestSupport {

    /** A chat user on a real WebSocket, joined to one room. */
    final class Chatter implements AutoCloseable {
        final KillRealRoomTest.Frames frames = new KillRealRoomTest.Frames();
        final WebSocket ws;

        Chatter(String user, String room) throws Exception {
            ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/chat?user=" + user), frames)
                    .get(30, TimeUnit.SECONDS);
            next("welcome");
            ws.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}", true).get(30, TimeUnit.SECONDS);
            next("joined");
        }

        void say(String room, String text) throws Exception {
            ws.sendText("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":" + json.writeValueAsString(text) + "}", true)
                    .get(30, TimeUnit.SECONDS);
        }

        JsonNode next(String type) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                String text = frames.frames.poll(200, TimeUnit.MILLISECONDS);
                if (text != null && type.equals(json.readTree(text).get("type").asString())) {
                    return json.readTree(text);
                }
            }
            throw new AssertionError("no " + type + " frame in " + WAIT);
        }

        @Override
        public void close() {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
    }

    static String room() {
        return "obs-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String user(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 6);
    }

    String tracePath(Object pid, String query) {
        return processPath(pid) + "/trace" + (query == null ? "" : "?" + query);
    }

    TraceStream trace(Object pid, String query) throws Exception {
        TraceStream stream = TraceStream.open(http, port, tracePath(pid, query), basic("admin", PASSWORD));
        assertThat(stream.status).isEqualTo(200);
        assertThat(stream.contentType).startsWith("text/event-stream");
        stream.awaitEvent("start", WAIT);
        return stream;
    }

    @Autowired
    RoomStore rooms;

    // ---------------------------------------------------------------- state

    @Test
    void theStateOfARoomNamesItsMembersAndASessionItsRooms() throws Exception {
        String room = room();
        String ann = user("Ann");
        String bob = user("Bob");
        try (Chatter a = new Chatter(ann, room); Chatter b = new Chatter(bob, room)) {
            a.say(room, "first");
            a.next("ack");
            Pid<?> pid = node.whereis("room:" + room).orElseThrow();

            JsonNode body = adminJson(processPath(pid));
            assertThat(body.has("stateError")).isFalse();
            JsonNode state = body.get("state");
            assertThat(state.get("room").asString()).isEqualTo(room);
            assertThat(state.get("lastSeq").asLong()).isEqualTo(1);
            assertThat(state.get("epoch").asString())
                    .isNotEmpty().isEqualTo(rooms.find(room).orElseThrow().epoch());
            List<String> users = new ArrayList<>();
            state.get("members").forEach(m -> users.add(m.get("user").asString()));
            assertThat(users).containsExactlyInAnyOrder(ann, bob);

            String annSession = state.get("members").valueStream()
                    .filter(m -> m.get("user").asString().equals(ann)).findFirst().orElseThrow()
                    .get("session").asString();
            JsonNode session = adminJson(processPath(annSession)).get("state");
            assertThat(session.get("user").asString()).isEqualTo(ann);
            assertThat(session.get("rooms").get(0).get("room").asString()).isEqualTo(room);
            assertThat(session.get("rooms").get(0).get("joined").asBoolean()).isTrue();
        }
    }

    @Test
    void aSupervisorDescribesItsStrategyIntensityAndChildren() {
        Pid<?> rooms = node.whereis(ServiceTree.ROOMS).orElseThrow();
        JsonNode state = adminJson(processPath(rooms)).get("state");
        assertThat(state.get("strategy").asString()).isNotBlank();
        assertThat(state.get("intensity").has("withinSeconds")).isTrue();
        assertThat(state.get("childCount").asInt()).isEqualTo(state.get("children").size());
    }

    @Test
    void aCounterDescribesItsValueAndRestarts() {
        String name = "obs" + UUID.randomUUID().toString().substring(0, 6);
        assertThat(send("POST", "/api/counters", Auth.NONE, "{\"name\":\"" + name + "\",\"initial\":41}").status())
                .isEqualTo(201);
        assertThat(send("POST", "/api/counters/" + name + "/increment?by=1", Auth.NONE).status()).isEqualTo(200);
        Pid<?> pid = node.whereis("counter:" + name).orElseThrow();
        JsonNode state = adminJson(processPath(pid)).get("state");
        assertThat(state.get("value").asLong()).isEqualTo(42);
        assertThat(state.get("restarts").asLong()).isZero();
    }

    @Test
    void aProcessBusyPastTheTimeoutGivesStateErrorAndOneWithoutADescriptionSaysSo() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Pid<Object> busy = node.spawn(Behaviors.receive(m -> {
            try {
                release.await(60, TimeUnit.SECONDS); // a handler that does not return: busy, or stuck
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Behaviors.same();
        }), SpawnOptions.ofType("busy"));
        try {
            busy.send("block");
            eventually().until(() -> "running".equals(adminJson(processPath(busy)).get("status").asString()));
            JsonNode body = adminJson(processPath(busy));
            assertThat(body.get("state").isNull()).isTrue();
            assertThat(body.get("stateError").asString()).isEqualTo("timeout");
        } finally {
            release.countDown();
        }
        eventually().until(() -> "waiting".equals(adminJson(processPath(busy)).get("status").asString()));
        JsonNode idle = adminJson(processPath(busy));
        assertThat(idle.get("state").isNull()).isTrue();
        assertThat(idle.get("stateError").asString()).isEqualTo("not_described");
        node.exit(busy, ExitReason.KILL);
    }

    // ---------------------------------------------------------------- trace

    @Test
    void noTraceWithoutTheAdminPassword() throws Exception {
        Pid<?> root = node.whereis(ServiceTree.ROOT).orElseThrow();
        assertThat(get(tracePath(root, null), Auth.NONE).status()).isEqualTo(401);
        assertThat(get(tracePath(root, null), Auth.WRONG).status()).isEqualTo(401);
        assertThat(get(tracePath(root, null), Auth.NONE).header("WWW-Authenticate")).startsWith("Basic");
    }

    @Test
    void badTraceRequestsAreProblems() {
        Pid<?> root = node.whereis(ServiceTree.ROOT).orElseThrow();
        Answer unknown = get(tracePath("<0.999999999.0>", "seconds=1"), Auth.ADMIN);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.header("Content-Type")).startsWith("application/problem+json");
        Answer bad = get(tracePath(root, "seconds=soon"), Auth.ADMIN);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.header("Content-Type")).startsWith("application/problem+json");
        assertThat(get(tracePath(root, "seconds=0"), Auth.ADMIN).status()).isEqualTo(400);
    }

    @Test
    void theTraceOfARoomShowsAChatMessageAndStopsWhenTheClientGoesAway() throws Exception {
        String room = room();
        try (Chatter a = new Chatter(user("Cy"), room)) {
            Pid<?> pid = node.whereis("room:" + room).orElseThrow();
            TraceStream stream = trace(pid, null);
            try {
                assertThat(get(tracePath(pid, null), Auth.ADMIN).status()).as("one trace per process").isEqualTo(409);
                String longText = "x".repeat(500);
                a.say(room, "hello <b>tracer</b> " + longText);
                String line = stream.await(l -> l.startsWith("data:") && l.contains("\"type\":\"Post\""), WAIT);
                JsonNode event = json.readTree(line.substring("data:".length()));
                assertThat(event.get("outcome").asString()).isEqualTo("same");
                assertThat(event.get("time").asString()).isNotBlank();
                String message = event.get("message").asString();
                assertThat(message).startsWith("Post[").contains("text=hello <b>tracer</b> xxx");
                assertThat(message).as("the text is cut at the limit").contains("x…").doesNotContain(longText);
            } finally {
                stream.close();
            }
            // the writer notices on its next heartbeat and detaches: the process may be traced again
            eventually().until(() -> {
                TraceStream again = TraceStream.open(http, port, tracePath(pid, "seconds=1"), basic("admin", PASSWORD));
                again.close();
                return again.status == 200;
            });
        }
    }

    @Test
    void aTraceStopsWhenItsTimeIsUp() throws Exception {
        Pid<Object> pid = node.spawn(Behaviors.receive(m -> Behaviors.same()), SpawnOptions.ofType("traced"));
        try (TraceStream stream = trace(pid, "seconds=1")) {
            pid.send("one");
            JsonNode event = json.readTree(stream.await(l -> l.startsWith("data:{\"time\""), WAIT).substring(5));
            assertThat(event.get("type").asString()).isEqualTo("String");
            assertThat(event.get("message").asString()).isEqualTo("one");
            JsonNode end = json.readTree(stream.awaitEvent("end", WAIT));
            assertThat(end.get("reason").asString()).isEqualTo("max_duration");
            assertThat(end.get("events").asLong()).isEqualTo(1);
            stream.await(TraceStream.EOF::equals, WAIT);
        } finally {
            node.exit(pid, ExitReason.KILL);
        }
    }

    @Test
    void aTraceShowsOutcomesAndEndsWithTheProcess() throws Exception {
        Pid<String> pid = node.spawn(counting(0), SpawnOptions.ofType("traced"));
        try (TraceStream stream = trace(pid, null)) {
            pid.send("up");
            pid.send("same");
            pid.send("boom");
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String line = stream.await(l -> l.startsWith("data:{\"time\""), WAIT);
                outcomes.add(json.readTree(line.substring(5)).get("outcome").asString());
            }
            assertThat(outcomes).containsExactly("changed", "same", "crashed");
            JsonNode end = json.readTree(stream.awaitEvent("end", WAIT));
            assertThat(end.get("reason").asString()).isEqualTo("exited");
            assertThat(end.get("exit").asString()).contains("boom");
            stream.await(TraceStream.EOF::equals, WAIT);
        }
    }

    static io.mailroom.process.Behavior<String> counting(int n) {
        return Behaviors.receive(m -> switch (m) {
            case "up" -> counting(n + 1);
            case "boom" -> throw new IllegalStateException("boom");
            default -> Behaviors.same();
        });
    }

    @Test
    void eventsBeyondTheRateCapAreCountedNotSent() throws Exception {
        Pid<Object> pid = node.spawn(Behaviors.receive(m -> Behaviors.same()), SpawnOptions.ofType("traced"));
        int messages = 5000;
        try (TraceStream stream = trace(pid, "seconds=2")) {
            for (int i = 0; i < messages; i++) {
                pid.send(i);
            }
            JsonNode end = json.readTree(stream.awaitEvent("end", WAIT));
            long events = end.get("events").asLong();
            long dropped = end.get("dropped").asLong();
            assertThat(events + dropped).as("every handled message is sent or counted").isEqualTo(messages);
            // 200 a second (the default cap) over the trace's 2 s, in at most 3 rate windows
            assertThat(events).isBetween(1L, 600L);
            long dataLines = stream.seen.stream().filter(l -> l.startsWith("data:{\"time\"")).count();
            assertThat(dataLines).isEqualTo(events);
            assertThat(stream.seen).contains("event:dropped");
        } finally {
            node.exit(pid, ExitReason.KILL);
        }
    }

    // ---------------------------------------------------------------- utilisation

    @Test
    void schedulerUtilisationSharesAddUpAndABusySchedulerShowsRunning() {
        int schedulers = node.schedulerStats().size();
        CountDownLatch release = new CountDownLatch(1);
        Pid<Object> busy = node.spawn(Behaviors.receive(m -> {
            try {
                release.await(60, TimeUnit.SECONDS); // holds its scheduler thread: running, from the scheduler's view
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Behaviors.same();
        }), SpawnOptions.ofType("busy"));
        try {
            busy.send("hold");
            eventually().atMost(Duration.ofSeconds(40)).until(() -> {
                PrometheusText metrics = scrape();
                double most = 0;
                for (int i = 0; i < schedulers; i++) {
                    String s = Integer.toString(i);
                    double running = metrics.value("mailroom_scheduler_utilization", "scheduler", s, "state", "running");
                    double spinning = metrics.value("mailroom_scheduler_utilization", "scheduler", s, "state", "spinning");
                    double parked = metrics.value("mailroom_scheduler_utilization", "scheduler", s, "state", "parked");
                    assertThat(running + spinning + parked).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
                    most = Math.max(most, running);
                }
                return most > 0.8; // one thread has been in that handler for most of the window
            });
        } finally {
            release.countDown();
            node.exit(busy, ExitReason.KILL);
        }
    }
}
