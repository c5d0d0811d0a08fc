package io.mailroom.chat;

import io.mailroom.config.ChatProperties;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import io.mailroom.supervision.Supervisor;
import java.util.Optional;

/**
 * What room and session processes share: the node, the wire format, the room logs, the name
 * directory, the meters and the settings. Immutable; every part is thread-safe.
 *
 * @param roomsSupervisor the registered name of the supervisor that rooms are started under
 * @param order           the store that orders rooms across nodes (cluster mode), or null on a single node
 * @param presence        who is in each room on the other nodes (cluster mode), or null on a single node
 * @param names           who holds each name across nodes (cluster mode), or null on a single node
 */
public record ChatContext(Node node, Frames frames, RoomStore rooms, SessionDirectory directory, ChatMetrics metrics,
                          ChatProperties settings, String roomsSupervisor, RoomOrder order, RoomPresence presence,
                          NameClaims names) {

    /** A single node's chat: each room orders its own messages. */
    public ChatContext(Node node, Frames frames, RoomStore rooms, SessionDirectory directory, ChatMetrics metrics,
                       ChatProperties settings, String roomsSupervisor) {
        this(node, frames, rooms, directory, metrics, settings, roomsSupervisor, null, null, null);
    }

    /** The rooms supervisor, if it is running now (it may be restarting). */
    public Optional<Pid<Supervisor.Msg>> roomsSupervisorPid() {
        return node.whereis(roomsSupervisor);
    }
}
