package dev.mixprune;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the read-only shared folder (models, data, fixtures). Order: environment variable
 * {@code MIXPRUNE_SHARED}; system property {@code mixprune.shared}; {@code ../shared} relative to
 * the project root (system property {@code mixprune.projectRoot}, else the working directory).
 */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path root() {
        String env = System.getenv("MIXPRUNE_SHARED");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath().normalize();
        String prop = System.getProperty("mixprune.shared");
        if (prop != null && !prop.isBlank()) return Path.of(prop).toAbsolutePath().normalize();
        String project = System.getProperty("mixprune.projectRoot", System.getProperty("user.dir"));
        return Path.of(project).resolve("../shared").toAbsolutePath().normalize();
    }

    public static Path resolve(String relative) { return root().resolve(relative); }

    public static Path stories260KBin() { return resolve("models/stories260K/stories260K.bin"); }
    public static Path stories260KGguf() { return resolve("models/stories260K/stories260K.gguf"); }
    public static Path tok512() { return resolve("models/stories260K/tok512.bin"); }
    public static Path tinyStoriesValid() { return resolve("data/tinystories/valid.txt"); }
    public static Path tinyStoriesCalib() { return resolve("data/tinystories/calib.txt"); }
    public static Path wikiTest() { return resolve("data/wikitext-2/wiki.test.raw"); }
    public static Path fixtures() { return resolve("fixtures/stories260K"); }

    /** Fails with a message that says how to point at the shared folder. */
    public static Path require(Path p) {
        if (!Files.exists(p)) {
            throw new IllegalStateException("shared file not found: " + p + " (set MIXPRUNE_SHARED to the folder holding models/ and data/)");
        }
        return p;
    }
}
