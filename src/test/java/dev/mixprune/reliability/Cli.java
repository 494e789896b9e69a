package dev.mixprune.reliability;

import dev.mixprune.cli.Main;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** The whole CLI in this JVM, with its output captured (System.out/err too: some commands and picocli's warnings use them). */
final class Cli {
    private Cli() {}

    record Run(int exit, String out, String err) {}

    static synchronized Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream(), sysErr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        int code;
        try {
            CommandLine cl = Main.commandLine(new Main());
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            code = Main.execute(cl, args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out + sysOut.toString(StandardCharsets.UTF_8), err + sysErr.toString(StandardCharsets.UTF_8));
    }
}
