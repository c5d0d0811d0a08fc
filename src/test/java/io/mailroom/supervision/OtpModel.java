package io.mailroom.supervision;

import java.util.ArrayList;
import java.util.List;

/**
 * OTP's supervisor rules as a small pure model: which children run, which are known, and the
 * restart statistics after a child ends. Time plays no part: the intensity period is taken as
 * longer than any test, so every restart counts against {@code maxRestarts}.
 */
final class OtpModel {

    /** How a child ended: the exit reason's text is the name in lower case. */
    enum Ending {
        CRASH, NORMAL, SHUTDOWN;

        String reason() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static final class Child {
        final String id;
        final Restart restart;
        boolean running = true;
        long restarts;
        String lastRestartReason;

        Child(String id, Restart restart) {
            this.id = id;
            this.restart = restart;
        }
    }

    /** What one ending did: the supervisor gave up, or these children were started again. */
    record Outcome(boolean supervisorExited, List<String> restarted, boolean forgotten) {}

    final Strategy strategy;
    final boolean dynamic;
    final int maxRestarts;
    final List<Child> children = new ArrayList<>();
    boolean alive = true;
    long restarts;
    String lastRestartReason;

    OtpModel(Strategy strategy, boolean dynamic, int maxRestarts, List<Restart> types) {
        this.strategy = strategy;
        this.dynamic = dynamic;
        this.maxRestarts = maxRestarts;
        for (int i = 0; i < types.size(); i++) {
            children.add(new Child("c" + i, types.get(i)));
        }
    }

    List<Child> running() {
        return children.stream().filter(c -> c.running).toList();
    }

    Child byId(String id) {
        return children.stream().filter(c -> c.id.equals(id)).findFirst().orElse(null);
    }

    static boolean restartsAfter(Restart restart, Ending ending) {
        return switch (restart) {
            case PERMANENT -> true;
            case TRANSIENT -> ending == Ending.CRASH;
            case TEMPORARY -> false;
        };
    }

    /** The running child {@code child} ended with {@code ending}. */
    Outcome end(Child child, Ending ending) {
        child.running = false;
        if (!restartsAfter(child.restart, ending)) {
            // a temporary child is forgotten; so is any child of a dynamic supervisor
            boolean forget = dynamic || child.restart == Restart.TEMPORARY;
            if (forget) {
                children.remove(child);
            }
            return new Outcome(false, List.of(), forget);
        }
        if (restarts + 1 > maxRestarts) {
            // more than MaxR restarts within MaxT: stop all children, exit with shutdown
            alive = false;
            children.forEach(c -> c.running = false);
            return new Outcome(true, List.of(), false);
        }
        restarts++;
        lastRestartReason = ending.reason();
        int at = children.indexOf(child);
        List<Child> group = switch (strategy) {
            case ONE_FOR_ONE -> List.of(child);
            case ONE_FOR_ALL -> List.copyOf(children);
            case REST_FOR_ONE -> List.copyOf(children.subList(at, children.size()));
        };
        List<String> restarted = new ArrayList<>();
        for (Child c : group) {
            if (c.restart == Restart.TEMPORARY) {
                // stopped with its group, never restarted, forgotten
                children.remove(c);
                continue;
            }
            // every other member is started again, also one that was not running (OTP)
            c.running = true;
            c.restarts++;
            c.lastRestartReason = ending.reason();
            restarted.add(c.id);
        }
        return new Outcome(false, restarted, false);
    }
}
