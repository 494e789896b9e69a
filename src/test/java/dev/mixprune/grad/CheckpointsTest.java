package dev.mixprune.grad;

import dev.mixprune.BadInputException;
import dev.mixprune.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointsTest {
    @TempDir Path dir;

    static Matrix random(Random r, int rows, int cols) {
        Matrix m = new Matrix(rows, cols);
        for (int i = 0; i < m.size(); i++) m.data()[i] = (float) r.nextGaussian();
        return m;
    }

    @Test
    void fileCheckpointsRoundTripAndLeaveNothingBehind() throws Exception {
        Random r = new Random(1);
        Path sub = dir.resolve("ck");
        Matrix[] saved = new Matrix[3];
        try (Checkpoints c = Checkpoints.tempFile(sub, 3, 20, 7)) {
            for (int b = 0; b < 3; b++) c.put(b, saved[b] = random(r, b == 2 ? 13 : 20, 7)); // a shorter last batch fits its slot
            for (int b = 2; b >= 0; b--) {
                Matrix back = new Matrix(saved[b].rows(), 7);
                c.get(b, back);
                assertThat(back.data()).containsExactly(saved[b].data());
            }
            assertThatThrownBy(() -> c.put(0, new Matrix(21, 7))).hasMessageContaining("larger than a slot");
        }
        try (var s = Files.list(sub)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void inMemoryCheckpointsRoundTrip() {
        Random r = new Random(2);
        try (Checkpoints c = Checkpoints.inMemory(2)) {
            Matrix a = random(r, 4, 3);
            c.put(1, a);
            a.data()[0] = 99; // a copy was kept
            Matrix back = new Matrix(4, 3);
            c.get(1, back);
            assertThat(back.data()[0]).isNotEqualTo(99);
            assertThatThrownBy(() -> c.get(0, back)).hasMessageContaining("no checkpoint");
        }
    }

    @Test
    void refusesWhenTheDiskIsTooSmall() {
        assertThatThrownBy(() -> Checkpoints.tempFile(dir, 1 << 20, 1 << 20, 1 << 10))
                .isInstanceOf(BadInputException.class).hasMessageContaining(dir.toString()).hasMessageContaining("GB free");
    }
}
