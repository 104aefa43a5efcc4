package android.util;

/**
 * Stub of android.util.Base64 with Android's decoding rules for DEFAULT: characters outside the
 * alphabet (whitespace, anything else) are skipped, padding is optional, a bad tail throws
 * IllegalArgumentException("bad base-64").
 */
public final class Base64 {
    public static final int DEFAULT = 0;

    public static byte[] decode(String str, int flags) {
        return decode(str.getBytes(java.nio.charset.StandardCharsets.US_ASCII), flags);
    }

    public static byte[] decode(byte[] input, int flags) {
        StringBuilder kept = new StringBuilder();
        for (byte b : input) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/') kept.append(c);
            else if (c == '=') break;
        }
        if (kept.length() % 4 == 1) throw new IllegalArgumentException("bad base-64");
        return java.util.Base64.getDecoder().decode(kept.toString());
    }
}
