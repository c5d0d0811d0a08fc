package io.mailroom.cluster;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A Lua script run by its SHA-1 (EVALSHA), so a round trip carries its arguments, not its text;
 * when the server does not have it (its script cache was flushed while this node stayed connected:
 * a node loads every script on each connect, {@link RedisRoomOrder#cached}) it is run once with its
 * text (EVAL), which caches it again. A NOSCRIPT answer means nothing of it ran, so the second try
 * cannot do anything twice; but commands sent after it may have run before it.
 */
record LuaScript(String text, String sha) {

    static LuaScript of(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return new LuaScript(text, HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    <T> CompletionStage<T> run(RedisAsyncCommands<String, String> redis, ScriptOutputType type, String[] keys,
                               String... args) {
        return redis.<T>evalsha(sha, type, keys, args).exceptionallyCompose(e -> unwrap(e) instanceof RedisNoScriptException
                ? redis.<T>eval(text, type, keys, args)
                : CompletableFuture.failedStage(e));
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }
}
