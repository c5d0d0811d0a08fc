package io.mailroom.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static io.mailroom.chat.ChatClient.await;

import io.mailroom.process.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/** protocol.md §1, row by row, through a real WebSocket client, with the contract's default limits. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChatProtocolTest {
    private static final AtomicInteger IDS = new AtomicInteger();

    @LocalServerPort
    int port;

    @Autowired
    Node node;

    static String user(String base) {
        return base + IDS.incrementAndGet();
    }

    static String room(String base) {
        return base + "-" + IDS.incrementAndGet();
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asString()));
        return out;
    }

    // ---------------------------------------------------------------- connecting

    @Test
    void aValidFreeNameIsWelcomedFirst() {
        String name = user("Ada");
        try (ChatClient c = ChatClient.connect(port, name)) {
            JsonNode welcome = c.expect("welcome");
            assertThat(welcome.get("user").asString()).isEqualTo(name);
            assertThat(welcome.get("session").asString()).isNotBlank();
        }
    }

    @Test
    void invalidNamesAreRefusedWith1008() {
        List<String> bad = List.of("", "a b", "ä", "a+b", "x".repeat(33), "semi;colon", "tab\t");
        for (String name : bad) {
            try (ChatClient c = ChatClient.connect(port, name)) {
                c.expectError("invalid_name");
                assertThat(c.awaitClose()).as("close for %s", name).isEqualTo(1008);
            }
        }
        try (ChatClient c = ChatClient.connect(ChatClient.uri(port, null))) {
            c.expectError("invalid_name");
            assertThat(c.awaitClose()).isEqualTo(1008);
        }
        String longest = "A.b-_9" + "x".repeat(26);
        try (ChatClient c = ChatClient.connect(port, longest)) {
            assertThat(c.expect("welcome").get("user").asString()).isEqualTo(longest);
        }
    }

    @Test
    void aNameIsTakenCaseInsensitivelyWhileItsSessionLives() {
        String name = user("Grace");
        try (ChatClient first = ChatClient.welcomed(port, name)) {
            try (ChatClient second = ChatClient.connect(port, name.toLowerCase())) {
                second.expectError("name_taken");
                assertThat(second.awaitClose()).isEqualTo(1008);
            }
            try (ChatClient third = ChatClient.connect(ChatClient.uri(port, name.toUpperCase(), "not-the-token"))) {
                third.expectError("name_taken");
                assertThat(third.awaitClose()).isEqualTo(1008);
            }
            assertThat(first.joined(room("still")).get("members")).hasSize(1);
        }
        // freed on disconnect
        await().atMost(ChatClient.WAIT).until(() -> node.whereis(Session.processName(name)).isEmpty());
        try (ChatClient again = ChatClient.connect(port, name.toLowerCase())) {
            again.expect("welcome");
        }
    }

    @Test
    void resumeWithTheTokenReplacesTheOldSession() {
        String name = user("Linus");
        String room = room("resume");
        try (ChatClient other = ChatClient.welcomed(port, user("Watcher"));
             ChatClient old = ChatClient.connect(port, name)) {
            String token = old.expect("welcome").get("session").asString();
            other.joined(room);
            old.joined(room);
            other.expect("presence");
            try (ChatClient fresh = ChatClient.connect(ChatClient.uri(port, name, token))) {
                JsonNode welcome = fresh.expect("welcome");
                assertThat(welcome.get("user").asString()).isEqualTo(name);
                assertThat(welcome.get("session").asString()).isNotEqualTo(token);
                assertThat(old.awaitClose()).isEqualTo(4000);
                assertThat(old.closeReason()).isEqualTo("replaced");
                // the new session inherits no rooms; the old one's rooms see it leave
                JsonNode leave = other.expect("presence");
                assertThat(leave.get("event").asString()).isEqualTo("leave");
                assertThat(leave.get("user").asString()).isEqualTo(name);
                fresh.say(room, "hi", "r").expectError("not_joined");
                JsonNode joined = fresh.joined(room);
                assertThat(strings(joined.get("members"))).contains(name);
                // the old token no longer resumes anything
                try (ChatClient thief = ChatClient.connect(ChatClient.uri(port, name, token))) {
                    thief.expectError("name_taken");
                    assertThat(thief.awaitClose()).isEqualTo(1008);
                }
            }
        }
    }

    @Test
    void resumeOfAFreeNameIsAPlainWelcome() {
        try (ChatClient c = ChatClient.connect(ChatClient.uri(port, user("Free"), "whatever"))) {
            c.expect("welcome");
        }
    }

    // ---------------------------------------------------------------- join, leave, send

    @Test
    void joiningShowsMembersSortedAndTellsTheOthers() {
        String room = room("lobby");
        String bob = user("Bob");
        String ada = user("Ada");
        try (ChatClient b = ChatClient.welcomed(port, bob); ChatClient a = ChatClient.welcomed(port, ada)) {
            JsonNode first = b.joined(room);
            assertThat(first.get("room").asString()).isEqualTo(room);
            assertThat(strings(first.get("members"))).containsExactly(bob);
            assertThat(first.get("history")).isEmpty();
            assertThat(first.has("truncated")).isFalse();

            JsonNode second = a.joined(room);
            assertThat(strings(second.get("members"))).containsExactly(ada, bob); // plain string order
            JsonNode presence = b.expect("presence");
            assertThat(presence.get("room").asString()).isEqualTo(room);
            assertThat(presence.get("event").asString()).isEqualTo("join");
            assertThat(presence.get("user").asString()).isEqualTo(ada);

            // joining again: joined again, no presence for anyone
            JsonNode again = a.joined(room);
            assertThat(strings(again.get("members"))).containsExactly(ada, bob);
            a.say(room, "after rejoin", null).expect("ack");
            assertThat(b.expect("message").get("text").asString()).isEqualTo("after rejoin");
        }
    }

    @Test
    void sendAcksTheSenderAndMessagesEveryoneElse() {
        String room = room("talk");
        String ada = user("Ada");
        try (ChatClient a = ChatClient.welcomed(port, ada); ChatClient b = ChatClient.welcomed(port, user("Bob"));
             ChatClient c = ChatClient.welcomed(port, user("Cy"))) {
            a.joined(room);
            b.joined(room);
            c.joined(room);
            a.expect("presence");
            a.expect("presence");
            b.expect("presence");
            a.say(room, "hi", "c1");
            JsonNode ack = a.skipTo(n -> n.get("type").asString().equals("ack"));
            assertThat(ack.get("room").asString()).isEqualTo(room);
            assertThat(ack.get("ref").asString()).isEqualTo("c1");
            assertThat(ack.get("seq").asLong()).isEqualTo(1);
            assertThat(ack.get("ts").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            for (ChatClient other : List.of(b, c)) {
                JsonNode m = other.skipTo(n -> n.get("type").asString().equals("message"));
                assertThat(m.get("room").asString()).isEqualTo(room);
                assertThat(m.get("seq").asLong()).isEqualTo(1);
                assertThat(m.get("from").asString()).isEqualTo(ada);
                assertThat(m.get("text").asString()).isEqualTo("hi");
                assertThat(m.get("ts").asString()).isEqualTo(ack.get("ts").asString());
                assertThat(strings(m.propertyNames())).containsExactly("type", "room", "seq", "from", "text", "ts");
            }
            a.say(room, "no ref", null);
            JsonNode second = a.expect("ack");
            assertThat(second.has("ref")).isFalse();
            assertThat(second.get("seq").asLong()).isEqualTo(2);
            assertThat(b.expect("message").get("text").asString()).isEqualTo("no ref");
            assertThat(c.expect("message").get("text").asString()).isEqualTo("no ref");
            // never echoed to the sender
            b.say(room, "from b", "x").expect("ack");
            assertThat(a.expect("message").get("text").asString()).isEqualTo("from b");
            assertThat(a.pending()).isEmpty();
        }
    }

    static List<String> strings(java.util.Collection<String> names) {
        return new ArrayList<>(names);
    }

    @Test
    void leavingAnswersLeftAndTellsTheOthers() {
        String room = room("exit");
        String bob = user("Bob");
        try (ChatClient a = ChatClient.welcomed(port, user("Ada")); ChatClient b = ChatClient.welcomed(port, bob)) {
            a.joined(room);
            b.joined(room);
            a.expect("presence");
            b.leave(room);
            JsonNode left = b.expect("left");
            assertThat(left.get("room").asString()).isEqualTo(room);
            JsonNode presence = a.expect("presence");
            assertThat(presence.get("event").asString()).isEqualTo("leave");
            assertThat(presence.get("user").asString()).isEqualTo(bob);
            a.say(room, "gone?", null).expect("ack");
            b.say(room, "x", "r9").expectError("not_joined");
            b.leave(room).expectError("not_joined");
            assertThat(b.pending()).isEmpty();
        }
    }

    @Test
    void aDisconnectLeavesEveryRoom() {
        String r1 = room("one");
        String r2 = room("two");
        String bob = user("Bob");
        try (ChatClient a = ChatClient.welcomed(port, user("Ada"))) {
            a.joined(r1);
            a.joined(r2);
            try (ChatClient b = ChatClient.welcomed(port, bob)) {
                b.joined(r1);
                b.joined(r2);
            }
            List<JsonNode> events = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                events.add(a.expect("presence"));
            }
            assertThat(events).extracting(n -> n.get("room").asString() + ":" + n.get("event").asString())
                    .containsExactlyInAnyOrder(r1 + ":join", r2 + ":join", r1 + ":leave", r2 + ":leave");
            assertThat(Rest.get(port, "/api/rooms/" + r1).body().get("members")).hasSize(1);
        }
    }

    @Test
    void historyHoldsTheLast50MessagesOldestFirst() {
        String room = room("hist");
        try (ChatClient a = ChatClient.welcomed(port, user("Ada"))) {
            a.joined(room);
            for (int i = 1; i <= 60; i++) {
                a.say(room, "m" + i, null);
            }
            for (int i = 1; i <= 60; i++) {
                assertThat(a.expect("ack").get("seq").asLong()).isEqualTo(i);
            }
            try (ChatClient b = ChatClient.welcomed(port, user("Late"))) {
                JsonNode history = b.joined(room).get("history");
                assertThat(history).hasSize(50);
                for (int i = 0; i < 50; i++) {
                    JsonNode m = history.get(i);
                    assertThat(m.get("type").asString()).isEqualTo("message");
                    assertThat(m.get("seq").asLong()).isEqualTo(11 + i);
                    assertThat(m.get("text").asString()).isEqualTo("m" + (11 + i));
                    assertThat(m.get("room").asString()).isEqualTo(room);
                }
                // with since: everything after it, oldest first
                JsonNode since = b.send(Map.of("type", "join", "room", room, "since", 42)).expect("joined");
                assertThat(since.get("history")).extracting(n -> n.get("seq").asLong())
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(43, 60).boxed().toList());
                assertThat(since.has("truncated")).isFalse();
                JsonNode all = b.send(Map.of("type", "join", "room", room, "since", 0)).expect("joined");
                assertThat(all.get("history")).hasSize(60);
                JsonNode none = b.send(Map.of("type", "join", "room", room, "since", 60)).expect("joined");
                assertThat(none.get("history")).isEmpty();
            }
        }
    }

    @Test
    void aReconnectWithResumeAndSinceRecoversEveryMessage() {
        String room = room("recover");
        String name = user("Roamer");
        try (ChatClient talker = ChatClient.welcomed(port, user("Talker"))) {
            talker.joined(room);
            ChatClient roamer = ChatClient.connect(port, name);
            String token = roamer.expect("welcome").get("session").asString();
            roamer.joined(room);
            talker.expect("presence");
            talker.say(room, "one", null).expect("ack");
            long seen = roamer.expect("message").get("seq").asLong();
            roamer.pause(); // its messages pile up unread: the client falls behind, then reconnects
            for (int i = 0; i < 20; i++) {
                talker.say(room, "while away " + i, null);
            }
            for (int i = 0; i < 20; i++) {
                talker.expect("ack");
            }
            try (ChatClient back = ChatClient.connect(ChatClient.uri(port, name, token))) {
                back.expect("welcome");
                roamer.resume();
                assertThat(roamer.awaitClose()).isEqualTo(4000);
                JsonNode joined = back.send(Map.of("type", "join", "room", room, "since", seen)).expect("joined");
                assertThat(joined.get("history")).extracting(n -> n.get("seq").asLong())
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(seen + 1, seen + 20).boxed().toList());
                talker.say(room, "welcome back", null);
                talker.skipTo(n -> n.get("type").asString().equals("ack"));
                assertThat(back.expect("message").get("seq").asLong()).isEqualTo(seen + 21);
            }
            roamer.close();
        }
    }

    @Test
    void textIsDeliveredVerbatimHtmlAndEmojiIncluded() {
        String room = room("verbatim");
        String text = "  <script>alert('x')</script> & \"q\" \\ 😀👩‍👩‍👧 é \u2028 line\nnext  ";
        try (ChatClient a = ChatClient.welcomed(port, user("Ada")); ChatClient b = ChatClient.welcomed(port, user("Bob"))) {
            a.joined(room);
            b.joined(room);
            a.expect("presence");
            a.say(room, text, "😀-ref").expect("ack");
            ChatClient.Received m = b.nextReceived();
            assertThat(m.json().get("text").asString()).isEqualTo(text);
            assertThat(m.text()).contains("<script>").contains("😀");
            String history = Rest.get(port, "/api/rooms/" + room + "/messages").body().get(0).get("text").asString();
            assertThat(history).isEqualTo(text);
        }
    }

    @Test
    void aCatchUpLargerThanTheOutboundBoundComesInPagesOfAtMostOneMebibyte() {
        String room = room("bulky");
        String big = "😀".repeat(4000); // 16000 bytes of UTF-8
        try (ChatClient a = ChatClient.welcomed(port, user("Bulk"))) {
            a.joined(room);
            for (int i = 0; i < 100; i++) {
                a.say(room, big, null);
            }
            a.skipTo(n -> n.get("type").asString().equals("ack") && n.get("seq").asLong() == 100);
            // leaves before the catcher joins: a leave on close could land between the catcher's two joins
            a.leave(room).expect("left");
        }
        try (ChatClient b = ChatClient.welcomed(port, user("Catcher"))) {
            // 1.6 MB of history: the first joined carries at most 1 MiB of it (v1.1), then "more":true
            JsonNode joined = b.send(Map.of("type", "join", "room", room, "since", 0)).expect("joined");
            int first = joined.get("history").size();
            assertThat(ChatClient.historyBytes(joined)).isLessThanOrEqualTo(1 << 20).isGreaterThan((1 << 20) - 17_000);
            assertThat(joined.get("more").asBoolean()).isTrue();
            JsonNode rest = b.send(Map.of("type", "join", "room", room, "since", first)).expect("joined");
            assertThat(rest.get("history").get(0).get("seq").asLong()).isEqualTo(first + 1);
            assertThat(rest.get("history")).hasSize(100 - first);
            assertThat(rest.has("more")).isFalse();
            assertThat(b.isClosed()).isFalse();
        }
    }

    // ---------------------------------------------------------------- errors

    @Test
    void framesThatAreNotJsonObjectsAreBadJson() {
        try (ChatClient c = ChatClient.welcomed(port, user("Json"))) {
            for (String frame : List.of("not json", "[1,2]", "\"text\"", "42", "null", "", "{\"type\":\"join\"",
                    "{\"type\":\"join\",\"room\":\"a\"} trailing")) {
                c.send(frame).expectError("bad_json");
            }
            c.joined(room("stillopen"));
        }
    }

    @Test
    void aMissingOrUnknownTypeIsUnknownType() {
        try (ChatClient c = ChatClient.welcomed(port, user("Type"))) {
            c.send("{}").expectError("unknown_type");
            c.send("{\"type\":5,\"room\":\"a\"}").expectError("unknown_type");
            c.send("{\"type\":null}").expectError("unknown_type");
            c.send("{\"type\":\"JOIN\",\"room\":\"a\"}").expectError("unknown_type");
            JsonNode withRef = c.send("{\"type\":\"shout\",\"ref\":\"r1\"}").expectError("unknown_type");
            assertThat(withRef.get("ref").asString()).isEqualTo("r1");
            // unknown_type comes before bad_request
            c.send("{\"type\":\"shout\",\"ref\":7}").expectError("unknown_type");
        }
    }

    @Test
    void missingOrMistypedFieldsAreBadRequest() {
        try (ChatClient c = ChatClient.welcomed(port, user("Fields"))) {
            c.send("{\"type\":\"join\"}").expectError("bad_request");
            c.send("{\"type\":\"join\",\"room\":5}").expectError("bad_request");
            c.send("{\"type\":\"leave\",\"room\":null}").expectError("bad_request");
            c.send("{\"type\":\"join\",\"room\":\"a\",\"since\":\"3\"}").expectError("bad_request");
            c.send("{\"type\":\"join\",\"room\":\"a\",\"since\":1.5}").expectError("bad_request");
            c.send("{\"type\":\"send\",\"room\":\"a\"}").expectError("bad_request");
            c.send("{\"type\":\"send\",\"room\":\"a\",\"text\":5}").expectError("bad_request");
            c.send("{\"type\":\"send\",\"room\":\"a\",\"text\":\"x\",\"ref\":5}").expectError("bad_request");
            JsonNode longRef = c.send(Map.of("type", "send", "room", "a", "text", "x", "ref", "r".repeat(65)))
                    .expectError("bad_request");
            assertThat(longRef.has("ref")).isFalse();
            // bad_request comes before invalid_room
            c.send("{\"type\":\"send\",\"room\":\"Not A Room\"}").expectError("bad_request");
            // a 64-character ref (in code points) is fine
            String room = room("refs");
            c.joined(room);
            String ref = "😀".repeat(64);
            assertThat(c.say(room, "x", ref).expect("ack").get("ref").asString()).isEqualTo(ref);
        }
    }

    @Test
    void roomNamesThatBreakTheRuleAreInvalidRoom() {
        try (ChatClient c = ChatClient.welcomed(port, user("Rooms"))) {
            for (String room : List.of("", "Lobby", "-lobby", "_x", "a b", "x".repeat(33), "é")) {
                JsonNode e = c.send(Map.of("type", "join", "room", room, "ref", "j")).expectError("invalid_room");
                assertThat(e.get("ref").asString()).isEqualTo("j");
            }
            c.send(Map.of("type", "leave", "room", "BAD")).expectError("invalid_room");
            // invalid_room comes before not_joined
            c.send(Map.of("type", "send", "room", "BAD", "text", " ")).expectError("invalid_room");
            assertThat(c.joined("0" + "x".repeat(31)).get("room").asString()).hasSize(32);
        }
    }

    @Test
    void sendingOrLeavingARoomNotJoinedIsNotJoined() {
        try (ChatClient c = ChatClient.welcomed(port, user("Nj"))) {
            JsonNode e = c.say("nowhere", "   ", "s1").expectError("not_joined"); // before invalid_text
            assertThat(e.get("ref").asString()).isEqualTo("s1");
            JsonNode noRef = c.leave("nowhere").expectError("not_joined");
            assertThat(noRef.has("ref")).isFalse();
        }
    }

    @Test
    void joiningMoreThan100RoomsIsTooManyRooms() {
        try (ChatClient c = ChatClient.welcomed(port, user("Many"))) {
            String base = room("many");
            for (int i = 0; i < 100; i++) {
                c.join(base + "-" + i);
            }
            for (int i = 0; i < 100; i++) {
                c.expect("joined");
            }
            c.join(base + "-100").expectError("too_many_rooms");
            c.join(base + "-0").expect("joined"); // already in it: not beyond the limit
            c.send(Map.of("type", "join", "room", "NOPE")).expectError("invalid_room"); // before too_many_rooms
            c.leave(base + "-0").expect("left");
            c.join(base + "-100").expect("joined");
        }
    }

    @Test
    void emptyOrTooLongTextIsInvalidText() {
        String room = room("texts");
        try (ChatClient c = ChatClient.welcomed(port, user("Text"))) {
            c.joined(room);
            for (String text : List.of("", " ", "\t\n\r", "\u00a0\u2003\u3000\u2028", "x".repeat(4001),
                    "😀".repeat(4001))) {
                c.say(room, text, "t").expectError("invalid_text");
            }
            assertThat(c.say(room, "😀".repeat(4000), null).expect("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(c.say(room, "x".repeat(4000), null).expect("ack").get("seq").asLong()).isEqualTo(2);
            assertThat(c.say(room, "\u200b", null).expect("ack").get("seq").asLong()).isEqualTo(3); // not white space
        }
    }

    @Test
    void sendsOverTheRateAreRateLimitedAndDropped() {
        String room = room("rate");
        try (ChatClient c = ChatClient.welcomed(port, user("Fast")); ChatClient o = ChatClient.welcomed(port, user("Obs"))) {
            c.joined(room);
            o.joined(room);
            c.expect("presence");
            // joins and errors take no tokens
            for (int i = 0; i < 150; i++) {
                c.say(room, "m" + i, "r" + i);
            }
            // errors are answered at once, acks when the room has stored the message: match them by ref
            int acks = 0;
            int limited = 0;
            long lastSeq = 0;
            java.util.Set<String> refs = new java.util.HashSet<>();
            for (int i = 0; i < 150; i++) {
                JsonNode n = c.next();
                assertThat(refs.add(n.get("ref").asString())).isTrue();
                if (n.get("type").asString().equals("ack")) {
                    acks++;
                    assertThat(n.get("seq").asLong()).isEqualTo(lastSeq + 1);
                    lastSeq = n.get("seq").asLong();
                } else {
                    assertThat(n.get("code").asString()).isEqualTo("rate_limited");
                    limited++;
                }
            }
            assertThat(acks).isBetween(100, 149);
            assertThat(limited).isPositive();
            // dropped: the others got exactly the accepted ones
            long accepted = lastSeq;
            await().atMost(ChatClient.WAIT).until(() -> o.available() >= accepted);
            for (long s = 1; s <= accepted; s++) {
                assertThat(o.expect("message").get("seq").asLong()).isEqualTo(s);
            }
            // invalid_text wins over rate_limited while the bucket is empty
            c.say(room, " ", "w").expectError("invalid_text");
        }
    }

    @Test
    void aFrameOf16384BytesIsTakenAndOneMoreIsFrameTooLargeThenClose1009() {
        String room = room("big");
        try (ChatClient c = ChatClient.welcomed(port, user("Big"))) {
            c.joined(room);
            String exact = padded("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + "😀".repeat(4000) + "\"", 16384);
            assertThat(exact.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(16384);
            c.send(exact).expect("ack");
            String over = padded("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"x\"", 16385);
            c.send(over).expectError("frame_too_large");
            assertThat(c.awaitClose()).isEqualTo(1009);
        }
        try (ChatClient c = ChatClient.welcomed(port, user("Huge"))) {
            c.send("x".repeat(1 << 20)).expectError("frame_too_large"); // before bad_json
            assertThat(c.awaitClose()).isEqualTo(1009);
        }
    }

    /** {@code head} + spaces + "}" to exactly {@code bytes} UTF-8 bytes. */
    static String padded(String head, int bytes) {
        int size = head.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        return head + " ".repeat(bytes - size) + "}";
    }

    @Test
    void aBinaryFrameIsUnsupportedThenClose1003() {
        try (ChatClient c = ChatClient.welcomed(port, user("Bin"))) {
            c.sendBinary("{\"type\":\"join\",\"room\":\"a\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            c.expectError("unsupported");
            assertThat(c.awaitClose()).isEqualTo(1003);
        }
        try (ChatClient c = ChatClient.welcomed(port, user("BigBin"))) {
            c.sendBinary(new byte[16385]).expectError("frame_too_large"); // before unsupported
            assertThat(c.awaitClose()).isEqualTo(1009);
        }
    }

    @Test
    void errorsKeepTheConnectionOpen() {
        String room = room("open");
        try (ChatClient c = ChatClient.welcomed(port, user("Open"))) {
            c.send("nope").expectError("bad_json");
            c.send("{}").expectError("unknown_type");
            c.send("{\"type\":\"join\"}").expectError("bad_request");
            c.join("BAD").expectError("invalid_room");
            c.say(room, "x", null).expectError("not_joined");
            c.joined(room);
            c.say(room, " ", null).expectError("invalid_text");
            assertThat(c.say(room, "still here", null).expect("ack").get("seq").asLong()).isEqualTo(1);
            assertThat(c.isClosed()).isFalse();
        }
    }

    // ---------------------------------------------------------------- REST §2

    @Test
    void roomsAreListedSortedWithMemberCountsAndLastSeq() {
        String zed = "zz-" + room("list");
        String abc = "aa-" + room("list");
        try (ChatClient a = ChatClient.welcomed(port, user("Ada")); ChatClient b = ChatClient.welcomed(port, user("Bob"))) {
            a.joined(zed);
            b.joined(zed);
            a.expect("presence");
            a.joined(abc);
            a.say(abc, "one", null);
            a.say(abc, "two", null);
            a.skipTo(n -> n.get("type").asString().equals("ack") && n.get("seq").asLong() == 2);
            Rest.Answer list = Rest.get(port, "/api/rooms");
            assertThat(list.status()).isEqualTo(200);
            Map<String, JsonNode> byRoom = new LinkedHashMap<>();
            List<String> order = new ArrayList<>();
            list.body().forEach(n -> {
                byRoom.put(n.get("room").asString(), n);
                order.add(n.get("room").asString());
            });
            assertThat(order).isSorted();
            assertThat(byRoom.get(zed).get("members").asInt()).isEqualTo(2);
            assertThat(byRoom.get(zed).get("lastSeq").asLong()).isZero();
            assertThat(byRoom.get(abc).get("members").asInt()).isEqualTo(1);
            assertThat(byRoom.get(abc).get("lastSeq").asLong()).isEqualTo(2);
            assertThat(strings(byRoom.get(abc).propertyNames())).containsExactly("room", "members", "lastSeq");
        }
        await().atMost(ChatClient.WAIT).untilAsserted(() -> {
            List<String> rooms = new ArrayList<>();
            Rest.get(port, "/api/rooms").body().forEach(n -> rooms.add(n.get("room").asString()));
            assertThat(rooms).doesNotContain(zed, abc); // no members: not listed
        });
    }

    @Test
    void oneRoomShowsItsMembersAndLastSeqWhileItHasMembersOrMessages() {
        String room = room("one");
        String bob = user("Bob");
        String ada = user("Ada");
        try (ChatClient b = ChatClient.welcomed(port, bob); ChatClient a = ChatClient.welcomed(port, ada)) {
            b.joined(room);
            a.joined(room);
            Rest.Answer one = Rest.get(port, "/api/rooms/" + room);
            assertThat(one.status()).isEqualTo(200);
            assertThat(one.body().get("room").asString()).isEqualTo(room);
            assertThat(strings(one.body().get("members"))).containsExactly(ada, bob);
            assertThat(one.body().get("lastSeq").asLong()).isZero();
            a.say(room, "kept", null).expect("ack");
        }
        await().atMost(ChatClient.WAIT).untilAsserted(() ->
                assertThat(Rest.get(port, "/api/rooms/" + room).body().get("members")).isEmpty());
        assertThat(Rest.get(port, "/api/rooms/" + room).body().get("lastSeq").asLong()).isEqualTo(1);

        Rest.Answer missing = Rest.get(port, "/api/rooms/" + room("never"));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.contentType()).startsWith("application/problem+json");
        assertThat(Rest.get(port, "/api/rooms/NotARoom").status()).isEqualTo(404);
    }

    @Test
    void messagesArePagedBySinceAndLimit() {
        String room = room("pages");
        try (ChatClient a = ChatClient.welcomed(port, user("Pager"))) {
            a.joined(room);
            for (int i = 1; i <= 70; i++) {
                a.say(room, "p" + i, null);
            }
            a.skipTo(n -> n.get("type").asString().equals("ack") && n.get("seq").asLong() == 70);
        }
        String base = "/api/rooms/" + room + "/messages";
        assertThat(seqs(Rest.get(port, base).body())).containsExactlyElementsOf(range(21, 70));
        assertThat(seqs(Rest.get(port, base + "?limit=5").body())).containsExactlyElementsOf(range(66, 70));
        assertThat(seqs(Rest.get(port, base + "?since=10&limit=5").body())).containsExactlyElementsOf(range(11, 15));
        assertThat(seqs(Rest.get(port, base + "?since=0").body())).containsExactlyElementsOf(range(1, 50));
        assertThat(seqs(Rest.get(port, base + "?since=65&limit=1000").body())).containsExactlyElementsOf(range(66, 70));
        assertThat(seqs(Rest.get(port, base + "?since=70").body())).isEmpty();
        JsonNode m = Rest.get(port, base + "?since=6&limit=1").body().get(0);
        assertThat(strings(m.propertyNames())).containsExactly("type", "room", "seq", "from", "text", "ts");
        assertThat(m.get("text").asString()).isEqualTo("p7");
        for (String bad : List.of("?limit=0", "?limit=1001", "?limit=abc", "?since=x", "?limit=-1")) {
            Rest.Answer answer = Rest.get(port, base + bad);
            assertThat(answer.status()).as(bad).isEqualTo(400);
            assertThat(answer.contentType()).startsWith("application/problem+json");
        }
        assertThat(Rest.get(port, "/api/rooms/" + room("none") + "/messages").status()).isEqualTo(404);
    }

    static List<Long> seqs(JsonNode array) {
        List<Long> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("seq").asLong()));
        return out;
    }

    static List<Long> range(long from, long to) {
        return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
    }

    @Test
    void sessionsAreProcessesUnderTheSessionsSupervisorNamedAfterTheirUser() {
        String name = user("Proc");
        try (ChatClient c = ChatClient.welcomed(port, name)) {
            await().atMost(ChatClient.WAIT).until(() -> node.whereis(Session.processName(name)).isPresent());
            String room = room("proc");
            c.joined(room);
            assertThat(node.whereis(Room.processName(room))).isPresent();
        }
        await().atMost(ChatClient.WAIT).until(() -> node.whereis(Session.processName(name)).isEmpty());
    }

    @Test
    void aSessionThatCrashesClosesWith1011AndFreesItsName() {
        String name = user("Crash");
        try (ChatClient c = ChatClient.welcomed(port, name)) {
            await().atMost(ChatClient.WAIT).until(() -> node.whereis(Session.processName(name)).isPresent());
            node.exit(node.whereis(Session.processName(name)).orElseThrow(), io.mailroom.process.ExitReason.KILL);
            assertThat(c.awaitClose()).isEqualTo(1011);
        }
        try (ChatClient again = ChatClient.connect(port, name)) {
            again.expect("welcome");
        }
    }

    @Autowired
    io.micrometer.core.instrument.MeterRegistry meters;

    @Autowired
    org.springframework.beans.factory.ObjectProvider<io.micrometer.prometheusmetrics.PrometheusMeterRegistry> prometheus;

    @Test
    void chatMetersCountSessionsRoomsMessagesAndDeliveries() {
        String room = room("metered");
        double messagesBefore = meters.get("mailroom.chat.messages").counter().count();
        long deliveriesBefore = meters.get("mailroom.chat.delivery").timer().count();
        try (ChatClient a = ChatClient.welcomed(port, user("Meter")); ChatClient b = ChatClient.welcomed(port, user("Meter"))) {
            a.joined(room);
            b.joined(room);
            a.expect("presence");
            assertThat(meters.get("mailroom.chat.sessions").gauge().value()).isGreaterThanOrEqualTo(2);
            assertThat(meters.get("mailroom.chat.rooms").gauge().value()).isGreaterThanOrEqualTo(1);
            a.say(room, "count me", null).expect("ack");
            b.expect("message");
            assertThat(meters.get("mailroom.chat.messages").counter().count()).isGreaterThanOrEqualTo(messagesBefore + 1);
            await().atMost(ChatClient.WAIT).until(() ->
                    meters.get("mailroom.chat.delivery").timer().count() >= deliveriesBefore + 1);
            // no pid, user or room tags
            for (String name : List.of("mailroom.chat.sessions", "mailroom.chat.rooms", "mailroom.chat.messages",
                    "mailroom.chat.delivery")) {
                assertThat(meters.get(name).meter().getId().getTags()).isEmpty();
            }
            io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry = prometheus.getIfAvailable();
            if (registry != null) {
                String scrape = registry.scrape();
                assertThat(scrape).contains("mailroom_chat_sessions ", "mailroom_chat_rooms ",
                        "mailroom_chat_messages_total ", "mailroom_chat_delivery_seconds_bucket{le=",
                        "mailroom_chat_delivery_seconds_count ");
            }
        }
    }
}
