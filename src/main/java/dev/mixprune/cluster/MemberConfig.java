package dev.mixprune.cluster;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.ExecutorConfig;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The Hazelcast configuration of a mixprune member, secure by default: TCP/IP member list only
 * (multicast and cloud auto-detection off), bound to one address (loopback unless {@code --bind}),
 * a required cluster name, no phone-home, no user code deployment or namespaces, no Jet engine, and
 * Java deserialization limited to mixprune's and the JDK's own classes (tasks are
 * {@link com.hazelcast.nio.serialization.IdentifiedDataSerializable} records of plain data, see
 * {@link Wire}; only exceptions travel as Java-serialized objects). Workers are full members with
 * role {@code worker}; a coordinator is a lite member (it holds no partitions, so it can come and
 * go without data migrating, and a coordinator killed takes no state of the workers with it).
 */
public final class MemberConfig {
    private MemberConfig() {}

    /** Member attribute naming what a member does. */
    static final String ROLE = "mixprune.role", WORKER = "worker", COORDINATOR = "coordinator";
    static final String THREADS = "mixprune.threads", PROFILE = "mixprune.profile";
    /** Executors: candidate evaluations (one at a time per worker), artifact chunks (served by the coordinator). */
    static final String EVALUATE = "mixprune-evaluate", FILES = "mixprune-files";

    public static Config worker(ClusterSettings s, int threads, Object worker) {
        Config c = base(s, false);
        c.getMemberAttributeConfig().setAttribute(ROLE, WORKER);
        c.getMemberAttributeConfig().setAttribute(THREADS, Integer.toString(threads));
        c.getMemberAttributeConfig().setAttribute(PROFILE, NumericProfile.current().wire());
        c.getUserContext().put(Worker.CONTEXT_KEY, worker);
        return c;
    }

    public static Config coordinator(ClusterSettings s, Object artifacts) {
        Config c = base(s, true);
        c.getMemberAttributeConfig().setAttribute(ROLE, COORDINATOR);
        c.getUserContext().put(ArtifactServer.CONTEXT_KEY, artifacts);
        return c;
    }

    private static Config base(ClusterSettings s, boolean lite) {
        Config c = new Config();
        c.setClusterName(s.name());
        c.setLiteMember(lite);
        c.setInstanceName("mixprune-" + s.name() + "-" + (lite ? "coordinator-" : "worker-") + s.port() + "-" + System.nanoTime());
        ConcurrentMap<String, Object> context = new ConcurrentHashMap<>();
        c.setUserContext(context);
        Map<String, String> p = Map.of(
                "hazelcast.phone.home.enabled", "false",
                "hazelcast.logging.type", "jdk",
                "hazelcast.socket.bind.any", Boolean.toString(s.bindsAll()),
                "hazelcast.wait.seconds.before.join", "0",
                // A killed worker is noticed through its refused connections within seconds; a vanished machine by heartbeats.
                "hazelcast.heartbeat.interval.seconds", "2",
                "hazelcast.max.no.heartbeat.seconds", "30",
                "hazelcast.shutdownhook.policy", "GRACEFUL",
                // Members that formed separate clusters (started while the others were unreachable) merge within ~20 s.
                "hazelcast.merge.first.run.delay.seconds", "20",
                "hazelcast.merge.next.run.delay.seconds", "20",
                "hazelcast.health.monitoring.level", "OFF");
        p.forEach(c::setProperty);

        NetworkConfig net = c.getNetworkConfig();
        net.setPort(s.port()).setPortAutoIncrement(false);
        if (!s.bindsAll()) net.getInterfaces().setEnabled(true).addInterface(s.bind());
        net.getRestApiConfig().setEnabled(false);
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(s.members());

        c.getJetConfig().setEnabled(false);
        c.getUserCodeDeploymentConfig().setEnabled(false);
        c.getNamespacesConfig().setEnabled(false);
        c.getSerializationConfig().addDataSerializableFactory(Wire.FACTORY_ID, new Wire());
        c.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
                .setWhitelist(new ClassFilter().addPrefixes("dev.mixprune.", "java.", "com.hazelcast.")));

        c.addExecutorConfig(new ExecutorConfig(EVALUATE).setPoolSize(1).setStatisticsEnabled(false));
        c.addExecutorConfig(new ExecutorConfig(FILES).setPoolSize(2).setStatisticsEnabled(false));
        return c;
    }

    private static volatile boolean loggingConfigured;

    /**
     * Hazelcast logs through java.util.logging to stderr, one line per record, at WARNING and above
     * (no banner, no join chatter; connection losses and suspicions are kept).
     * {@code MIXPRUNE_HAZELCAST_LOG=info} shows everything.
     */
    static synchronized void configureLogging() {
        if (loggingConfigured) return;
        loggingConfigured = true;
        String env = System.getenv("MIXPRUNE_HAZELCAST_LOG");
        Level level = env == null ? Level.WARNING : Level.parse(env.toUpperCase(Locale.ROOT));
        Logger hz = Logger.getLogger("com.hazelcast");
        hz.setLevel(level);
        hz.setUseParentHandlers(false);
        ConsoleHandler h = new ConsoleHandler(); // System.err
        h.setLevel(level);
        h.setFormatter(new Formatter() {
            @Override public String format(LogRecord r) {
                String msg = formatMessage(r);
                return "hazelcast: " + r.getLevel().getName().toLowerCase(Locale.ROOT) + ": " + msg.strip() + System.lineSeparator();
            }
        });
        hz.addHandler(h);
    }
}
