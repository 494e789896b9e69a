package dev.mixprune.cluster;

import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.UsageException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The directories a cluster member opens models under. Tasks refer to a model only by a path
 * relative to a root ({@code stories260K/stories260K.bin}), never by an absolute path; a worker
 * refuses a reference that is absolute, climbs with {@code ..}, or leads (through symbolic links
 * too) outside its roots. The coordinator turns its {@code --model} into such a reference.
 */
public record ModelRoots(List<Path> roots) {

    public ModelRoots {
        roots = roots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        if (roots.isEmpty()) throw new IllegalArgumentException("no models root");
    }

    /**
     * The default roots: the current directory, then the shared models directory of this project's
     * layout ({@code $MIXPRUNE_SHARED/models}, by default {@code ../shared/models}) when it exists,
     * so that a worker started in the project finds the shared models as the coordinator names them.
     */
    public static List<Path> defaults() {
        List<Path> out = new ArrayList<>();
        out.add(Path.of("").toAbsolutePath());
        Path shared = SharedFiles.resolve("models");
        if (Files.isDirectory(shared)) out.add(shared);
        return out;
    }

    /**
     * The reference of {@code model} (coordinator side): its path relative to the first root that
     * holds it, with '/' separators. Refuses a model under no root.
     */
    public String refer(Path model) throws IOException {
        Path real = model.toRealPath();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            Path r = root.toRealPath();
            if (real.startsWith(r) && !real.equals(r)) {
                List<String> parts = new ArrayList<>();
                for (Path p : r.relativize(real)) parts.add(p.toString());
                return String.join("/", parts);
            }
        }
        throw new UsageException("--model " + model + " is not under a models root " + roots
                + ": workers open models only by a path relative to their --models-root; pass --models-root DIR (a directory holding the model) "
                + "here and start the workers with a --models-root holding the same file at the same relative path");
    }

    /**
     * The file a reference names (worker side): the first root in which it exists. Refuses an
     * absolute reference, one with empty, '.' or '..' parts or backslashes, and one whose real path
     * (symbolic links followed) leaves the root.
     */
    public Path resolve(String reference) throws IOException {
        check(reference);
        for (Path root : roots) {
            Path candidate = root.resolve(reference);
            if (!Files.exists(candidate)) continue;
            Path realRoot = root.toRealPath(), real = candidate.toRealPath();
            if (!real.startsWith(realRoot)) {
                throw new BadInputException("model '" + reference + "' leads outside the models root " + root + " (to " + real + "); refused");
            }
            return real;
        }
        throw new BadInputException("model '" + reference + "' not found under the models root(s) " + roots
                + " of this worker: copy the coordinator's file there (same relative path) or start the worker with --models-root");
    }

    /** A relative reference of plain names separated by '/'. */
    static void check(String reference) {
        if (reference == null || reference.isEmpty()) throw new BadInputException("empty model reference; refused");
        if (reference.startsWith("/") || reference.contains("\\") || reference.contains(":") || reference.indexOf('\0') >= 0) {
            throw new BadInputException("model reference '" + reference + "' is not a relative path; refused");
        }
        for (String part : reference.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new BadInputException("model reference '" + reference + "' has an empty, '.' or '..' part; refused");
            }
        }
    }
}
