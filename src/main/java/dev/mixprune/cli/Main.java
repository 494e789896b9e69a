package dev.mixprune.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: wires the sub-commands; no logic here. */
@Command(name = "mixprune", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Mixed Sparsity Pruning (MSP) for LLaMA-family models.",
        subcommands = {InspectCommand.class, GenerateCommand.class, PplCommand.class, SensitivityCommand.class,
                SearchCommand.class, PruneCommand.class, EvalCommand.class, ReportCommand.class, RunCommand.class, PackCommand.class, QuantizeCommand.class, TokenizeCommand.class, WorkerCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit codes documented in README. */
    public static final int EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2, EXIT_BAD_INPUT = 3;

    @Override public void run() { new CommandLine(this).usage(System.err); }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"mixprune " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
