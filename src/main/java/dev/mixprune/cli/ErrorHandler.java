package dev.mixprune.cli;

import dev.mixprune.BadInputException;
import picocli.CommandLine;

import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;

/** Maps exceptions to the documented exit codes with a one-line message (stack trace only with MIXPRUNE_DEBUG). */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        if (System.getenv("MIXPRUNE_DEBUG") != null) ex.printStackTrace();
        if (ex instanceof BadInputException || ex instanceof NoSuchFileException || ex instanceof FileNotFoundException) {
            String msg = ex instanceof NoSuchFileException n ? "file not found: " + n.getFile() : ex.getMessage();
            cl.getErr().println("mixprune: bad input: " + msg);
            return Main.EXIT_BAD_INPUT;
        }
        if (ex instanceof CommandLine.ParameterException || ex instanceof IllegalArgumentException) {
            cl.getErr().println("mixprune: " + ex.getMessage());
            return Main.EXIT_USAGE;
        }
        cl.getErr().println("mixprune: error: " + ex);
        return Main.EXIT_FAILURE;
    }
}
