package android.util;

/** Stub of android.util.ArrayMap: a Map is all the plugin's Logger needs. */
public class ArrayMap<K, V> extends java.util.HashMap<K, V> {}
