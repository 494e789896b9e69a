package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KernelInfoTest {
    @Test
    void withoutTheVectorModuleItWarnsAndStillComputes() throws Exception {
        // A child JVM without --add-modules jdk.incubator.vector: the scalar fallbacks must load
        // (no NoClassDefFoundError), give right answers, and say so loudly on stderr.
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        Process p = new ProcessBuilder(java, "-cp", cp, "dev.mixprune.tensor.KernelInfo").start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor()).as(out + err).isZero();
        assertThat(out).contains("SCALAR fallback").contains("self-check: ok");
        assertThat(err).contains("WARNING").contains("jdk.incubator.vector is NOT available");
    }

    @Test
    void mainSelfCheckPassesWithTheVectorModule() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", cp,
                "dev.mixprune.tensor.KernelInfo").start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertThat(p.waitFor()).as(out + err).isZero();
        assertThat(out).contains("Vector API").contains("self-check: ok");
        assertThat(err).doesNotContain("NOT available");
    }

    @Test
    void describesVectorPathAndThreads() {
        // The test JVM is started with --add-modules jdk.incubator.vector (pom.xml argLine).
        assertThat(KernelInfo.vectorAvailable()).isTrue();
        String d = KernelInfo.describe();
        assertThat(d).contains("Vector API").contains(KernelInfo.vectorBits() + "-bit")
                .contains("threads=" + ThreadTeam.shared().size()).doesNotContain("\n");
        assertThat(KernelInfo.vectorBits()).isIn(128, 256, 512);
        assertThat(KernelInfo.scalarWarning()).isNull();
        assertThat(KernelInfo.warnIfScalar()).isFalse();
    }
}
