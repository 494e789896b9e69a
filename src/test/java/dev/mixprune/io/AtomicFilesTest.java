package dev.mixprune.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicFilesTest {
    @Test
    void outputIsReadableLikeAnyNewFileAndNoTempIsLeft(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("a.bin");
        AtomicFiles.write(out, new byte[]{1, 2, 3});
        assertThat(Files.readAllBytes(out)).containsExactly(1, 2, 3);
        Path plain = Files.createFile(tmp.resolve("plain"));
        if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
            // Same permissions as a file created the ordinary way (umask), not createTempFile's 0600.
            assertThat(Files.getPosixFilePermissions(out)).isEqualTo(Files.getPosixFilePermissions(plain));
            assertThat(Files.getPosixFilePermissions(out)).contains(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
        try (var s = Files.list(tmp)) { assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("a.bin", "plain"); }
    }

    @Test
    void failedWriteKeepsTheOldFileAndRemovesTheTemp(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("a.bin");
        AtomicFiles.write(out, new byte[]{9});
        assertThatThrownBy(() -> AtomicFiles.writeStream(out, o -> { o.write(1); throw new IOException("boom"); })).hasMessage("boom");
        assertThat(Files.readAllBytes(out)).containsExactly(9);
        try (var s = Files.list(tmp)) { assertThat(s.count()).isEqualTo(1); }
    }
}
