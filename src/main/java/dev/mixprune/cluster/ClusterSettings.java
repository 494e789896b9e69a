package dev.mixprune.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How a process joins a mixprune cluster: the cluster's name (required: members of other clusters
 * on the same network are ignored), the TCP/IP member list it joins through (no multicast, no
 * auto-detection), the address it binds to (loopback unless told otherwise: the community edition
 * has no authentication or TLS, docs/distributed.md), its port, and where models may be opened.
 *
 * @param port        this member's port (0: a free port picked at start, for a coordinator)
 * @param modelsRoots directories models are referred to by a path relative to (the first that holds the file wins)
 * @param waitWorkers how long a coordinator waits for its first worker before giving up
 */
public record ClusterSettings(String name, List<String> members, String bind, int port, List<Path> modelsRoots, Duration waitWorkers) {

    public static final String LOOPBACK = "127.0.0.1";
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(120);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public ClusterSettings {
        members = List.copyOf(members);
        modelsRoots = List.copyOf(modelsRoots);
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("--cluster: expected a name of 1-64 letters, digits, '.', '_' or '-', got " + quoted(name));
        }
        if (members.isEmpty()) throw new IllegalArgumentException("--members: expected at least one host:port to join through");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port: expected 1..65535, got " + port);
        if (modelsRoots.isEmpty()) throw new IllegalArgumentException("--models-root: at least one directory is needed");
        if (waitWorkers.isNegative()) throw new IllegalArgumentException("--wait-workers: expected a duration >= 0");
    }

    /**
     * Parses the command-line forms: {@code members} "host:port,host:port", {@code bind} an IP
     * address (null: loopback), {@code modelsRoot} null for the defaults ({@link ModelRoots#defaults}).
     */
    public static ClusterSettings parse(String name, String members, String bind, Integer port, Path modelsRoot, Integer waitSeconds) {
        if (members == null || members.isBlank()) throw new IllegalArgumentException("--members: required with --cluster (host:port,host:port,...)");
        List<String> list = new ArrayList<>();
        for (String m : members.split(",")) {
            String t = m.trim();
            if (t.isEmpty()) continue;
            list.add(hostPort(t));
        }
        String address = bind == null ? LOOPBACK : checkAddress(bind);
        List<Path> roots = modelsRoot == null ? ModelRoots.defaults() : List.of(modelsRoot.toAbsolutePath().normalize());
        Duration wait = waitSeconds == null ? DEFAULT_WAIT : Duration.ofSeconds(waitSeconds);
        return new ClusterSettings(name, list, address, port == null ? 0 : port, roots, wait);
    }

    /** "host:port" with a port in 1..65535; an IPv6 host is written [addr]:port. */
    static String hostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) throw new IllegalArgumentException("--members: expected host:port, got " + quoted(s));
        String host = s.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--members: expected host:port with a numeric port, got " + quoted(s));
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("--members: port must be 1..65535, got " + quoted(s));
        if (host.isBlank() || host.contains(",") || host.contains(" ")) throw new IllegalArgumentException("--members: bad host in " + quoted(s));
        return host + ":" + port;
    }

    /** A literal IP address of this machine (or 0.0.0.0: every interface). Host names are refused: what is bound must be explicit. */
    static String checkAddress(String s) {
        String t = s.trim();
        if (!t.matches("[0-9.]+|[0-9A-Fa-f:]+")) throw new IllegalArgumentException("--bind: expected an IP address, got " + quoted(s));
        try {
            InetAddress.getByName(t);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--bind: expected an IP address, got " + quoted(s));
        }
        return t;
    }

    /** True when this member binds every interface rather than one address. */
    public boolean bindsAll() { return bind.equals("0.0.0.0") || bind.equals("::"); }

    public ModelRoots roots() { return new ModelRoots(modelsRoots); }

    public ClusterSettings withPort(int p) { return new ClusterSettings(name, members, bind, p, modelsRoots, waitWorkers); }

    private static String quoted(String s) { return s == null ? "nothing" : "'" + s + "'"; }
}
