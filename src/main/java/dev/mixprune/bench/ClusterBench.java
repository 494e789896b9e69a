package dev.mixprune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixprune.allocate.Budget;
import dev.mixprune.allocate.CandidateEvaluator;
import dev.mixprune.allocate.DenseStatistics;
import dev.mixprune.allocate.Granularity;
import dev.mixprune.allocate.InitialPopulation;
import dev.mixprune.allocate.KlFitness;
import dev.mixprune.allocate.Levels;
import dev.mixprune.allocate.Rng;
import dev.mixprune.allocate.ScoredLevels;
import dev.mixprune.allocate.SearchSpace;
import dev.mixprune.allocate.TokenSample;
import dev.mixprune.cluster.ClusterSettings;
import dev.mixprune.cluster.Coordinator;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.resources.HeapGuard;
import dev.mixprune.tensor.KernelInfo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;

/**
 * Throughput of candidate evaluation on a cluster (scripts/bench-cluster.sh): the same generation
 * (the same candidates on the same token sample) evaluated by 1 worker and by 2 workers, each a
 * separate JVM with one kernel thread, this process being the coordinator (a lite member that
 * evaluates nothing). Prints evaluations per second of both, their ratio, the per-candidate
 * overhead (coordinator wall time per candidate minus the workers' own evaluation time, i.e.
 * serialisation, network and scheduling) as a fraction of one evaluation, and the TCP bytes this
 * process exchanged with the workers during the timed generation (from {@code ss -tinp}). The two
 * runs' fitness values must be identical.
 *
 * <pre>
 * ClusterBench write OUT.gguf VOCAB.gguf [dim hidden layers heads]      (default 768 2048 12 12: 134 M parameters with a 32k vocabulary)
 * ClusterBench run MODEL.gguf [candidates tokens]                        (default 24 256: the default search's first stage)
 * </pre>
 */
