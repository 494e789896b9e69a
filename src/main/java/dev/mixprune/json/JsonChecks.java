package dev.mixprune.json;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checks every versioned mixprune JSON file ({@code {"format": ..., "version": ..., ...}}) starts
 * with, written once so that the plan, the Fisher report and the search checkpoint reject a wrong
 * file with the same words. Every message is "{source}: ..." and names the field.
 */
public final class JsonChecks {
    // Only reads here; the owners of each format keep their own (pretty-printing) writers. Strict:
    // a key given twice or text after the JSON value is an error, not "the last one wins" or ignored.
    private static final ObjectMapper READER = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonChecks() {}

    /**
     * The parsed file; text that is not JSON gives "{file}: {invalid}: {parser message}", so a
     * caller can say what kind of file it expected (e.g. "corrupted search checkpoint, not valid JSON").
     */
    public static JsonNode readTree(Path file, String invalid) throws IOException {
        try {
            return READER.readTree(Files.readAllBytes(file));
        } catch (JacksonException e) {
            throw BadInputException.in(file, invalid + ": " + e.getOriginalMessage());
        }
    }

    /**
     * Requires {@code root} to be an object whose {@code format} is {@code format} and whose
     * {@code version} is {@code version}; the message shows the value found.
     */
    public static void requireHeader(JsonNode root, String source, String format, int version) {
        if (root == null || !root.isObject()) throw new BadInputException(source + ": expected a JSON object");
        if (!format.equals(root.path("format").asText())) {
            throw new BadInputException(source + ": field 'format' must be '" + format + "', got " + root.path("format"));
        }
        if (root.path("version").asInt(-1) != version) {
            throw new BadInputException(source + ": field 'version' must be " + version + ", got " + root.path("version"));
        }
    }
}
