package android.util;

/** Stub of android.util.Log: the plugin's Logger writes here; the harness keeps it quiet. */
public final class Log {
    public static int e(String tag, String msg) { return println("E", tag, msg); }
    public static int w(String tag, String msg) { return println("W", tag, msg); }
    public static int i(String tag, String msg) { return println("I", tag, msg); }
    public static int d(String tag, String msg) { return println("D", tag, msg); }

    private static int println(String level, String tag, String msg) {
        if (System.getenv("PLUGIN_LOG") != null) System.err.println(level + "/" + tag + ": " + msg);
        return 0;
    }
}
