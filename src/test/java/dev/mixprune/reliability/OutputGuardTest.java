package dev.mixprune.reliability;

import dev.mixprune.SharedFiles;
import dev.mixprune.cli.Main;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13 F1, F1b, F7 (outputs): no command destroys one of its inputs, nothing is replaced
 * silently, unusable output paths are usage errors with the path and no Java class names.
 */
class OutputGuardTest {
    @TempDir Path dir;
    Path model, tok;

    @BeforeEach
    void copyTheModel() throws IOException {
        model = Files.copy(SharedFiles.require(SharedFiles.stories260KBin()), dir.resolve("self.bin"));
        tok = Files.copy(SharedFiles.require(SharedFiles.tok512()), dir.resolve("tok512.bin"));
    }

    /** Name and sha-256 of every file in the directory tree, hidden ones included. */
    static Map<String, String> snapshot(Path d) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(d.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return m;
    }

    void refused(Map<String, String> before, String message, String... args) throws Exception {
        Cli.Run r = Cli.run(args);
        assertThat(r.exit()).as("%s -> %s", List.of(args), r.err()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).as(List.of(args).toString()).contains(message).doesNotContain("Exception").doesNotContain("java.");
        assertThat(snapshot(dir)).as("nothing changed, nothing left: %s", List.of(args)).isEqualTo(before);
    }

    /** F1: --out (and every other output) equal to an input is refused before any work; the input stays byte-identical. */
    @Test
    void outputsThatAreInputsAreRefused() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), model);
        Path hard = Files.createLink(dir.resolve("hard.bin"), model);
        Path calib = Files.writeString(dir.resolve("calib.txt"), "Once upon a time there was a cat.\n\nIt sat.\n");
        Map<String, String> before = snapshot(dir);
        String m = model.toString();
        for (Path out : List.of(model, link, hard, dir.resolve("sub/../self.bin"))) {
            refused(before, "is an input", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--out", out.toString());
        }
        refused(before, "is an input", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--out", tok.toString());
        refused(before, "is an input", "prune", "-q", "--model", m, "--method", "wanda", "--sparsity", "0.5", "--calib", calib.toString(),
                "--out", calib.toString());
        refused(before, "is an input", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--format", "safetensors",
                "--out", m);
        refused(before, "contains an input", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--format", "safetensors",
                "--out", dir.toString(), "--force");
        refused(before, "is an input", "sensitivity", "-q", "--model", m, "--out", m);
        refused(before, "is an input", "search", "-q", "--model", m, "--sparsity", "0.5", "--out", m);
        refused(before, "is an input", "search", "-q", "--model", m, "--sparsity", "0.5", "--out", dir.resolve("p.json").toString(), "--trace", m);
        refused(before, "is an input", "pack", "--model", m, "--out", m);
        refused(before, "is an input", "ppl", "-q", "--model", m, "--text", calib.toString(), "--seqlen", "8", "--dump-windows", calib.toString());
        refused(before, "is an input", "eval", "-q", "--model", m, "--tasks", "none", "--ppl", calib.toString(), "--out", m);
        refused(before, "contains an input", "run", "--quiet", "--model", m, "--out", dir.toString(), "--force");
        // --force never makes an input writable.
        refused(before, "is an input", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--out", m, "--force");
    }

    /** F1b: a tokenizer.bin already beside --out is not replaced silently; identical content is no replacement. */
    @Test
    void anExistingTokenizerBesideTheOutputIsRefusedUnlessForcedOrIdentical() throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        Path foreign = Files.write(out.resolve("tokenizer.bin"), new byte[]{1, 2, 3});
        Map<String, String> before = snapshot(dir);
        String[] args = {"prune", "-q", "--model", model.toString(), "--method", "magnitude", "--sparsity", "0.5", "--out", out.resolve("x.bin").toString()};
        refused(before, "tokenizer.bin exists", args);
        assertThat(Files.readAllBytes(foreign)).containsExactly(1, 2, 3);

        String[] forced = Stream.concat(Stream.of(args), Stream.of("--force")).toArray(String[]::new);
        Cli.Run r = Cli.run(forced);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(foreign)).isEqualTo(Files.readAllBytes(tok));
        // Now tokenizer.bin holds the model's own vocabulary: pruning again into the folder needs no --force.
        Files.delete(out.resolve("x.bin"));
        r = Cli.run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(names(out)).containsExactly("tokenizer.bin", "x.bin", "x.bin.manifest.json");
    }

    /** F7: unusable output paths are usage errors naming the path (they were exit 1 with Java exception names). */
    @Test
    void unusableOutputPathsAreUsageErrors() throws Exception {
        Path aDir = Files.createDirectory(dir.resolve("adir"));
        Files.write(aDir.resolve("keep.txt"), new byte[]{1});
        Map<String, String> before = snapshot(dir);
        String m = model.toString();
        refused(before, "is a directory", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--out", aDir.toString());
        refused(before, "not a directory", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5",
                "--out", model.resolve("x.bin").toString());
        refused(before, "not empty", "prune", "-q", "--model", m, "--method", "magnitude", "--sparsity", "0.5", "--format", "safetensors",
                "--out", aDir.toString());
        refused(before, "not empty", "run", "--quiet", "--model", m, "--out", aDir.toString());
        refused(before, "is a directory", "sensitivity", "-q", "--model", m, "--out", aDir.toString());
    }

    static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
