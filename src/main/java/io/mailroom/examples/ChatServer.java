package io.mailroom.examples;

import io.mailroom.examples.Chat.ClientMsg;
import io.mailroom.examples.Chat.Message;
import io.mailroom.examples.Chat.Post;
import io.mailroom.examples.Chat.Register;
import io.mailroom.examples.Chat.ServerMsg;
import io.mailroom.examples.Chat.Unregister;
import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The post's {@code ChatServer}: its state, the map of clients, is the argument of its next loop.
 *
 * <p>{@link #start(Node)} is the post's server, whose broadcast reaches every client, the sender
 * too; {@link #startSkippingSender(Node)} is the exercise solved: "improve broadcast/3 so the
 * message is not sent back to the original sender".
 */
public final class ChatServer {
    private ChatServer() {}

    /** {@code def start do spawn(fn -> loop(%{}) end) end}, printing to standard output. */
    public static Pid<ServerMsg> start(Node node) {
        return node.spawn(loop(new LinkedHashMap<>(), false, System.out::println));
    }

    /** The exercise solved: chat lines go to every client but their sender. */
    public static Pid<ServerMsg> startSkippingSender(Node node) {
        return node.spawn(loop(new LinkedHashMap<>(), true, System.out::println));
    }

    /** Either server, printing its {@code IO.puts} lines to {@code out}. */
    public static Pid<ServerMsg> start(Node node, boolean skipSender, Consumer<String> out) {
        return node.spawn(loop(new LinkedHashMap<>(), skipSender, out));
    }

    /** {@code defp loop(clients) do receive do message -> case message do ... end end end} */
    static Behavior<ServerMsg> loop(Map<Pid<ClientMsg>, String> clients, boolean skipSender, Consumer<String> out) {
        return Behaviors.receive(msg -> switch (msg) {
            // {:register, client_pid, username} ->
            //   IO.puts("#{username} joined the chat")
            //   new_clients = Map.put(clients, client_pid, username)
            //   broadcast(new_clients, :server, "#{username} joined the chat")
            case Register(var client, var username) -> {
                out.accept(username + " joined the chat");
                var next = new LinkedHashMap<>(clients);
                next.put(client, username);
                broadcast(next, null, "server", username + " joined the chat");
                yield loop(next, skipSender, out);
            }
            // {:message, from_pid, message} -> case Map.get(clients, from_pid) do
            //   nil -> loop(clients); username -> broadcast(clients, username, message)
            case Post(var from, var message) -> {
                var username = clients.get(from);
                if (username != null) {
                    broadcast(clients, skipSender ? from : null, username, message);
                }
                yield Behaviors.same();
            }
            // {:unregister, client_pid} -> ... IO.puts("#{username} left the chat") ...
            case Unregister(var client) -> {
                var username = clients.get(client);
                if (username == null) {
                    yield Behaviors.same();
                }
                out.accept(username + " left the chat");
                var next = new LinkedHashMap<>(clients);
                next.remove(client);
                broadcast(next, null, "server", username + " left the chat");
                yield loop(next, skipSender, out);
            }
        });
    }

    /**
     * {@code Enum.each(clients, fn {pid, _} -> send(pid, {:message, from, message}) end)};
     * with {@code skip} non-null, the exercise's fix: {@code pid != sender_pid}.
     */
    static void broadcast(Map<Pid<ClientMsg>, String> clients, Pid<ClientMsg> skip, String from, String message) {
        clients.keySet().forEach(pid -> {
            if (!pid.equals(skip)) {
                pid.send(new Message(from, message));
            }
        });
    }
}
