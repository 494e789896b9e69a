package dev.mixprune;

import java.util.function.Supplier;

/**
 * The command line is wrong: an option value out of range or not understood, a combination of
 * options that cannot work, an output path that would overwrite an input. The message names the
 * option and says what was expected. The CLI maps this to exit code 2 (README, "Exit codes").
 */
public class UsageException extends RuntimeException {
    public UsageException(String message) { super(message); }

    public UsageException(String message, Throwable cause) { super(message, cause); }

    /** "{option}: {what}" */
    public static UsageException option(String option, String what) {
        return new UsageException(option + ": " + what);
    }

    /**
     * Runs a step that turns option values into settings; an {@link IllegalArgumentException} from
     * it (the domain parsers' and constructors' way of rejecting a value) becomes a usage error.
     * Use it around option parsing only: the same exception from deeper code is a bug (exit 1).
     */
    public static <T> T fromOptions(Supplier<T> step) {
        try {
            return step.get();
        } catch (UsageException | BadInputException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    /** {@link #fromOptions(Supplier)} with the option's name in front of the message. */
    public static <T> T fromOption(String option, Supplier<T> step) {
        try {
            return step.get();
        } catch (UsageException | BadInputException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() != null && e.getMessage().startsWith(option) ? e.getMessage() : option + ": " + e.getMessage(), e);
        }
    }

    /** Throws {@code option: expected ..., got value} unless {@code ok}. */
    public static void require(boolean ok, String option, String expected, Object value) {
        if (!ok) throw option(option, "expected " + expected + ", got " + value);
    }
}
