package io.mailroom.examples;

import io.mailroom.examples.Chat.ClientMsg;
import io.mailroom.examples.Chat.Message;
import io.mailroom.examples.Chat.Post;
import io.mailroom.examples.Chat.Register;
import io.mailroom.examples.Chat.Send;
import io.mailroom.examples.Chat.ServerMsg;
import io.mailroom.process.Behavior;
import io.mailroom.process.Behaviors;
import io.mailroom.process.Node;
import io.mailroom.process.Pid;
import java.util.function.Consumer;

/**
 * The post's {@code ChatClient}: registers with the server, prints what it receives and forwards
 * {@code {:send, message}} to the server. The post's {@code Process.sleep(100)} is left out: a
 * Mailroom handler should not block its scheduler thread.
 */
public final class ChatClient {
    private ChatClient() {}

    /** {@code def start(server_pid, username) do spawn(fn -> loop(server_pid, username) end) end} */
    public static Pid<ClientMsg> start(Node node, Pid<ServerMsg> server, String username) {
        return start(node, server, username, System.out::println);
    }

    /** As {@link #start(Node, Pid, String)}, printing to {@code out}. */
    public static Pid<ClientMsg> start(Node node, Pid<ServerMsg> server, String username, Consumer<String> out) {
        // defp loop(server_pid, username) do
        //   send(server_pid, {:register, self(), username})
        //   message_loop(server_pid, username)
        return node.spawn(Behaviors.<ClientMsg>setup(ctx -> {
            server.send(new Register(ctx.self(), username));
            return messageLoop(server, out);
        }));
    }

    /** {@code defp message_loop(server_pid, username) do receive do msg -> ... end end} */
    static Behavior<ClientMsg> messageLoop(Pid<ServerMsg> server, Consumer<String> out) {
        return Behaviors.receive((ctx, msg) -> {
            // IO.inspect(msg, label: "Client message received")
            out.accept("Client message received: " + msg);
            switch (msg) {
                // {:message, from, message} -> IO.puts("[#{from}] #{message}")
                case Message(var from, var message) -> out.accept("[" + from + "] " + message);
                // {:send, message} -> send(server_pid, {:message, self(), message})
                case Send(var message) -> server.send(new Post(ctx.self(), message));
            }
            return Behaviors.same();
        });
    }

    /** {@code def send_message(client_pid, message) do send(client_pid, {:send, message}) end} */
    public static void sendMessage(Pid<ClientMsg> client, String message) {
        client.send(new Send(message));
    }
}
