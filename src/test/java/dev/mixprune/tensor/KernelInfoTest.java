package dev.mixprune.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KernelInfoTest {
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