public final class ClusterBench {
    private ClusterBench() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write" -> write(Path.of(args[1]), Path.of(args[2]), args.length > 3 ? Arrays.copyOfRange(args, 3, args.length) : new String[0]);
            case "run" -> run(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 24, args.length > 3 ? Integer.parseInt(args[3]) : 256);
            default -> throw new IllegalArgumentException("usage: ClusterBench write OUT VOCAB [dim hidden layers heads] | run MODEL [candidates tokens]");
        }
    }

    static void write(Path out, Path vocabFrom, String[] shape) throws IOException {
        int dim = shape.length > 0 ? Integer.parseInt(shape[0]) : 768, hidden = shape.length > 1 ? Integer.parseInt(shape[1]) : 2048;
        int layers = shape.length > 2 ? Integer.parseInt(shape[2]) : 12, heads = shape.length > 3 ? Integer.parseInt(shape[3]) : 12;
        var vocab = TokenizerFiles.read(vocabFrom, 32000);
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, heads, vocab.size(), 1024, 1e-5f, 10000f, false);
        SyntheticLlama.writeStreaming(out, c, vocab, 1, TensorDType.F32);
        System.out.printf(Locale.ROOT, "model %s: dim %d, hidden %d, %d blocks, vocabulary %d: %,d parameters%n", out.getFileName(), dim, hidden,
                layers, vocab.size(), c.parameterCount());
    }

    record Phase(int workers, double seconds, double workerSeconds, long bytesSent, long bytesReceived, double[] values) {
        double evalsPerSecond(int n) { return n / seconds; }
    }

    static void run(Path model, int candidates, int tokens) throws Exception {
        System.out.printf(Locale.ROOT, "# %s, %d cores, load %s, %s%n", java.time.Instant.now(), Runtime.getRuntime().availableProcessors(),
                Files.readString(Path.of("/proc/loadavg")).trim(), KernelInfo.describe());
        Path scratch = Files.createTempDirectory(model.toAbsolutePath().getParent(), ".cluster-bench-");
        try (BlockSource src = MappedBlockSource.openWeights(model)) {
            LlamaConfig c = src.config();
            Random r = new Random(7);
            int len = Math.min(c.seqLen(), Math.max(tokens, 256));
            List<int[]> stats = windows(r, 4, 128, c.vocabSize()), fit = windows(r, 8, len, c.vocabSize());
            SearchSpace space = new SearchSpace(c, Levels.unstructured(0.025), Granularity.LAYER);
            long t0 = System.nanoTime();
            ScoredLevels.Builder b = new ScoredLevels.Builder(space, PruneMethod.WANDA, scratch.resolve("cuts.bin"));
            DenseStatistics.run(src, stats, false, 4, HeapGuard.none(), b);
            try (ScoredLevels masks = b.finish()) {
                KlFitness fitness = new KlFitness(src, masks, fit, KlFitness.Options.defaults(KlFitness.Kind.KL, c), "bench", HeapGuard.none());
                System.out.printf(Locale.ROOT, "model %s: %,d parameters; setup (statistics, cuts, dense targets) %.1f s%n", model.getFileName(),
                        c.parameterCount(), (System.nanoTime() - t0) / 1e9);
                List<int[]> genomes = InitialPopulation.random(Budget.of(space, 0.75), candidates + 4, 11);
                List<int[]> warm = genomes.subList(candidates, candidates + 4), timed = genomes.subList(0, candidates);
                TokenSample sample = TokenSample.draw(fit.size(), len, tokens, new Rng(5));
                String name = "bench-" + ProcessHandle.current().pid();
                int[] ports = {Coordinator.freePort(ClusterSettings.LOOPBACK), Coordinator.freePort(ClusterSettings.LOOPBACK)};
                String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
                List<Process> workers = new ArrayList<>();
                ClusterSettings cs = new ClusterSettings(name, List.of(members.split(",")), ClusterSettings.LOOPBACK, 0,
                        List.of(model.toAbsolutePath().getParent()), Duration.ofSeconds(600));
                workers.add(startWorker(name, ports[0], members, model.toAbsolutePath().getParent()));
                try (Coordinator co = Coordinator.join(cs, System.err::println)) {
                    List<Phase> phases = new ArrayList<>();
                    for (int n = 1; n <= 2; n++) {
                        if (n > 1) workers.add(startWorker(name, ports[n - 1], members, model.toAbsolutePath().getParent()));
                        try (CandidateEvaluator ev = co.searchEvaluators(model, n).open(fitness, scratch)) {
                            ev.evaluate(warm.subList(0, 2 * n), sample); // JIT warm-up on every worker, not timed
                            JsonNode before = co.traceBlock();
                            long[] b0 = tcpBytes();
                            long ts = System.nanoTime();
                            double[] values = ev.evaluate(timed, sample);
                            double secs = (System.nanoTime() - ts) / 1e9;
                            long[] b1 = tcpBytes();
                            double work = seconds(co.traceBlock()) - seconds(before);
                            phases.add(new Phase(n, secs, work, b1[0] - b0[0], b1[1] - b0[1], values));
                        }
                    }
                    report(phases, candidates, tokens);
                } finally {
                    for (Process p : workers) p.destroy();
                }
            }
        } finally {
            try (var l = Files.walk(scratch)) {
                for (Path p : l.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    static void report(List<Phase> phases, int n, int tokens) {
        for (Phase p : phases) {
            double perEval = p.workerSeconds() / n;                         // one evaluation, as the workers timed it
            double overhead = (p.seconds() * p.workers() - p.workerSeconds()) / n; // worker-time per candidate not spent evaluating
            System.out.printf(Locale.ROOT, "%d worker%s x 1 thread: %d candidates x %d tokens in %.2f s = %.3f evaluations/s; one evaluation %.3f s; "
                            + "overhead per candidate %.1f ms = %.2f%% of an evaluation; TCP %,d bytes out, %,d in (%,.0f per candidate)%n",
                    p.workers(), p.workers() == 1 ? " " : "s", n, tokens, p.seconds(), p.evalsPerSecond(n), perEval, overhead * 1e3,
                    100 * overhead / perEval, p.bytesSent(), p.bytesReceived(), (double) (p.bytesSent() + p.bytesReceived()) / n);
        }
        Phase one = phases.get(0), two = phases.get(1);
        System.out.printf(Locale.ROOT, "ratio 2 workers / 1 worker: %.2fx evaluations/s%n", two.evalsPerSecond(n) / one.evalsPerSecond(n));
        System.out.println("fitness values of the two runs " + (Arrays.equals(one.values(), two.values()) ? "identical" : "DIFFER"));
    }

    static double seconds(JsonNode block) {
        double s = 0;
        for (JsonNode m : block.get("members")) s += m.get("seconds").asDouble();
        return s;
    }

    static List<int[]> windows(Random r, int n, int len, int vocab) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(r.ints(len, 0, vocab).toArray());
        return out;
    }

    /** A worker JVM with one kernel thread, this JVM's class path; returns once it has joined. */
    static Process startWorker(String name, int port, String members, Path modelsRoot) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmx4g", "-XX:MaxNewSize=256m",
                "-Dmixprune.threads=1", "-cp", System.getProperty("java.class.path"), "dev.mixprune.cli.Main", "worker",
                "--cluster", name, "--port", Integer.toString(port), "--members", members, "--models-root", modelsRoot.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String l; (l = out.readLine()) != null; ) {
            System.err.println("bench: " + l);
            if (l.startsWith("members:")) break;
        }
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) { /* keep the pipe empty */ }
            } catch (IOException ignored) {
                // the worker stopped
            }
        });
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    /** Bytes sent and received so far on this process's established TCP connections ({@code ss -tinp}). */
    static long[] tcpBytes() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-tinpH", "state", "established").redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        long pid = ProcessHandle.current().pid(), sent = 0, received = 0;
        String[] lines = text.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (!lines[i].contains("pid=" + pid + ",")) continue;
            String info = lines[i + 1];
            sent += field(info, "bytes_sent");
            received += field(info, "bytes_received");
        }
        return new long[]{sent, received};
    }

    private static long field(String info, String name) {
        Matcher m = java.util.regex.Pattern.compile("\\b" + name + ":(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
