package dev.mixprune.cli;

import dev.mixprune.UsageException;
import dev.mixprune.cluster.ClusterSettings;
import dev.mixprune.cluster.Coordinator;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * {@code --cluster NAME --members host:port,...} and friends on the long commands (search,
 * sensitivity, run, prune): this process joins the cluster as its coordinator and the workers do
 * the evaluations. Without {@code --cluster} nothing of the cluster is started.
 */
public final class ClusterOptions {
    @Option(names = "--cluster", paramLabel = "NAME",
            description = "run the work on the workers of this cluster (started with `mixprune worker --cluster NAME ...`); default: this process alone")
    String name;
    @Option(names = "--members", paramLabel = "HOST:PORT,...", description = "with --cluster: members to join through (the workers' addresses; default: none, required with --cluster)")
    String members;
    @Option(names = "--bind", paramLabel = "IP", description = "with --cluster: address this process listens on (default: 127.0.0.1; the cluster has no authentication: trusted networks only)")
    String bind;
    @Option(names = "--cluster-port", paramLabel = "PORT", description = "with --cluster: port this process listens on (default: a free one)")
    Integer port;
    @Option(names = "--models-root", paramLabel = "DIR",
            description = "with --cluster: the model is named to the workers by its path relative to this directory (default: the current directory, then the shared models directory)")
    Path modelsRoot;
    @Option(names = "--wait-workers", paramLabel = "SECONDS", description = "with --cluster: how long to wait for a usable worker before giving up (default: 120)")
    Integer waitSeconds;

    public boolean enabled() { return name != null; }

    /** The settings, or null without --cluster; the other options without --cluster are an error. */
    ClusterSettings settings() {
        if (name == null) {
            if (members != null || bind != null || port != null || modelsRoot != null || waitSeconds != null) {
                throw new UsageException("--members, --bind, --cluster-port, --models-root and --wait-workers need --cluster NAME");
            }
            return null;
        }
        return UsageException.fromOptions(() -> ClusterSettings.parse(name, members, bind, port, modelsRoot, waitSeconds));
    }

    /**
     * Checks the options and that {@code model} can be named to the workers (under a models root),
     * before any work starts; null without --cluster.
     */
    ClusterSettings check(Path model) throws IOException {
        ClusterSettings s = settings();
        if (s != null && Files.exists(model)) s.roots().refer(model); // a missing model is the command's own error (exit 3)
        return s;
    }

    /** Joins the cluster as coordinator (null without --cluster). */
    Coordinator join(Consumer<String> log) throws IOException {
        ClusterSettings s = settings();
        return s == null ? null : Coordinator.join(s, log);
    }
}
