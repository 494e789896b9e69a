package dev.mixprune.bench;

import dev.mixprune.io.TokenizerFiles;
import dev.mixprune.tokenizer.Tokenizer;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.tokenizer.Vocabulary;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.io.StreamingPacker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Streaming-pruning benchmark, one step per JVM so that each step's peak RSS is its own:
 * <ul>
 *   <li>{@code StreamBench write OUT.gguf VOCAB.gguf [dim hidden layers heads]}: a synthetic F16
 *       LLaMA written tensor by tensor (default LLaMA-7B shape 4096 11008 32 32);</li>
 *   <li>{@code StreamBench prune IN.gguf OUT.gguf [N:M]}: {@link StreamingPacker} (magnitude, F16
 *       values), printing seconds per block and the process's peak RSS (VmHWM).</li>
 * </ul>
 */
public final class StreamBench {
    private StreamBench() {}

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        switch (args[0]) {
            case "write" -> {
                Tokenizer vocab = TokenizerFiles.read(Path.of(args[2]), 32000);
                int dim = args.length > 3 ? Integer.parseInt(args[3]) : 4096, hidden = args.length > 4 ? Integer.parseInt(args[4]) : 11008;
                int layers = args.length > 5 ? Integer.parseInt(args[5]) : 32, heads = args.length > 6 ? Integer.parseInt(args[6]) : 32;
                LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, heads, vocab.size(), 4096, 1e-5f, 10000f, false);
                SyntheticLlama.writeStreaming(Path.of(args[1]), c, vocab, 1, TensorDType.F16);
                System.out.printf(Locale.ROOT, "write params=%d bytes=%d seconds=%.1f peak_rss_mib=%d%n", c.parameterCount(), Files.size(Path.of(args[1])),
                        (System.nanoTime() - t0) / 1e9, peakRssKib() / 1024);
            }
            case "prune" -> {
                String[] nm = (args.length > 3 ? args[3] : "2:4").split(":");
                double[] worst = {0}, sum = {0};
                int[] blocks = {0};
                StreamingPacker.prune(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(nm[0]), Integer.parseInt(nm[1]), TensorDType.F16, (b, s) -> {
                    System.out.printf(Locale.ROOT, "block %d seconds=%.2f rss_mib=%d%n", b, s, rssKib() / 1024);
                    System.out.flush();
                    worst[0] = Math.max(worst[0], s);
                    sum[0] += s;
                    blocks[0]++;
                });
                System.out.printf(Locale.ROOT, "prune %s in_bytes=%d out_bytes=%d seconds=%.1f mean_block_seconds=%.2f max_block_seconds=%.2f peak_rss_mib=%d%n",
                        String.join(":", nm), Files.size(Path.of(args[1])), Files.size(Path.of(args[2])), (System.nanoTime() - t0) / 1e9,
                        sum[0] / Math.max(1, blocks[0]), worst[0], peakRssKib() / 1024);
            }
            default -> throw new IllegalArgumentException("usage: StreamBench write|prune ...");
        }
    }

    static long peakRssKib() { return status("VmHWM:"); }
    static long rssKib() { return status("VmRSS:"); }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
            }
        } catch (java.io.IOException e) {
            // not Linux: report -1
        }
        return -1;
    }
}
