package dev.mixprune.cli;

import dev.mixprune.BadInputException;
import dev.mixprune.UsageException;
import dev.mixprune.io.IoMessages;
import picocli.CommandLine;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;

/**
 * The exit-code rule (README, "Exit codes"; docs/reliability.md), in one place for every command:
 * <ul>
 *   <li>2: the command line is wrong ({@link UsageException}, picocli's parameter errors);</li>
 *   <li>3: an input file is missing or not what it must be ({@link BadInputException});</li>
 *   <li>1: everything else: I/O errors (named by path and reason), running out of memory, bugs.</li>
 * </ul>
 * One line on stderr, never a Java class name for an expected failure; {@code MIXPRUNE_DEBUG=1}
 * adds the stack trace.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        return report(ex, cl.getErr(), cl.getCommandName());
    }

    static int report(Throwable ex, PrintWriter err, String command) {
        if (System.getenv("MIXPRUNE_DEBUG") != null) ex.printStackTrace();
        int code;
        if (ex instanceof UsageException || ex instanceof CommandLine.ParameterException) {
            err.println("mixprune: " + ex.getMessage() + " (see: mixprune " + command + " --help)");
            code = Main.EXIT_USAGE;
        } else if (ex instanceof BadInputException) {
            err.println("mixprune: bad input: " + ex.getMessage());
            code = Main.EXIT_BAD_INPUT;
        } else if (ex instanceof NoSuchFileException n) {
            err.println("mixprune: bad input: file not found: " + n.getFile());
            code = Main.EXIT_BAD_INPUT;
        } else if (ex instanceof FileNotFoundException) {
            err.println("mixprune: bad input: " + ex.getMessage());
            code = Main.EXIT_BAD_INPUT;
        } else if (ex instanceof IOException io) {
            err.println("mixprune: error: " + IoMessages.describe(io));
            code = Main.EXIT_FAILURE;
        } else if (ex instanceof java.io.UncheckedIOException u) {
            err.println("mixprune: error: " + IoMessages.describe(u.getCause()));
            code = Main.EXIT_FAILURE;
        } else if (ex instanceof OutOfMemoryError oom) {
            err.println(OutOfMemory.message(oom, command));
            code = Main.EXIT_FAILURE;
        } else if (ex.getMessage() != null && !ex.getMessage().isBlank()) {
            err.println("mixprune: error: " + ex.getMessage());
            code = Main.EXIT_FAILURE;
        } else {
            // A bug: no message to show, so say where (the class names the kind of bug).
            StackTraceElement at = ex.getStackTrace().length > 0 ? ex.getStackTrace()[0] : null;
            err.println("mixprune: internal error (" + ex.getClass().getSimpleName() + (at != null ? " at " + at : "")
                    + "); MIXPRUNE_DEBUG=1 prints the stack trace");
            code = Main.EXIT_FAILURE;
        }
        err.flush();
        return code;
    }
}
