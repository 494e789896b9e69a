package dev.mixprune;

import java.nio.file.Path;

/**
 * A user-supplied file or value is not what it must be. The message names the file, the field or
 * offset, and what was expected. The CLI maps this to exit code 3.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) { super(message); }

    public BadInputException(String message, Throwable cause) { super(message, cause); }

    /** "{file}: {what}" */
    public static BadInputException in(Path file, String what) {
        return new BadInputException(file + ": " + what);
    }

    /** "{file}: at offset N ({field}): {what}" */
    public static BadInputException at(Path file, long offset, String field, String what) {
        return new BadInputException(file + ": at byte offset " + offset + " (" + field + "): " + what);
    }
}
