package dev.mixprune.io;

import java.nio.file.Files;
import java.nio.file.Path;

/** The model file formats mixprune reads and writes. */
public enum ModelFormat {
    /** llama2.c legacy (v0) checkpoint. */
    BIN,
    /** GGUF v3. */
    GGUF,
    /** HuggingFace directory: config.json + *.safetensors (+ tokenizer). */
    SAFETENSORS;

    /** Guesses the format of a path by its shape (directory, extension). */
    public static ModelFormat detect(Path p) {
        if (Files.isDirectory(p)) return SAFETENSORS;
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (n.endsWith(".gguf")) return GGUF;
        if (n.endsWith(".safetensors")) return SAFETENSORS;
        return BIN;
    }

    public static ModelFormat parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "bin" -> BIN;
            case "gguf" -> GGUF;
            case "safetensors", "hf" -> SAFETENSORS;
            default -> throw new IllegalArgumentException("unknown format '" + s + "', expected bin, gguf or safetensors");
        };
    }
}
