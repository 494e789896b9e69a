package dev.mixprune.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13 F3 and the kill tests: {@code prune} and {@code search} in a subprocess, killed at
 * random points with SIGTERM and with SIGKILL. After every kill the final paths are absent or
 * complete (byte-identical to an uninterrupted run), the input is byte-identical, SIGTERM leaves
 * no temporary, and the next run removes what SIGKILL left; {@code search --resume} after a kill
 * ends with the plan of an uninterrupted run.
 *
 * <p>Kill points: prune (magnitude, stories260K) pauses 150 ms after each block
 * ({@code -Dmixprune.debug.blockPauseMs}) and is killed at a seeded random time after its first
 * block line, i.e. somewhere in the writing of blocks 1..5, the commit or after it; search is killed
 * at a random time after generation 1 (a checkpoint exists). By default one point per signal for
 * prune and one SIGKILL for search (about 10 JVM starts); {@code -Dmixprune.kill.points=N} runs N
 * points per signal and command.
 */
class KillTest {
    static final int POINTS = Integer.getInteger("mixprune.kill.points", 1);
    static final List<String> JVM = List.of("-Xmx1g", "-Dmixprune.threads=2", "-Dmixprune.debug.blockPauseMs=150");

    record Outcome(int exit, String err, boolean killed) {}

    /** Starts the command; kills it with the signal once {@code marker} appeared on stderr (or at once) plus {@code delayMs}. */
    static Outcome runAndKill(Path dir, boolean sigkill, String marker, long delayMs, String... args) throws Exception {
        Path out = dir.resolve("kill-stdout.txt"), err = dir.resolve("kill-stderr.txt");
        Process p = CliProcess.start(dir, JVM, List.of(args), out, err);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        if (marker != null) {
            while (p.isAlive() && !Files.readString(err).contains(marker)) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("no '" + marker + "' on stderr");
                Thread.sleep(20);
            }
        }
        Thread.sleep(delayMs);
        boolean killed = p.isAlive();
        if (sigkill) p.destroyForcibly();
        else p.destroy();   // SIGTERM
        if (!p.waitFor(5, TimeUnit.MINUTES)) throw new IllegalStateException("did not stop");
        String e = Files.readString(err, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return new Outcome(p.exitValue(), e, killed);
    }

    /** The files a run may leave: the inputs, the outputs, the checkpoint, the captured output. Anything else is a leftover. */
    static final java.util.Set<String> EXPECTED = java.util.Set.of("in.bin", "tok512.bin", "kill-stdout.txt", "kill-stderr.txt",
            "out/p.bin", "out/tokenizer.bin", "out/p.bin.manifest.json", "s/plan.json", "s/search-trace.json", "s/plan.json.checkpoint.json");

