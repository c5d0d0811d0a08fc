package io.mailroom.chaos;

import java.time.Duration;

/**
 * The size of a chaos run. {@link #fromSystemProperties()} reads {@code chaos.*} system properties
 * (what {@code bench/chaos.sh} passes through Maven) over the CI-sized defaults.
 *
 * @param clients        chat clients, each its own user and WebSocket
 * @param rooms          rooms {@code cz0}…; client {@code i} joins {@code roomsPerClient} of them, round robin
 * @param roomsPerClient rooms each client is in
 * @param sendRate       messages a second, over all clients
 * @param duration       how long clients chat and the chaos driver kills
 * @param killRate       kills a second (rooms, sessions, sockets together)
 * @param roomWeight     share of kills that kill a room process
 * @param sessionWeight  share that kill a session process
 * @param socketWeight   share that close a client's socket abruptly (no close frame)
 * @param actuatorEvery  every n-th process kill goes through {@code DELETE /actuator/processes/{pid}}
 *                       (the rest through {@code Node.exit}); 0: never
 * @param seed           the random seed of the sender and the chaos driver
 */
public record ChaosSettings(int clients, int rooms, int roomsPerClient, double sendRate, Duration duration,
                            double killRate, int roomWeight, int sessionWeight, int socketWeight,
                            int actuatorEvery, long seed) {

    public ChaosSettings {
        if (clients < 1 || rooms < 1 || roomsPerClient < 1 || roomsPerClient > rooms) {
            throw new IllegalArgumentException("need clients ≥ 1 and 1 ≤ rooms-per-client ≤ rooms");
        }
        if (sendRate <= 0 || killRate < 0 || roomWeight + sessionWeight + socketWeight <= 0) {
            throw new IllegalArgumentException("need a positive send rate and some kind of kill");
        }
    }

    /** The CI run: about a minute, hundreds of kills. */
    public static ChaosSettings ci() {
        return new ChaosSettings(60, 6, 2, 100, Duration.ofSeconds(50), 8, 4, 3, 3, 10, 13);
    }

    public static ChaosSettings fromSystemProperties() {
        ChaosSettings d = ci();
        return new ChaosSettings(
                Integer.getInteger("chaos.clients", d.clients()),
                Integer.getInteger("chaos.rooms", d.rooms()),
                Integer.getInteger("chaos.rooms-per-client", d.roomsPerClient()),
                doubleProperty("chaos.send-rate", d.sendRate()),
                Duration.ofSeconds(Long.getLong("chaos.seconds", d.duration().toSeconds())),
                doubleProperty("chaos.kill-rate", d.killRate()),
                Integer.getInteger("chaos.room-weight", d.roomWeight()),
                Integer.getInteger("chaos.session-weight", d.sessionWeight()),
                Integer.getInteger("chaos.socket-weight", d.socketWeight()),
                Integer.getInteger("chaos.actuator-every", d.actuatorEvery()),
                Long.getLong("chaos.seed", d.seed()));
    }

    private static double doubleProperty(String name, double fallback) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? fallback : Double.parseDouble(v);
    }
}
