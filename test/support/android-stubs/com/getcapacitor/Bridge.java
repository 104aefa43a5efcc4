package com.getcapacitor;

/** Stub of Capacitor's Bridge: no web view, so the plugin's Logger never evaluates JavaScript. */
public class Bridge {
    public Object getWebView() { return null; }
    public void eval(String js, Object callback) {}
}
