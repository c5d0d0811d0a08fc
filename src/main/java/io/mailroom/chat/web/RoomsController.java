package io.mailroom.chat.web;

import io.mailroom.chat.Frames;
import io.mailroom.chat.RoomLog;
import io.mailroom.chat.RoomStore;
import io.mailroom.config.ChatProperties;
import io.mailroom.web.ApiException;
import io.mailroom.names.Names;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The rooms REST API of protocol.md §2. It reads the room logs, which outlive room processes, so
 * it answers even while a room is being restarted, and never waits on a process.
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

    public RoomsController(RoomStore rooms, ChatProperties chat) {
        this.rooms = rooms;
        this.maxBytes = chat.catchUpBytes().toBytes();
    }

    /** A room in the list. */
    public record RoomSummary(String room, int members, long lastSeq) {}

    /** One room. */
    public record RoomDetail(String room, List<String> members, long lastSeq, String epoch) {}

    /** Rooms with at least one member, sorted by name. */
    @GetMapping
    public List<RoomSummary> list() {
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
        RoomLog log = existing(room);
        RoomLog.Slice page = since == null ? log.last((int) count, maxBytes) : log.since(after, (int) count, maxBytes);
        ResponseEntity.BodyBuilder answer = ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON)
                .header(EPOCH, log.epoch());
        if (page.more()) {
            answer.header(MORE, "true");
        }
        return answer.body(Frames.array(page.frames()));
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
