package dev.mixprune.cli;

import dev.mixprune.UsageException;
import dev.mixprune.cluster.ClusterSettings;
import dev.mixprune.cluster.Worker;
import dev.mixprune.tensor.ThreadTeam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code mixprune worker}: a cluster member that evaluates the candidates (and other work) of the
 * coordinators ({@code search/run/prune/sensitivity --cluster}) until it is stopped.
 */
@Command(name = "worker", description = {
        "Join a mixprune cluster and do the work of its coordinators (search candidates) until stopped.",
        "Members find each other through the --members list only (no multicast). The cluster has no authentication "
                + "or encryption: run it on a trusted network (docs/distributed.md)."})
public final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--cluster", required = true, paramLabel = "NAME", description = "the cluster's name (coordinators use the same)") String cluster;
    @Option(names = "--port", required = true, paramLabel = "PORT", description = "port this worker listens on") int port;
    @Option(names = "--members", required = true, paramLabel = "HOST:PORT,...", description = "members to join through (usually every worker, this one included)")
    String members;
    @Option(names = "--bind", paramLabel = "IP", description = "address to listen on (default: 127.0.0.1, this machine only; give the LAN address for a multi-machine cluster)")
    String bind;
    @Option(names = "--threads", paramLabel = "T", description = "threads one evaluation uses (default: every core; the launcher sets the kernels' team size)")
    Integer threads;
    @Option(names = "--models-root", paramLabel = "DIR",
            description = "models are opened only under this directory, by the coordinator's relative path (default: the current directory, then the shared models directory)")
    Path modelsRoot;
    @Option(names = "--work-dir", paramLabel = "DIR", description = "where session files (level masks, dense targets) are kept while a search runs (default: the system temporary directory)")
    Path workDir;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override public Integer call() throws Exception {
        UsageException.require(port >= 1 && port <= 65535, "--port", "a port in 1..65535", port);
        UsageException.require(threads == null || threads >= 1, "--threads", "at least 1", threads);
        ClusterSettings s = UsageException.fromOptions(() -> ClusterSettings.parse(cluster, members, bind, port, modelsRoot, null));
        int team = ThreadTeam.shared().size();
        if (threads != null && threads != team) {
            err.println("worker: warning: the kernels use " + team + " threads, not --threads " + threads
                    + " (the launcher passes -Dmixprune.threads; set it when starting the JVM yourself)");
        }
        Path scratch = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"));
        CountDownLatch stopped = new CountDownLatch(1);
        try (Worker w = Worker.start(s, team, scratch, err::println)) {
            out.println("worker " + w.address() + " in cluster " + cluster + " (" + team + " thread" + (team == 1 ? "" : "s")
                    + ", models under " + s.modelsRoots() + ")");
            out.println("members: " + w.membersLine());
            out.flush();
            w.instance().getLifecycleService().addLifecycleListener(e -> {
                if (e.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.SHUTDOWN) stopped.countDown();
            });
            stopped.await();
        }
        return 0;
    }
}
