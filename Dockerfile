# syntax=docker/dockerfile:1
# Multi-stage build with the Maven wrapper: JDK 25 builds (release 21), a JRE runs the jar.
#   docker build -t mailroom:local .     (or: docker compose up --build)

FROM eclipse-temurin:25-jdk AS build
WORKDIR /src
# dependencies first, so a source change does not download them again
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q dependency:resolve
COPY . .
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -Dmaven.test.skip=true package \
    && cp target/mailroom-*.jar /mailroom.jar

FROM eclipse-temurin:25-jre
RUN useradd --system --home-dir /app --shell /usr/sbin/nologin mailroom
WORKDIR /app
COPY --from=build /mailroom.jar /app/mailroom.jar
USER mailroom
EXPOSE 8080
# Healthy while /actuator/health answers 200; DOWN (503) or no answer marks the container unhealthy.
# Plain bash, no curl in the image. A root supervisor that gives up ends the JVM with status 70, and
# compose's `restart: unless-stopped` starts it again.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /actuator/health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-jar", "/app/mailroom.jar"]
