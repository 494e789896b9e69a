package dev.mixprune.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import dev.mixprune.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The secure defaults of a member's configuration, option parsing, model references and checksums. No member is started. */
class ClusterConfigTest {

    static ClusterSettings settings(String bind) {
        return new ClusterSettings("x", List.of("127.0.0.1:5701", "127.0.0.1:5702"), bind, 5701, List.of(Path.of("/tmp")), Duration.ofSeconds(5));
    }

    @Test
    void membersJoinOnlyThroughTheTcpListBindToLoopbackAndRunNoForeignCode() {
        for (Config c : new Config[]{MemberConfig.worker(settings(ClusterSettings.LOOPBACK), 1, new Object()),
                MemberConfig.coordinator(settings(ClusterSettings.LOOPBACK), new ArtifactServer())}) {
            JoinConfig join = c.getNetworkConfig().getJoin();
            assertThat(join.getMulticastConfig().isEnabled()).isFalse();
            assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
            assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
            assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702");
            assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
            assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
            assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
            assertThat(c.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
            assertThat(c.getNetworkConfig().isPortAutoIncrement()).isFalse();
            assertThat(c.getUserCodeDeploymentConfig().isEnabled()).isFalse();
            assertThat(c.getNamespacesConfig().isEnabled()).isFalse();
            assertThat(c.getJetConfig().isEnabled()).isFalse();
            assertThat(c.getNetworkConfig().getRestApiConfig().isEnabled()).isFalse();
            assertThat(c.getSerializationConfig().getJavaSerializationFilterConfig()).isNotNull();
            assertThat(c.getClusterName()).isEqualTo("x");
        }
        assertThat(MemberConfig.coordinator(settings(ClusterSettings.LOOPBACK), new ArtifactServer()).isLiteMember()).isTrue();
        assertThat(MemberConfig.worker(settings(ClusterSettings.LOOPBACK), 1, new Object()).isLiteMember()).isFalse();
        // --bind 0.0.0.0 is an explicit choice: every interface.
        Config all = MemberConfig.worker(settings("0.0.0.0"), 1, new Object());
        assertThat(all.getProperty("hazelcast.socket.bind.any")).isEqualTo("true");
    }

    @Test
    void optionsAreCheckedAndNamed() {
        ClusterSettings s = ClusterSettings.parse("team-a", "127.0.0.1:5701, 10.0.0.2:5702", null, null, null, null);
        assertThat(s.bind()).isEqualTo("127.0.0.1");
        assertThat(s.members()).containsExactly("127.0.0.1:5701", "10.0.0.2:5702");
        assertThat(s.port()).isZero();
        assertThatThrownBy(() -> ClusterSettings.parse("", "127.0.0.1:1", null, null, null, null)).hasMessageStartingWith("--cluster");
        assertThatThrownBy(() -> ClusterSettings.parse("a b", "127.0.0.1:1", null, null, null, null)).hasMessageStartingWith("--cluster");
        assertThatThrownBy(() -> ClusterSettings.parse("x", null, null, null, null, null)).hasMessageStartingWith("--members");
        assertThatThrownBy(() -> ClusterSettings.parse("x", "127.0.0.1", null, null, null, null)).hasMessageStartingWith("--members");
        assertThatThrownBy(() -> ClusterSettings.parse("x", "127.0.0.1:99999", null, null, null, null)).hasMessageStartingWith("--members");
        assertThatThrownBy(() -> ClusterSettings.parse("x", "127.0.0.1:1", "my-host", null, null, null)).hasMessageStartingWith("--bind");
        assertThatThrownBy(() -> ClusterSettings.parse("x", "127.0.0.1:1", null, 70000, null, null)).hasMessageStartingWith("--port");
    }

    @Test
    void modelsAreNamedRelativeToARootAndNeverOutsideIt(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("models"));
        Path m = Files.createDirectories(root.resolve("tiny")).resolve("m.bin");
        Files.write(m, new byte[]{1, 2, 3});
        Path outside = Files.write(dir.resolve("secret.bin"), new byte[]{4});
        Files.createSymbolicLink(root.resolve("link.bin"), outside);
        ModelRoots roots = new ModelRoots(List.of(root));

        assertThat(roots.refer(m)).isEqualTo("tiny/m.bin");
        assertThat(roots.resolve("tiny/m.bin")).isEqualTo(m.toRealPath());
        assertThatThrownBy(() -> roots.refer(outside)).hasMessageContaining("--models-root");
        for (String bad : new String[]{"/etc/passwd", "../secret.bin", "tiny/../../secret.bin", "tiny//m.bin", "./tiny/m.bin", "tiny\\m.bin", "C:/x", ""}) {
            assertThatThrownBy(() -> roots.resolve(bad)).as(bad).isInstanceOf(BadInputException.class).hasMessageContaining("refused");
        }
        assertThatThrownBy(() -> roots.resolve("link.bin")).isInstanceOf(BadInputException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> roots.resolve("tiny/missing.bin")).isInstanceOf(BadInputException.class).hasMessageContaining("not found");
        // Several roots: the first that holds the file.
        Path second = Files.createDirectories(dir.resolve("shared"));
        Files.write(Files.createDirectories(second.resolve("x")).resolve("y.bin"), new byte[]{5});
        assertThat(new ModelRoots(List.of(root, second)).resolve("x/y.bin")).isEqualTo(second.resolve("x/y.bin").toRealPath());
    }

    @Test
    void theChecksumSeesOneChangedByteAnywhereAndDoesNotDependOnTheThreads(@TempDir Path dir) throws Exception {
        byte[] data = new byte[3 * 1000 + 17];
        new Random(3).nextBytes(data);
        Path a = Files.write(dir.resolve("a.bin"), data);
        String base = ModelDigest.of(a, 1000);
        assertThat(ModelDigest.of(a, 1000)).isEqualTo(base);
        for (int at : new int[]{0, 999, 1000, 2500, data.length - 1}) {
            byte[] d = data.clone();
            d[at] ^= 0x10;
            assertThat(ModelDigest.of(Files.write(dir.resolve("b.bin"), d), 1000)).as("byte " + at).isNotEqualTo(base);
        }
        // Same content, other name or place: the same checksum; one more byte: another.
        assertThat(ModelDigest.of(Files.write(dir.resolve("c.bin"), data), 1000)).isEqualTo(base);
        assertThat(ModelDigest.of(Files.write(dir.resolve("d.bin"), java.util.Arrays.copyOf(data, data.length + 1)), 1000)).isNotEqualTo(base);
        // A directory: every regular file by name.
        Path hf = Files.createDirectories(dir.resolve("hf"));
        Files.write(hf.resolve("config.json"), new byte[]{1});
        Files.write(hf.resolve("model.safetensors"), data);
        String d1 = ModelDigest.of(hf);
        Files.write(hf.resolve("config.json"), new byte[]{2});
        assertThat(ModelDigest.of(hf)).isNotEqualTo(d1);
    }
}
