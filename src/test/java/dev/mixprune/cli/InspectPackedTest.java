package dev.mixprune.cli;

import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** inspect on a packed GGUF: sparsity recounted through the packed layers, bytes per layer shown. */
class InspectPackedTest {
    @Test
    void inspectShowsSparsityAndStoredBytesOfAPackedModel(@TempDir Path tmp) throws Exception {
        Path pruned = tmp.resolve("p.bin"), packed = tmp.resolve("p.gguf");
        assertThat(Main.execute("prune", "--quiet", "--model", SharedFiles.stories260KBin().toString(), "--method", "magnitude",
                "--pattern", "2:8", "--out", pruned.toString())).isZero();
        assertThat(Main.execute("pack", "--model", pruned.toString(), "--out", packed.toString())).isZero();
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute("inspect", "--model", packed.toString());
        } finally {
            System.setOut(old);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(code).isZero();
        assertThat(text).contains("overall sparsity of the prunable set: 0.748588", "35 of 35 layers packed").doesNotContain("cannot dequantize");
    }
}
