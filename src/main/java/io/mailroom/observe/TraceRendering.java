package io.mailroom.observe;

import io.mailroom.process.Pid;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Map;

/**
 * How a traced message is shown: its type's simple name, and a bounded text. A record shows its
 * components ({@code Post[session=<0.7.0>, text=hello, ref=r1]}), each string cut at the text
 * limit (so a chat text is visible but a 64 KiB one costs no more than a short one), nested
 * records to a small depth, collections by size and first items; the whole at most
 * {@link #MAX_FACTOR} times the text limit. Runs on the traced process's turn, and only for a
 * traced process.
 */
final class TraceRendering {
    static final int MAX_DEPTH = 3;
    static final int MAX_ITEMS = 5;
    static final int MAX_FACTOR = 4;
    static final String CUT = "…";

    private final int textLimit;
    private final int maxLength;

    TraceRendering(int textLimit) {
        this.textLimit = textLimit;
        this.maxLength = textLimit * MAX_FACTOR;
    }

    /** {@code Post}, {@code Down}: what the trace's {@code type} field says. */
    static String type(Object message) {
        Class<?> c = message.getClass();
        String name = c.getSimpleName();
        return name.isEmpty() ? c.getName() : name;
    }

    String render(Object message) {
        StringBuilder out = new StringBuilder(Math.min(maxLength, 128));
        append(out, message, 0);
        return out.length() > maxLength ? cut(out.toString(), maxLength) : out.toString();
    }

    private void append(StringBuilder out, Object value, int depth) {
        if (out.length() > maxLength) {
            return;
        }
        switch (value) {
            case null -> out.append("null");
            case CharSequence text -> out.append(cut(text.toString(), textLimit));
            case Pid<?> pid -> out.append(pid);
            case Number n -> out.append(n);
            case Boolean b -> out.append(b);
            case Enum<?> e -> out.append(e.name());
            case Record r when depth < MAX_DEPTH -> appendRecord(out, r, depth);
            case Collection<?> items when depth < MAX_DEPTH -> appendItems(out, items, items.size(), depth);
            case Map<?, ?> map -> out.append("{").append(map.size()).append(" entries}");
            default -> out.append(cut(safeToString(value), textLimit));
        }
    }

    private void appendRecord(StringBuilder out, Record r, int depth) {
        out.append(type(r)).append('[');
        RecordComponent[] components = r.getClass().getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            if (i > 0) {
                out.append(", ");
            }
            out.append(components[i].getName()).append('=');
            Object v;
            try {
                var accessor = components[i].getAccessor();
                accessor.setAccessible(true); // a private message record of the runtime or the chat
                v = accessor.invoke(r);
            } catch (ReflectiveOperationException | RuntimeException e) {
                v = "?";
            }
            append(out, v, depth + 1);
            if (out.length() > maxLength) {
                return;
            }
        }
        out.append(']');
    }

    private void appendItems(StringBuilder out, Iterable<?> items, int size, int depth) {
        out.append('(').append(size).append(")[");
        int n = 0;
        for (Object item : items) {
            if (n == MAX_ITEMS) {
                out.append(", ").append(CUT);
                break;
            }
            if (n++ > 0) {
                out.append(", ");
            }
            append(out, item, depth + 1);
        }
        out.append(']');
    }

    private static String safeToString(Object value) {
        try {
            return String.valueOf(value);
        } catch (RuntimeException e) {
            return value.getClass().getName() + "@?";
        }
    }

    /** {@code s} cut to {@code limit} characters (never inside a surrogate pair), with an ellipsis if cut. */
    static String cut(String s, int limit) {
        if (s.length() <= limit) {
            return s;
        }
        int end = limit;
        if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + CUT;
    }
}
