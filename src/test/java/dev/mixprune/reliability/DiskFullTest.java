package dev.mixprune.reliability;

import dev.mixprune.SharedFiles;
import dev.mixprune.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 13 F4: when the disk fills, nothing of the output set stays (it used to leave the model and
 * tokenizer.bin without a manifest), and the message names the path and the reason without Java
 * class names. A real full disk: a small tmpfs, which needs the right to mount (root in a
 * container); skipped where that is not allowed.
 */
class DiskFullTest {
    static boolean sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFullDiskLeavesNoPartOfTheOutputs(@TempDir Path dir) throws Exception {
        Path model = SharedFiles.require(SharedFiles.stories260KBin());
        // stories260K.bin takes 258 pages of 4 KiB and tokenizer.bin 2: the manifest (3 pages) does not fit in 260.
        for (String size : List.of("1040k", "600k")) {
            Path mnt = Files.createDirectories(dir.resolve("disk-" + size));
            assumeTrue(sh("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt.toString()), "cannot mount a tmpfs here");
            String oldMargin = System.getProperty("mixprune.diskMarginBytes");
            System.setProperty("mixprune.diskMarginBytes", "0");   // the pre-flight check would refuse a disk this small
            try {
                Path out = mnt.resolve("out/x.bin");
                Cli.Run r = Cli.run("prune", "-q", "--model", model.toString(), "--tokenizer", SharedFiles.tok512().toString(),
                        "--method", "magnitude", "--sparsity", "0.5", "--out", out.toString());
                assertThat(r.exit()).as(r.err()).isEqualTo(Main.EXIT_FAILURE);
                // 1040k: the writes fail (ENOSPC on the manifest); 600k: the pre-flight check sees that the model cannot fit.
                assertThat(r.err()).as(size).contains(size.equals("1040k") ? "No space left on device" : "of disk here, but only")
                        .contains(mnt.resolve("out").toString())
                        .doesNotContain("Exception").doesNotContain("java.");
                assertThat(names(mnt)).as("disk of %s after the failure", size).isEmpty();
            } finally {
                if (oldMargin == null) System.clearProperty("mixprune.diskMarginBytes");
                else System.setProperty("mixprune.diskMarginBytes", oldMargin);
                sh("umount", mnt.toString());
            }
        }
    }
}
