// Mailroom shell start-up: the runtime and the examples imported, a node started.
import io.mailroom.process.*;
import io.mailroom.supervision.*;
import io.mailroom.examples.*;
import io.mailroom.examples.Counter.*;
import io.mailroom.examples.Chat.*;
import java.time.Duration;
var node = Node.start(NodeConfig.defaults().withPidStyle(PidStyle.ELIXIR));
/** iex> flush(): what this shell's own mailbox received (replies sent to `me`). */
var inbox = new java.util.concurrent.LinkedBlockingQueue<Object>();
Pid<Object> me = node.spawn(Behaviors.<Object>receive(m -> { inbox.add(m); return Behaviors.same(); }));
Object receive() throws InterruptedException { return inbox.poll(5, java.util.concurrent.TimeUnit.SECONDS); }
System.out.println("Mailroom shell: node started as `node`, your mailbox is `me` (" + me + "); receive() takes the next message. /exit to leave.");
