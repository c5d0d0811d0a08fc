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
ENTRYPOINT ["java", "-jar", "/app/mailroom.jar"]
