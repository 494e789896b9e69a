package dev.mixprune.cli;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster options on the command line: nothing of the cluster without --cluster; wrong options are usage errors before any work. */
class ClusterCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(Object command, String... args) {
        CommandLine cl = Main.commandLine(command);
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = Main.execute(cl, args);
        return new Run(code, out.toString(), err.toString());
    }

    static String model() { return SharedFiles.require(SharedFiles.stories260KBin()).toString(); }

    static String[] tinySearch(Path dir, String... more) {
        String[] base = {"--model", model(), "--sparsity", "0.75", "--generations", "1", "--population", "3", "--stage-tokens", "32,64",
                "--stage-survivors", "2", "--nsamples", "2", "--fitness-windows", "2", "--seqlen", "32", "-q", "--out", dir.resolve("p.json").toString()};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void withoutClusterNoMemberIsStarted(@TempDir Path dir) {
        Set<HazelcastInstance> before = Set.copyOf(Hazelcast.getAllHazelcastInstances());
        SearchCommand c = new SearchCommand();
        c.stdout = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        Run r = run(c, tinySearch(dir));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Set.copyOf(Hazelcast.getAllHazelcastInstances())).isEqualTo(before);
        assertThat(dir.resolve("search-trace.json")).content().doesNotContain("cluster");
    }

    @Test
    void clusterOptionsAreCheckedBeforeAnyWork(@TempDir Path dir) throws Exception {
        Set<HazelcastInstance> before = Set.copyOf(Hazelcast.getAllHazelcastInstances());
        Run r = run(new SearchCommand(), tinySearch(dir, "--members", "127.0.0.1:5701"));
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("need --cluster");

        r = run(new SearchCommand(), tinySearch(dir, "--cluster", "has space", "--members", "127.0.0.1:5701"));
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--cluster");

        r = run(new SearchCommand(), tinySearch(dir, "--cluster", "x"));
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--members");

        Path elsewhere = Files.createDirectories(dir.resolve("models"));
        r = run(new SearchCommand(), tinySearch(dir, "--cluster", "x", "--members", "127.0.0.1:5701", "--models-root", elsewhere.toString()));
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--models-root").contains("not under");

        String[] missingModel = tinySearch(dir, "--cluster", "x", "--members", "127.0.0.1:5701");
        missingModel[1] = dir.resolve("no-such-model.bin").toString();
        r = run(new SearchCommand(), missingModel);
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("no-such-model.bin");

        assertThat(Set.copyOf(Hazelcast.getAllHazelcastInstances())).isEqualTo(before);
        assertThat(dir.resolve("p.json")).doesNotExist();
    }

    @Test
    void workerOptionsAreRequiredAndChecked() {
        Run r = run(new WorkerCommand(), "--cluster", "x", "--members", "127.0.0.1:5701");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--port");
        r = run(new WorkerCommand(), "--cluster", "x", "--port", "5701", "--members", "127.0.0.1:5701", "--bind", "example.org");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--bind");
        r = run(new WorkerCommand(), "--cluster", "x", "--port", "0", "--members", "127.0.0.1:5701");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--port");
        r = run(new WorkerCommand(), "--cluster", "x", "--port", "5701", "--members", "127.0.0.1:5701", "--threads", "0");
        assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("--threads");
    }
}
