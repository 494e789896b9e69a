package dev.mixprune.io;

import java.io.IOException;
import java.nio.file.Path;

/** Writing an output failed: names the output's final path and the reason (e.g. "No space left on device"). */
public final class OutputException extends IOException {
    private final Path path;

    public OutputException(Path path, String what, IOException cause) {
        super("cannot " + what + " " + path + ": " + IoMessages.reason(cause), cause);
        this.path = path;
    }

    public Path path() { return path; }
}
