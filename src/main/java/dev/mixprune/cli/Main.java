package dev.mixprune.cli;

import dev.mixprune.tensor.ThreadTeam;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * Entry point: wires the sub-commands; no logic here. {@code scope = INHERIT} gives every
 * sub-command (also ones added later) {@code -h/--help} and {@code -V/--version}; picocli answers
 * them before it checks required options.
 */
@Command(name = "mixprune", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, scope = CommandLine.ScopeType.INHERIT,
        description = "Mixed Sparsity Pruning (MSP) for LLaMA-family models.",
        subcommands = {InspectCommand.class, GenerateCommand.class, PplCommand.class, SensitivityCommand.class,
                SearchCommand.class, PruneCommand.class, EvalCommand.class, ReportCommand.class, RunCommand.class, RecoverCommand.class, PackCommand.class, QuantizeCommand.class, TokenizeCommand.class, WorkerCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit codes documented in README ("Exit codes") and docs/reliability.md. */
    public static final int EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2, EXIT_BAD_INPUT = 3;

    @Override public void run() { new CommandLine(this).usage(System.err); }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return execute(commandLine(new Main()), args);
    }

    /** A command line for {@code command} with the project's error handling (tests use it for single commands). */
    public static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setExecutionStrategy(Main::executeWithThreads);
        return cl;
    }

    /**
     * Runs the chosen command; with {@code --threads N} ({@link ComputeOptions}) inside a team of N
     * threads that every kernel of the command uses as {@code ThreadTeam.shared()}.
     */
    private static int executeWithThreads(CommandLine.ParseResult pr) throws CommandLine.ExecutionException {
        CommandLine.ParseResult leaf = pr;
        while (leaf.hasSubcommand()) leaf = leaf.subcommand();
        Integer threads = leaf.hasMatchedOption("--threads") ? leaf.matchedOptionValue("--threads", (Integer) null) : null;
        if (threads == null || !(leaf.commandSpec().mixins().values().stream().anyMatch(m -> m.userObject() instanceof ComputeOptions))) {
            return new CommandLine.RunLast().execute(pr);
        }
        try (ThreadTeam team = new ThreadTeam(threads, "mixprune-team")) {
            return ThreadTeam.callWith(team, () -> new CommandLine.RunLast().execute(pr));
        }
    }

    /**
     * Runs the command line. Errors (OutOfMemoryError) are not exceptions to picocli and come out
     * of {@code execute}: they get the same treatment here, after the stack has unwound (so the
     * memory is free again and the outputs' temporaries were removed on the way).
     */
    public static int execute(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            String command = args.length > 0 && !args[0].startsWith("-") ? args[0] : cl.getCommandName();
            PrintWriter err = cl.getErr();
            return ErrorHandler.report(e, err, command);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"mixprune " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