    static List<String> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString())
                    .filter(n -> !EXPECTED.contains(n) && !n.equals("out") && !n.equals("s")).toList();
        }
    }

    static byte[] bytesOrNull(Path p) throws IOException { return Files.exists(p) ? Files.readAllBytes(p) : null; }

    @Test
    void pruneKilledAnywhereLeavesNothingHalfWritten(@TempDir Path dir) throws Exception {
        Path model = Files.copy(SharedFiles.require(SharedFiles.stories260KBin()), dir.resolve("in.bin"));
        Files.copy(SharedFiles.require(SharedFiles.tok512()), dir.resolve("tok512.bin"));
        byte[] input = Files.readAllBytes(model);
        Path outDir = dir.resolve("out"), out = outDir.resolve("p.bin"), manifest = outDir.resolve("p.bin.manifest.json");
        String[] args = {"prune", "--model", model.toString(), "--method", "magnitude", "--sparsity", "0.5", "--out", out.toString()};

        CliProcess.Result ref = CliProcess.run(dir, JVM, args);
        assertThat(ref.exit()).as(ref.err()).isZero();
        byte[] refModel = Files.readAllBytes(out), refTok = Files.readAllBytes(outDir.resolve("tokenizer.bin"));
        deleteTree(outDir);

        Random rnd = new Random(13);
        List<String> log = new ArrayList<>();
        for (boolean sigkill : new boolean[]{false, true}) {
            for (int i = 0; i < POINTS; i++) {
                long delay = rnd.nextInt(900);   // 5 blocks x 150 ms pause, then the commit
                Outcome o = runAndKill(dir, sigkill, "block 1/5", delay, args);
                log.add((sigkill ? "SIGKILL" : "SIGTERM") + " at block 1/5 + " + delay + " ms: exit " + o.exit());
                assertThat(Files.readAllBytes(model)).as("input untouched").isEqualTo(input);
                // Each final file is absent or complete; the manifest (last) only with the model.
                byte[] m = bytesOrNull(out), t = bytesOrNull(outDir.resolve("tokenizer.bin"));
                if (m != null) assertThat(m).as("model after %s", log.getLast()).isEqualTo(refModel);
                if (t != null) assertThat(t).isEqualTo(refTok);
                if (Files.exists(manifest)) {
                    assertThat(m).as("the manifest is moved last").isNotNull();
                    JsonNode j = new ObjectMapper().readTree(manifest.toFile());
                    assertThat(j.path("sparsity").path("overall").asDouble()).isEqualTo(0.5);
                }
                if (!sigkill) assertThat(temporaries(dir)).as("SIGTERM leaves no temporary: %s", log.getLast()).isEmpty();
                // The next run (a fresh start) removes what a SIGKILL left and completes the outputs.
                CliProcess.Result again = CliProcess.run(dir, JVM, args);
                assertThat(again.exit()).as(again.err()).isZero();
                assertThat(temporaries(dir)).as("after the rerun").isEmpty();
                assertThat(Files.readAllBytes(out)).isEqualTo(refModel);
                deleteTree(outDir);
            }
        }
        System.out.println("KillTest prune: " + log);
    }

    @Test
    void searchKilledThenResumedEndsWithTheUninterruptedPlan(@TempDir Path dir) throws Exception {
        Path model = Files.copy(SharedFiles.require(SharedFiles.stories260KBin()), dir.resolve("in.bin"));
        Files.copy(SharedFiles.require(SharedFiles.tok512()), dir.resolve("tok512.bin"));
        Path plan = dir.resolve("s/plan.json");
        List<String> base = List.of("search", "--model", model.toString(), "--sparsity", "0.6", "--generations", "3", "--population", "3",
                "--nsamples", "2", "--fitness-windows", "2", "--seqlen", "32", "--stage-tokens", "32,64", "--stage-survivors", "2",
                "--out", plan.toString());
        CliProcess.Result ref = CliProcess.run(dir, JVM, base.toArray(String[]::new));
        assertThat(ref.exit()).as(ref.err()).isZero();
        byte[] refPlan = Files.readAllBytes(plan);
        deleteTree(plan.getParent());

        List<String> resumeArgs = new ArrayList<>(base);
        resumeArgs.add("--resume");
        Random rnd = new Random(17);
        for (boolean sigkill : POINTS > 1 ? new boolean[]{true, false} : new boolean[]{true}) {
            for (int i = 0; i < POINTS; i++) {
                // After generation 1 a checkpoint exists; the kill lands somewhere in the next generations.
                Outcome o = runAndKill(dir, sigkill, "gen   1/3", rnd.nextInt(300), resumeArgs.toArray(String[]::new));
                assertThat(Files.exists(plan) ? Files.readAllBytes(plan) : refPlan).as("a plan that exists is complete").isEqualTo(refPlan);
                if (!sigkill) assertThat(temporaries(dir)).as("SIGTERM leaves no temporary").isEmpty();
                CliProcess.Result resumed = CliProcess.run(dir, JVM, resumeArgs.toArray(String[]::new));
                assertThat(resumed.exit()).as(resumed.err()).isZero();
                assertThat(Files.readAllBytes(plan)).as("resumed after %s (exit %d)", sigkill ? "SIGKILL" : "SIGTERM", o.exit()).isEqualTo(refPlan);
                assertThat(temporaries(dir)).isEmpty();
                deleteTree(plan.getParent());
            }
        }
    }

    static void deleteTree(Path d) throws IOException {
        if (!Files.exists(d)) return;
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
