package dev.mixprune.io;

import dev.mixprune.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The output transaction: input protection, no silent replacement, all-or-nothing, cleanup. */
class OutputSetTest {
    @TempDir Path dir;

    static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSetAppearsOnlyAtCommitManifestLast() throws Exception {
        Path model = dir.resolve("out/x.bin"), tok = dir.resolve("out/tokenizer.bin"), man = dir.resolve("out/x.bin.manifest.json");
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            Path m = s.file(model, OutputSet.Existing.REPLACE, "--out");
            Path t = s.file(tok, OutputSet.Existing.REFUSE, "tokenizer");
            Path f = s.manifest(man, "manifest");
            assertThat(m.getParent()).isEqualTo(t.getParent()).isNotEqualTo(dir.resolve("out"));
            Files.write(m, new byte[]{1});
            Files.write(t, new byte[]{2});
            Files.write(f, new byte[]{3});
            assertThat(names(dir.resolve("out"))).allMatch(n -> n.startsWith(".staging.mixprune-" + ProcessHandle.current().pid() + "-"));
            assertThat(s.finalPath(m)).isEqualTo(model.toAbsolutePath());
            s.commit();
        }
        assertThat(names(dir.resolve("out"))).containsExactly("tokenizer.bin", "x.bin", "x.bin.manifest.json");
        assertThat(Files.readAllBytes(man)).containsExactly(3);
    }

    @Test
    void withoutCommitNothingRemainsNotEvenTheDirectoriesItCreated() throws Exception {
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            Files.write(s.file(dir.resolve("a/b/x.bin"), OutputSet.Existing.REPLACE, "--out"), new byte[10]);
            Path d = s.directory(dir.resolve("a/hf"), "--out");
            Files.write(d.resolve("config.json"), new byte[3]);
        }
        assertThat(names(dir)).isEmpty();
        assertThat(dev.mixprune.Temporaries.live()).noneMatch(p -> p.startsWith(dir));
    }

    @Test
    void inputsAreRefusedBySamePathSymlinkAndHardLink() throws Exception {
        Path in = Files.write(dir.resolve("model.bin"), new byte[]{7, 7});
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), in);
        Path hard = Files.createLink(dir.resolve("hard.bin"), in);
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path viaDots = sub.resolve("../model.bin");
        for (Path target : List.of(in, link, hard, viaDots)) {
            try (OutputSet s = OutputSet.begin(List.of(in), true)) {
                assertThatThrownBy(() -> s.file(target, OutputSet.Existing.REPLACE, "--out")).as(target.toString())
                        .isInstanceOf(UsageException.class).hasMessageContaining("--out").hasMessageContaining("input");
            }
        }
        // A directory output may not contain an input either (replacing it would delete the input).
        try (OutputSet s = OutputSet.begin(List.of(in), true)) {
            assertThatThrownBy(() -> s.directory(dir, "--out")).isInstanceOf(UsageException.class).hasMessageContaining("contains an input");
        }
        assertThat(Files.readAllBytes(in)).containsExactly(7, 7);
        assertThat(names(dir)).containsExactly("hard.bin", "link.bin", "model.bin", "sub");
    }

    @Test
    void existingFilesAreReplacedOnlyWhenNamedOrForced() throws Exception {
        Path named = Files.write(dir.resolve("x.bin"), new byte[]{1});
        Path fixed = Files.write(dir.resolve("tokenizer.bin"), new byte[]{2});
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            s.file(named, OutputSet.Existing.REPLACE, "--out");
            assertThatThrownBy(() -> s.file(fixed, OutputSet.Existing.REFUSE, "tokenizer beside --out"))
                    .isInstanceOf(UsageException.class).hasMessageContaining("tokenizer.bin exists").hasMessageContaining("--force");
        }
        // The same bytes are no replacement: nothing to write, nothing refused.
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            Files.write(s.fileUnlessSame(fixed, new byte[]{2}, "tokenizer"), new byte[]{2});
            s.commit();
        }
        assertThat(Files.readAllBytes(fixed)).containsExactly(2);
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            assertThatThrownBy(() -> s.fileUnlessSame(fixed, new byte[]{3}, "tokenizer")).isInstanceOf(UsageException.class);
        }
        try (OutputSet s = OutputSet.begin(List.of(), true)) {
            Files.write(s.file(fixed, OutputSet.Existing.REFUSE, "tokenizer"), new byte[]{4});
            s.commit();
        }
        assertThat(Files.readAllBytes(fixed)).containsExactly(4);
        // A non-empty directory needs --force; a file where a directory is wanted never works.
        Files.write(Files.createDirectory(dir.resolve("run")).resolve("old.json"), new byte[1]);
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            assertThatThrownBy(() -> s.directory(dir.resolve("run"), "--out")).isInstanceOf(UsageException.class).hasMessageContaining("not empty");
            assertThatThrownBy(() -> s.directory(named, "--out2")).isInstanceOf(UsageException.class).hasMessageContaining("not a directory");
            assertThatThrownBy(() -> s.file(dir.resolve("run"), OutputSet.Existing.REPLACE, "--out3")).isInstanceOf(UsageException.class)
                    .hasMessageContaining("is a directory");
            assertThatThrownBy(() -> s.file(named.resolve("y.bin"), OutputSet.Existing.REPLACE, "--out4")).isInstanceOf(UsageException.class)
                    .hasMessageContaining("not a directory");
        }
        try (OutputSet s = OutputSet.begin(List.of(), true)) {
            Files.write(s.directory(dir.resolve("run"), "--out").resolve("new.json"), new byte[2]);
            s.commit();
        }
        assertThat(names(dir.resolve("run"))).containsExactly("new.json");
    }

    @Test
    void twoOutputsAtOnePathAreRefused() throws Exception {
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            s.file(dir.resolve("p.json"), OutputSet.Existing.REPLACE, "--out");
            assertThatThrownBy(() -> s.file(dir.resolve("./p.json"), OutputSet.Existing.REPLACE, "--trace"))
                    .isInstanceOf(UsageException.class).hasMessageContaining("--trace").hasMessageContaining("another output");
        }
    }

    @Test
    void aFailedCommitRemovesWhatItMovedAndPutsBackWhatItReplaced() throws Exception {
        Path old = Files.write(dir.resolve("x.bin"), new byte[]{1});
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            Files.write(s.file(old, OutputSet.Existing.REPLACE, "--out"), new byte[]{9});
            Files.write(s.file(dir.resolve("tokenizer.bin"), OutputSet.Existing.REFUSE, "tok"), new byte[]{8});
            Path man = s.manifest(dir.resolve("x.bin.manifest.json"), "manifest");
            Files.write(man, new byte[]{7});
            // The manifest's move fails: its target became a non-empty directory meanwhile.
            Files.write(Files.createDirectory(dir.resolve("x.bin.manifest.json")).resolve("blocker"), new byte[1]);
            assertThatThrownBy(s::commit).isInstanceOf(OutputException.class).hasMessageContaining("x.bin.manifest.json");
        }
        assertThat(Files.readAllBytes(old)).containsExactly(1);
        assertThat(dir.resolve("tokenizer.bin")).doesNotExist();
        assertThat(names(dir)).containsExactly("x.bin", "x.bin.manifest.json");
    }

    @Test
    void staleTemporariesOfDeadProcessesAreRemovedAndBackupsPutBack() throws Exception {
        long dead = deadPid();
        Path tmp = Files.write(dir.resolve(".x.bin.mixprune-" + dead + "-0-abc.tmp"), new byte[3]);
        Path stagingDir = Files.createDirectory(dir.resolve(".staging.mixprune-" + dead + "-0-def.tmp"));
        Files.write(stagingDir.resolve("x.bin"), new byte[3]);
        Path backup = Files.write(dir.resolve(".tokenizer.bin.mixprune-" + dead + "-0-ghi.bak"), new byte[]{5});
        Path mine = Files.write(dir.resolve(".y.bin.mixprune-" + ProcessHandle.current().pid() + "-0-jkl.tmp"), new byte[1]);
        Path foreign = Files.write(dir.resolve(".z.bin.12345.tmp"), new byte[1]);
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            s.file(dir.resolve("w.bin"), OutputSet.Existing.REPLACE, "--out");
        }
        assertThat(tmp).doesNotExist();
        assertThat(stagingDir).doesNotExist();
        assertThat(backup).doesNotExist();
        assertThat(Files.readAllBytes(dir.resolve("tokenizer.bin"))).containsExactly(5);
        assertThat(mine).exists();
        assertThat(foreign).exists();
    }

    /** A pid no process has: a child that has exited (pids are not reused that quickly). */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long pid = p.pid();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        return pid;
    }

    @Test
    void writeErrorsWithoutAPathGetTheOutputsPath() throws Exception {
        try (OutputSet s = OutputSet.begin(List.of(), false)) {
            s.file(dir.resolve("x.bin"), OutputSet.Existing.REPLACE, "--out");
            IOException named = s.named(new IOException("No space left on device"));
            assertThat(named).isInstanceOf(OutputException.class);
            assertThat(IoMessages.describe(named)).isEqualTo("cannot write " + dir.resolve("x.bin").toAbsolutePath() + ": No space left on device");
        }
    }
}
