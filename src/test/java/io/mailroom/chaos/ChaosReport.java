package io.mailroom.chaos;

import java.util.List;
import java.util.Map;

/** What a chaos run did and what the checker found; {@link #toString()} is the printed report. */
public record ChaosReport(
        ChaosSettings settings, double chaosSeconds,
        long sent, long sendsSkipped,
        long roomKills, long sessionKills, long socketKills, long actuatorKills, long killsMissed,
        long messages, long acked, long deliveries, long liveDeliveries, long historyDeliveries, long restDeliveries,
        long restOverlaps, long lostAcked, long undelivered, long storedGaps, long duplicates, long outOfOrder,
        long mismatches, long unacked, long reconnects, long pagings, Map<String, Long> errors,
        double deliveryP50, double deliveryP99, double deliveryMax, double ackP50, double ackP99, double ackMax,
        Map<String, Integer> processesBefore, Map<String, Integer> processesAfter,
        int sessionsBefore, int sessionsAfter, int socketsBefore, int socketsAfter,
        long heapBefore, long heapAfter, List<String> problems) {

    public long kills() {
        return roomKills + sessionKills + socketKills;
    }

    /** Acknowledged messages not stored as sent, plus (member, seq) pairs never delivered. */
    public long lost() {
        return lostAcked + undelivered;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("chaos: %d clients in %d rooms (%d each), %.0f msg/s, %.0f kills/s for %.1f s%n",
                settings.clients(), settings.rooms(), settings.roomsPerClient(), settings.sendRate(), settings.killRate(), chaosSeconds));
        b.append(String.format("kills: %d (rooms %d, sessions %d, sockets %d; %d of the process kills via the actuator; %d found nothing to kill)%n",
                kills(), roomKills, sessionKills, socketKills, actuatorKills, killsMissed));
        b.append(String.format("messages: %d stored, %d acked, %d sent, %d unacked (socket lost before the ack), %d sends skipped (not joined at that moment)%n",
                messages, acked, sent, unacked, sendsSkipped));
        b.append(String.format("deliveries: %d (live %d, acks %d, in joined %d, REST paging %d; REST/live overlaps dropped by seq %d)%n",
                deliveries, liveDeliveries, deliveries - liveDeliveries - historyDeliveries - restDeliveries,
                historyDeliveries, restDeliveries, restOverlaps));
        b.append(String.format("reconnects: %d, REST pagings after more:true: %d, error frames: %s%n", reconnects, pagings, errors));
        b.append(String.format("lost: %d (acked then lost %d, undelivered %d, stored gaps %d), duplicates: %d, out of order: %d, mismatches: %d%n",
                lost(), lostAcked, undelivered, storedGaps, duplicates, outOfOrder, mismatches));
        b.append(String.format("latency (live delivery) p50 %.1f ms, p99 %.1f ms, max %.1f ms; ack p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                deliveryP50, deliveryP99, deliveryMax, ackP50, ackP99, ackMax));
        b.append(String.format("processes %s -> %s, sessions %d -> %d, sockets %d -> %d, heap after GC %.1f MB -> %.1f MB%n",
                processesBefore, processesAfter, sessionsBefore, sessionsAfter, socketsBefore, socketsAfter,
                heapBefore / 1e6, heapAfter / 1e6));
        problems.forEach(p -> b.append("problem: ").append(p).append('\n'));
        return b.toString();
    }

    /** Collects the report as the run goes. */
    static final class Builder {
        private final ChaosSettings settings;
        private double chaosSeconds;
        private long sent, skipped, roomKills, sessionKills, socketKills, actuatorKills, missed;
        private long messages, acked, deliveries, live, history, rest, overlaps, lostAcked, undelivered, storedGaps,
                duplicates, outOfOrder, mismatches, unacked, reconnects, pagings;
        private Map<String, Long> errors = Map.of();
        private double dP50, dP99, dMax, aP50, aP99, aMax;
        private Map<String, Integer> processesBefore = Map.of(), processesAfter = Map.of();
        private int sessionsBefore, sessionsAfter = -1, socketsBefore, socketsAfter = -1;
        private long heapBefore, heapAfter;
        private List<String> problems = List.of();

        Builder(ChaosSettings settings) {
            this.settings = settings;
        }

        void baseline(Map<String, Integer> processes, int sessions, int sockets, long heap) {
            processesBefore = processes;
            sessionsBefore = sessions;
            socketsBefore = sockets;
            heapBefore = heap;
        }

        void chaosSeconds(double s) {
            chaosSeconds = s;
        }

        void sends(long sent, long skipped) {
            this.sent = sent;
            this.skipped = skipped;
        }

        void kills(long rooms, long sessions, long sockets, long actuator, long missed) {
            roomKills = rooms;
            sessionKills = sessions;
            socketKills = sockets;
            actuatorKills = actuator;
            this.missed = missed;
        }

        void checked(long messages, long acked, long deliveries, long live, long history, long rest, long overlaps,
                     long lostAcked, long undelivered, long storedGaps, long duplicates, long outOfOrder, long mismatches,
                     long unacked, long reconnects, long pagings, Map<String, Long> errors,
                     LatencyHistogram delivery, LatencyHistogram ack, List<String> problems) {
            this.messages = messages;
            this.acked = acked;
            this.deliveries = deliveries;
            this.live = live;
            this.history = history;
            this.rest = rest;
            this.overlaps = overlaps;
            this.lostAcked = lostAcked;
            this.undelivered = undelivered;
            this.storedGaps = storedGaps;
            this.duplicates = duplicates;
            this.outOfOrder = outOfOrder;
            this.mismatches = mismatches;
            this.unacked = unacked;
            this.reconnects = reconnects;
            this.pagings = pagings;
            this.errors = errors;
            dP50 = delivery.quantileMillis(0.5);
            dP99 = delivery.quantileMillis(0.99);
            dMax = delivery.maxMillis();
            aP50 = ack.quantileMillis(0.5);
            aP99 = ack.quantileMillis(0.99);
            aMax = ack.maxMillis();
            this.problems = problems;
        }

        void after(Map<String, Integer> processes, int sessions, int sockets) {
            processesAfter = processes;
            sessionsAfter = sessions;
            socketsAfter = sockets;
        }

        void heapAfter(long heap) {
            heapAfter = heap;
        }

        ChaosReport build() {
            return new ChaosReport(settings, chaosSeconds, sent, skipped, roomKills, sessionKills, socketKills,
                    actuatorKills, missed, messages, acked, deliveries, live, history, rest, overlaps, lostAcked,
                    undelivered, storedGaps, duplicates, outOfOrder, mismatches, unacked, reconnects, pagings, errors,
                    dP50, dP99, dMax, aP50, aP99, aMax, processesBefore, processesAfter, sessionsBefore, sessionsAfter,
                    socketsBefore, socketsAfter, heapBefore, heapAfter, problems);
        }
    }
}
