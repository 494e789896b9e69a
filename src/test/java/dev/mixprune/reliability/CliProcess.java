package dev.mixprune.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code mixprune} in a separate JVM on the test class path: for what an in-process call
 * cannot show (signals, kill -9, a fresh JIT, another thread count, a small heap).
 */
final class CliProcess {
    private CliProcess() {}

    record Result(int exit, String out, String err) {}

    /** The command line: this JVM's java, the Vector API module, the given JVM options, Main and the arguments. */
    static List<String> command(List<String> jvmOptions, List<String> args) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseParallelGC"));
        cmd.addAll(jvmOptions);
        String shared = dev.mixprune.SharedFiles.root().toString();
        cmd.add("-Dmixprune.shared=" + shared);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.mixprune.cli.Main"));
        cmd.addAll(args);
        return cmd;
    }

    static Process start(Path dir, List<String> jvmOptions, List<String> args, Path stdout, Path stderr) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(jvmOptions, args)).directory(dir.toFile());
        pb.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().remove("MIXPRUNE_DEBUG");
        return pb.start();
    }

    /** Runs to completion (at most 5 minutes). */
    static Result run(Path dir, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "stdout", ".txt"), err = Files.createTempFile(dir, "stderr", ".txt");
        try {
            Process p = start(dir, jvmOptions, List.of(args), out, err);
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("mixprune " + String.join(" ", args) + " did not finish in 5 minutes");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
