package io.mailroom.chat.web;

import io.mailroom.chat.Frames;
import io.mailroom.chat.OutFrame;
import io.mailroom.chat.RoomLog;
import io.mailroom.chat.RoomOrder;
import io.mailroom.chat.RoomPresence;
import io.mailroom.chat.RoomStore;
import io.mailroom.config.ChatProperties;
import io.mailroom.web.ApiException;
import io.mailroom.names.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The rooms REST API of protocol.md §2. It reads the room logs, which outlive room processes, so
 * it answers even while a room is being restarted, and never waits on a process. In cluster mode
 * the list, a room's members and last seq, and its messages pages come from Redis, so every node answers the same
 * (protocol.md §5); a Redis that does not answer within {@code mailroom.chat.call-timeout} is 503.
 *
 * <p>A messages page holds at most {@code mailroom.chat.catch-up-bytes} of frames, as a catch-up
 * {@code joined} does; {@value #MORE}{@code : true} says messages were left out, and
 * {@value #EPOCH} names the history the seqs belong to, so a client paging on can tell a restart.
 */
@RestController
@RequestMapping(path = "/api/rooms", produces = MediaType.APPLICATION_JSON_VALUE)
public class RoomsController {
    private static final int MAX_LIMIT = 1000;
    /** Response header of a messages page: the room's epoch. */
    public static final String EPOCH = "Mailroom-Epoch";
    /**
     * Response header of a messages page, only when true: with {@code since}, stored messages after
     * the page remain (either bound); without, the byte bound left out older ones of the last {@code limit}.
     */
    public static final String MORE = "Mailroom-More";

    private final RoomStore rooms;
    private final long maxBytes;
    /** Cluster mode: every node's members and the shared seqs, from Redis; null on a single node. */
    private final RoomPresence presence;
    private final RoomOrder order;
    private final Duration wait;

    public RoomsController(RoomStore rooms, ChatProperties chat, ObjectProvider<RoomPresence> presence,
                           ObjectProvider<RoomOrder> order) {
        this.rooms = rooms;
        this.maxBytes = chat.catchUpBytes().toBytes();
        this.presence = presence.getIfAvailable();
        this.order = order.getIfAvailable();
        this.wait = chat.callTimeout();
    }

    /** A room in the list. */
    public record RoomSummary(String room, int members, long lastSeq) {}

    /** One room. */
    public record RoomDetail(String room, List<String> members, long lastSeq, String epoch) {}

    /** Rooms with at least one member, sorted by name. */
    @GetMapping
    public List<RoomSummary> list() {
        if (presence != null && order != null) {
            return clusterList();
        }
        List<RoomSummary> out = new ArrayList<>();
        for (RoomLog log : rooms.all()) {
            int members = log.members().length;
            if (members > 0) {
                out.add(new RoomSummary(log.room(), members, log.lastSeq()));
            }
        }
        return out;
    }

    @GetMapping("/{room}")
    public RoomDetail get(@PathVariable String room) {
        if (presence != null && order != null) {
            return clusterGet(room);
        }
        RoomLog log = existing(room);
        return new RoomDetail(room, log.memberNames(), log.lastSeq(), log.epoch());
    }

    /**
     * Complete message frames after {@code since}, oldest first; without it, the last {@code limit}.
     * At most {@code catch-up-bytes} of them (always one): after {@code since}, the oldest that fit
     * (page on from the last seq); without it, the newest.
     */
    @GetMapping("/{room}/messages")
    public ResponseEntity<String> messages(@PathVariable String room,
                                           @RequestParam(required = false) String since,
                                           @RequestParam(required = false) String limit) {
        long after = since == null ? -1 : parseLong("since", since);
        long count = limit == null ? 50 : parseLong("limit", limit);
        if (count < 1 || count > MAX_LIMIT) {
            throw ApiException.badRequest("\"limit\" must be between 1 and " + MAX_LIMIT);
        }
        if (presence != null && order != null) {
            return clusterMessages(room, since == null ? -1 : Math.max(0, after), (int) count);
        }
        RoomLog log = existing(room);
        RoomLog.Slice page = since == null ? log.last((int) count, maxBytes) : log.since(after, (int) count, maxBytes);
        return page(Frames.array(page.frames()), log.epoch(), page.more());
    }

    private static ResponseEntity<String> page(String body, String epoch, boolean more) {
        ResponseEntity.BodyBuilder answer = ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                .header(EPOCH, epoch);
        if (more) {
            answer.header(MORE, "true");
        }
        return answer.body(body);
    }

    // ---- cluster mode: the same answer on every node, from Redis (this thread waits; no process does)

    private List<RoomSummary> clusterList() {
        SortedMap<String, List<String>> members = await(presence.everyRoom());
        Map<String, CompletableFuture<RoomOrder.Snapshot>> seqs = new LinkedHashMap<>();
        members.keySet().forEach(room -> seqs.put(room, lastSeq(room)));
        List<RoomSummary> out = new ArrayList<>(members.size());
        members.forEach((room, names) -> {
            RoomOrder.Snapshot s = await(seqs.get(room));
            out.add(new RoomSummary(room, names.size(), s == null ? 0 : s.lastSeq()));
        });
        return out;
    }

    private RoomDetail clusterGet(String room) {
        if (!Names.isRoomName(room)) {
            throw ApiException.notFound("no room named " + room);
        }
        CompletableFuture<List<String>> members = presence.members(room).toCompletableFuture();
        RoomOrder.Snapshot s = await(lastSeq(room));
        List<String> names = await(members);
        if (names.isEmpty() && (s == null || s.lastSeq() == 0)) {
            throw ApiException.notFound("no room named " + room);
        }
        return new RoomDetail(room, names, s == null ? 0 : s.lastSeq(), s == null ? null : s.epoch());
    }

    /**
     * A messages page from Redis, so that a node where the room has no member answers as the
     * others do; bounded by bytes as {@link RoomLog#since(long, int, long)} and
     * {@link RoomLog#last(int, long)} bound a single node's pages ({@code after < 0}: the newest).
     */
    private ResponseEntity<String> clusterMessages(String room, long after, int limit) {
        if (!Names.isRoomName(room)) {
            throw ApiException.notFound("no room named " + room);
        }
        CompletableFuture<List<String>> members = presence.members(room).toCompletableFuture();
        RoomOrder.Snapshot s = await(order.page(room, after, limit));
        if (s == null || (s.lastSeq() == 0 && await(members).isEmpty())) {
            throw ApiException.notFound("no room named " + room);
        }
        List<String> frames = s.frames();
        long total = 0;
        if (after >= 0) { // the oldest that fit, at least one; more when any stored after them remain
            int to = 0;
            while (to < frames.size()) {
                total += OutFrame.utf8Length(frames.get(to));
                if (total > maxBytes && to > 0) {
                    break;
                }
                to++;
            }
            return page(jsonArray(frames.subList(0, to)), s.epoch(), s.firstSeq() + to - 1 < s.lastSeq());
        }
        int from = frames.size(); // the newest that fit, at least one; more when the bound left some out
        while (from > 0) {
            total += OutFrame.utf8Length(frames.get(from - 1));
            if (total > maxBytes && from < frames.size()) {
                break;
            }
            from--;
        }
        return page(jsonArray(frames.subList(from, frames.size())), s.epoch(), from > 0);
    }

    /** Complete frames, each a JSON object, as one JSON array. */
    private static String jsonArray(List<String> frames) {
        return "[" + String.join(",", frames) + "]";
    }

    /** The room's epoch and last seq in the store (no frames), or null for a room it does not know. */
    private CompletableFuture<RoomOrder.Snapshot> lastSeq(String room) {
        return order.read(room, Long.MAX_VALUE, 1, false).toCompletableFuture();
    }

    private <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw ApiException.unavailable("the rooms' store (Redis) cannot be reached now; try again");
        }
    }

    /** A room that has members or stored messages. */
    private RoomLog existing(String room) {
        RoomLog log = Names.isRoomName(room) ? rooms.find(room).orElse(null) : null;
        if (log == null || (log.members().length == 0 && log.stored() == 0)) {
            throw ApiException.notFound("no room named " + room);
        }
        return log;
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("\"" + name + "\" must be an integer, was \"" + value + "\"");
        }
    }
}
