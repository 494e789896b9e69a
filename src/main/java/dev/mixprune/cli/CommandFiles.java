package dev.mixprune.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The files a command reads, for {@link dev.mixprune.io.OutputSet}: no output may be one of them.
 * Generous on purpose: a model's directory contributes every file in it, a llama2.c model both
 * tokenizer files that may sit beside it (whichever the lookup picks).
 */
final class CommandFiles {
    private CommandFiles() {}

    /** A model (file or HF directory) and its tokenizer (explicit, or the ones the lookup may find beside a .bin). */
    static List<Path> model(Path model, Path tokenizer) {
        List<Path> in = new ArrayList<>();
        if (model != null) {
            in.add(model);
            if (Files.isDirectory(model)) {
                try (Stream<Path> s = Files.list(model)) {
                    s.filter(Files::isRegularFile).forEach(in::add);
                } catch (IOException unreadable) {
                    // the reader reports it
                }
            } else {
                Path dir = model.toAbsolutePath().getParent();
                if (dir != null) for (String n : new String[]{"tok512.bin", "tokenizer.bin", "tokenizer.model", "tokenizer.json"}) in.add(dir.resolve(n));
            }
        }
        if (tokenizer != null) in.add(tokenizer);
        return in;
    }

    /** The model's files plus other inputs (nulls ignored). */
    static List<Path> of(List<Path> model, Path... more) {
        List<Path> in = new ArrayList<>(model);
        Arrays.stream(more).filter(Objects::nonNull).forEach(in::add);
        return in;
    }
}
