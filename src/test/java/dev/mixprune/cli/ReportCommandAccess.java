package dev.mixprune.cli;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;

/** Runs ReportCommand the way Main would (with the exit-code handler), for tests in other packages. */
public final class ReportCommandAccess {
    private ReportCommandAccess() {}

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new ReportCommand(new PrintStream(new ByteArrayOutputStream())));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setErr(new PrintWriter(new ByteArrayOutputStream()));
        return cl.execute(args);
    }
}
