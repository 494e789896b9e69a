package dev.mixprune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.UsageException;
import dev.mixprune.data.CalibrationWindows;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.io.OutputSet;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.io.BlockSink;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.TensorDType;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.model.LayerKind;
import dev.mixprune.progress.Progress;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.prune.BlockwisePerplexity;
import dev.mixprune.prune.Pattern;
import dev.mixprune.prune.Propagation;
import dev.mixprune.prune.PruneListener;
import dev.mixprune.prune.PruneMethod;
import dev.mixprune.prune.PruneResult;
import dev.mixprune.prune.SequentialPruner;
import dev.mixprune.prune.SparseGptOptions;
import dev.mixprune.prune.SparsityPlan;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code prune}: streams a model block by block from its memory-mapped file through the pruner
 * (magnitude / Wanda / SparseGPT; a uniform ratio, a uniform N:M pattern or a per-layer plan) into
 * the output file, then writes {@code OUT.manifest.json}. Only one block of weights is in memory
 * at a time (plus the calibration activations); every input is validated before anything is
 * written, and a failure leaves no output.
 */
@Command(name = "prune",
        description = "Prune a model with magnitude, Wanda or SparseGPT to a ratio, an N:M pattern (N kept of M) or a per-layer plan.")
public final class PruneCommand implements Callable<Integer> {
    public static final String MANIFEST_FORMAT = "mixprune.prune-manifest";
    public static final int MANIFEST_VERSION = 1;

    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "model file (.bin, .gguf) or HF directory") Path model;
    @Option(names = "--tokenizer", description = "tokenizer for llama2.c models (default: tok512.bin / tokenizer.bin beside the model)") Path tokenizer;
    @Option(names = "--method", required = true, description = "magnitude, wanda or sparsegpt") String method;

    static final class Target {
        @Option(names = "--sparsity", description = "uniform unstructured sparsity in [0, 1)") String sparsity;
        @Option(names = "--pattern", description = "uniform N:M pattern, N kept of every M (e.g. 2:4)") String pattern;
        @Option(names = "--plan", description = "per-layer sparsity plan (JSON, mixprune.sparsity-plan)") Path plan;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Target target;

    @Option(names = "--allocation", description = "with --sparsity S: how S is spread over the layers: uniform (default), owl (budget-matched), owl-reference (as its authors ran it; achieves what it achieves), fisher or msp (runs the search)")
    String allocation;
    @Option(names = "--levels", defaultValue = "unstructured",
            description = "with --allocation: per-layer levels, unstructured (ratios, --step apart) or nm:M (mixed N:M) (default ${DEFAULT-VALUE})")
    String levels;
    @Option(names = "--step", defaultValue = "0.025", description = "with --allocation: step of the unstructured ratio levels (default ${DEFAULT-VALUE})") double step;
    @Option(names = "--granularity", defaultValue = "layer", description = "with --allocation: layer or block (default ${DEFAULT-VALUE})") String granularity;
    @Option(names = "--fisher", description = "with --allocation fisher|msp: Fisher traces (fisher.json) (default: computed on the calibration windows)") Path fisherFile;
    @Option(names = "--plan-out", description = "with --allocation: also save the plan here (default OUT.plan.json)") Path planOut;
    @Option(names = "--max-memory", description = "bound on the planned peak memory, e.g. 6g (the search's batch sizes are chosen under it, or it refuses; the launcher also caps the heap; default: no bound)")
    String maxMemory;
    @Option(names = "--work-dir", description = "with --allocation msp: where the search's scratch files go (default: beside --out); deleted at the end")
    Path workDir;
    @Option(names = "--fisher-samples", defaultValue = "32", description = "with --allocation fisher|msp and no --fisher: calibration windows for the Fisher traces (default ${DEFAULT-VALUE})")
    int fisherSamples;
    @Option(names = "--generations", defaultValue = "30", description = "with --allocation msp: search generations (default ${DEFAULT-VALUE})") int generations;
    @Option(names = "--population", defaultValue = "24", description = "with --allocation msp: search offspring per generation (default ${DEFAULT-VALUE})") int population;
    @Option(names = "--fitness-windows", defaultValue = "32", description = "with --allocation msp: windows in the search's fitness pool (default ${DEFAULT-VALUE})") int fitnessWindows;
    @Option(names = "--stage-tokens", defaultValue = "256,1024,4096", split = ",",
            description = "with --allocation msp: search tokens per selection stage (default ${DEFAULT-VALUE})") int[] stageTokens;
    @Mixin ClusterOptions cluster = new ClusterOptions();

    @Option(names = "--calib", description = "calibration text (default: ${DEFAULT-VALUE} under the shared folder)",
            defaultValue = "data/tinystories/calib.txt") String calib;
    @Option(names = "--nsamples", defaultValue = "128", description = "calibration windows (default ${DEFAULT-VALUE})") int nsamples;
    @Option(names = "--seed", defaultValue = "0", description = "calibration sampling seed (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--seqlen", description = "calibration window length (default: the model's context length)") Integer seqlen;
    @Option(names = "--propagation", defaultValue = "pruned", description = "what feeds the next block: pruned (default) or dense") String propagation;
    @Option(names = "--out", required = true, description = "output model path; the manifest goes to OUT.manifest.json") Path out;
    @Option(names = "--format", description = "bin, gguf or safetensors (default: the input's format)") String format;
    @Option(names = "--dtype", description = "f32, f16, q8_0 or q4_0 (GGUF only: llama.cpp's block formats) for the written weights "
            + "(default: f16 when the input's weights are F16, else f32; .bin is always f32)")
    String dtype;
    @Option(names = "--eval", description = "text file for dense and pruned perplexity (protocols.md P; default: none, no perplexity)") Path eval;
    @Option(names = "--eval-dense", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "with --eval, also measure the dense model (default; --no-eval-dense skips it in sweeps)") boolean evalDense;
    @Option(names = "--reconstruction-error", description = "also report ||WX - W'X||^2 per layer on the calibration inputs") boolean reconError;
    @Option(names = "--json", description = "print the manifest on stdout instead of a summary") boolean json;
    @Mixin ComputeOptions compute = new ComputeOptions();
    @Option(names = "--force", description = "replace existing files this command did not name itself (tokenizer.bin beside --out, "
            + "a non-empty --out directory); inputs are never replaced") boolean force;

    /** The arguments as given (for the manifest's "command"). */
    private List<String> originalArgs() {
        try {
            return spec.commandLine().getParseResult().originalArgs();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        // 1. Everything that can be checked without work is checked first: nothing is written on bad input.
        PruneMethod m = UsageException.fromOption("--method", () -> PruneMethod.parse(method));
        Propagation prop = UsageException.fromOption("--propagation", () -> Propagation.parse(propagation));
        UsageException.require(nsamples >= 1, "--nsamples", "at least 1", nsamples);
        UsageException.require(fisherSamples >= 1, "--fisher-samples", "at least 1", fisherSamples);
        UsageException.require(fitnessWindows >= 1, "--fitness-windows", "at least 1", fitnessWindows);
        if ("msp".equals(allocation)) searchConfig(); // option errors before any work
        ModelFormat outFormat = format == null ? null : UsageException.fromOption("--format", () -> ModelFormat.parse(format));
        Pattern uniform = parseUniform();
        SparsityPlan loadedPlan = target.plan != null ? SparsityPlan.load(target.plan) : null;
        Path evalPath = eval;
        if (evalPath != null && !Files.isRegularFile(evalPath)) throw new BadInputException("--eval: no such file " + evalPath);

        try (BlockSource source = MappedBlockSource.openDense(model, tokenizer)) {
            return prune(source, start, m, prop, outFormat, uniform, loadedPlan, evalPath);
        }
    }

    private Integer prune(BlockSource source, long start, PruneMethod m, Propagation prop, ModelFormat outFormat, Pattern uniform,
                          SparsityPlan loadedPlan, Path evalPath) throws IOException {
        LlamaConfig c = source.config();
        if (outFormat == null) outFormat = source.format();
        TensorDType outType = outputType(source, outFormat);
        if (allocation != null && target.sparsity == null) {
            throw new UsageException("--allocation needs --sparsity (the overall target), not --pattern or --plan");
        }
        if (allocation != null && !dev.mixprune.run.Plans.ALLOCATIONS.contains(allocation)) {
            throw UsageException.option("--allocation", "expected uniform, owl, owl-reference, fisher or msp, got '" + allocation + "'");
        }
        if (uniform instanceof Pattern.NM nm && nm.m() > SparsityPlan.maxGroupSize(c)) {
            throw UsageException.option("--pattern", nm.text() + " needs rows of at least M = " + nm.m() + " inputs; the narrowest prunable layer of this model has "
                    + SparsityPlan.maxGroupSize(c));
        }
        if (cluster.enabled() && !"msp".equals(allocation) && !"fisher".equals(allocation)) {
            throw UsageException.option("--cluster", "prune distributes the Fisher windows and the search of --allocation msp (and the Fisher "
                    + "windows of --allocation fisher); the pruning itself runs here");
        }
        cluster.check(model);
        SparsityPlan plan = loadedPlan != null ? loadedPlan : SparsityPlan.uniform(c, uniform);
        plan.checkFits(c, target.plan != null ? target.plan.toString() : "plan");
        int windowLen = seqlen != null ? seqlen : c.seqLen();
        if (windowLen < 2 || windowLen > c.seqLen()) {
            throw UsageException.option("--seqlen", "expected 2.." + c.seqLen() + " (the model's context length), got " + windowLen);
        }

        Path calibPath = resolveShared(calib);
        boolean needData = m.needsActivations() || reconError || (allocation != null && !allocation.equals("uniform"));
        if (needData && !Files.isRegularFile(calibPath)) throw new BadInputException("--calib: no such file " + calibPath);
        Long maxBytes = maxMemory == null ? null : UsageException.fromOption("--max-memory", () -> dev.mixprune.resources.ResourcePlan.parseBytes(maxMemory));
        // Every file this command writes, declared before any work: none may be an input, none is
        // replaced silently, and they appear together (manifest last) or not at all.
        List<Path> inputs = CommandFiles.of(CommandFiles.model(model, tokenizer), needData ? calibPath : null, evalPath, target.plan, fisherFile);
        try (OutputSet outs = OutputSet.begin(inputs, force)) {
            Path stagedModel = outFormat == ModelFormat.SAFETENSORS ? outs.directory(out, "--out") : outs.file(out, OutputSet.Existing.REPLACE, "--out");
            if (outFormat == ModelFormat.BIN && source.tokenizerOrNull() != null) {
                Path tokBin = out.toAbsolutePath().resolveSibling("tokenizer.bin");
                outs.fileUnlessSame(tokBin, TokenizerBin.bytes(source.tokenizerOrNull(), tokBin), "tokenizer.bin beside --out");
            }
            Path stagedPlan = allocation != null && !allocation.equals("uniform")
                    ? outs.file(planOut != null ? planOut : out.resolveSibling(out.getFileName() + ".plan.json"), OutputSet.Existing.REPLACE, "--plan-out")
                    : null;
            Path stagedManifest = outs.manifest(manifestPath(out), "the manifest beside --out");

            CalibrationWindows windows = null;
            TokenStream calibStream = null;
            if (needData) {
                calibStream = TokenStream.of(Corpus.read(calibPath), source.requireTokenizer());
                windows = CalibrationWindows.sample(calibStream, nsamples, windowLen, seed);
            }
            TokenStream evalStream = evalPath != null ? TokenStream.of(Corpus.read(evalPath), source.requireTokenizer()) : null;
            if (evalStream != null && evalStream.length() < c.seqLen()) {
                throw new BadInputException(evalPath + ": " + evalStream.length() + " tokens, fewer than one evaluation window of " + c.seqLen());
            }
            Done done;
            try {
                done = work(source, start, m, prop, outFormat, outType, uniform, plan, windowLen, calibPath, calibStream, windows, evalPath, evalStream, maxBytes,
                        outs, stagedModel, stagedPlan, stagedManifest);
            } catch (IOException e) {
                throw outs.named(e);
            }
            outs.commit();
            printSummary(done, evalPath);
        }
        return 0;
    }

    /** What the summary needs once the outputs are in place. */
    private record Done(byte[] manifestBytes, PruneMethod method, Propagation propagation, PruneResult result, PerplexityResult dense,
                        PerplexityResult pruned, ModelFormat format, TensorDType dtype) {}

    private Done work(BlockSource source, long start, PruneMethod m, Propagation prop, ModelFormat outFormat, TensorDType outType, Pattern uniform,
                      SparsityPlan plan, int windowLen, Path calibPath, TokenStream calibStream, CalibrationWindows windows, Path evalPath,
                      TokenStream evalStream, Long maxBytes, OutputSet outs, Path stagedModel, Path stagedPlan, Path stagedManifest) throws IOException {
        LlamaConfig c = source.config();
        // 2. Work. The model is streamed: one block in memory at a time (docs/pruning.md, "Memory").
        PrintWriter err = spec != null ? spec.commandLine().getErr() : new PrintWriter(System.err, true);
        int chunk = pruneChunk(c, m, windows == null ? 0 : windows.nsamples(), windowLen, outType, evalStream, maxBytes);
        dev.mixprune.resources.ResourcePlan rp = resourcePlan(c, m, windows == null ? 0 : windows.nsamples(), windowLen, chunk, outType, evalStream);
        if (!compute.quiet()) rp.lines().forEach(err::println);
        rp.enforce(maxBytes, "lower --nsamples or --seqlen, or raise --max-memory");
        dev.mixprune.resources.HeapBound.set(dev.mixprune.resources.HeapBound.heapOf(rp));
        dev.mixprune.resources.WorkDir.requireSpace(out.toAbsolutePath().getParent(), rp.diskBytes(), "the pruned model");
        if (allocation != null && !allocation.equals("uniform")) {
            plan = allocate(source, m, uniform.nominalSparsity(), calibStream, windows, err, stagedPlan);
        }
        ProgressFactory progressBars = ProgressFactory.forCli(compute.quiet());
        PerplexityResult densePpl = evalStream != null && evalDense ? blockwisePerplexity("ppl dense", source, evalStream, progressBars) : null;
        SequentialPruner.Options opt = new SequentialPruner.Options(m, prop, reconError, chunk, SparseGptOptions.defaults());
        PruneResult result;
        try (BlockSink sink = BlockSink.open(source, stagedModel, outFormat, outType);
             Progress bar = progressBars.start("prune (" + m.cliName() + ")", (long) c.nLayers() * LayerKind.values().length, "layers")) {
            // Per-block lines (timings, sparsity); on a terminal each erases the bar's line first, and the bar redraws below.
            boolean barMode = progressBars.mode() == ProgressFactory.Mode.BAR;
            PruneListener lines = compute.quiet() ? PruneListener.NONE : PruneListener.lines(line -> {
                err.println(barMode ? ProgressFactory.CLEAR_LINE + line : line);
                err.flush();
            });
            PruneListener progress = collectingGarbage(withProgress(lines, bar), m.needsHessian() || reconError);
            result = new SequentialPruner(opt, progress).run(source, sink, plan, windows == null ? List.of() : Arrays.asList(windows.windows()));
            sink.finish();
        }
        // The pruned perplexity is that of the file as written, read back block by block.
        PerplexityResult prunedPpl = null;
        if (evalStream != null) {
            try (BlockSource written = MappedBlockSource.openWeights(stagedModel)) {
                prunedPpl = blockwisePerplexity("ppl pruned", written, evalStream, progressBars);
            }
        }

        // 3. The manifest: committed after the model.
        ObjectNode manifest = manifest(source, outFormat, outType, m, prop, plan, calibPath, calibStream, windows, result, evalPath, densePpl, prunedPpl,
                (System.nanoTime() - start) / 1e9);
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        outs.write(stagedManifest, manifestBytes);
        // An HF model is a directory that gets uploaded as a whole: the provenance goes inside it too.
        if (outFormat == ModelFormat.SAFETENSORS && Files.isDirectory(stagedModel)) Files.write(stagedModel.resolve(HF_MANIFEST), manifestBytes);
        return new Done(manifestBytes, m, prop, result, densePpl, prunedPpl, outFormat, outType);
    }

    private void printSummary(Done d, Path evalPath) {
        byte[] manifestBytes = d.manifestBytes();
        PruneMethod m = d.method();
        Propagation prop = d.propagation();
        PruneResult result = d.result();
        PerplexityResult densePpl = d.dense(), prunedPpl = d.pruned();
        ModelFormat outFormat = d.format();
        TensorDType outType = d.dtype();
        Path manifestPath = manifestPath(out);
        PrintWriter o = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.out, true);
        if (json) {
            o.println(new String(manifestBytes, java.nio.charset.StandardCharsets.UTF_8));
        } else {
            o.printf(Locale.ROOT, "pruned %s with %s (%s propagation): achieved sparsity %.6f over %,d prunable weights%n",
                    model, m.cliName(), prop.name().toLowerCase(Locale.ROOT), result.overallSparsity(), result.weights());
            if (prunedPpl != null) {
                o.printf(Locale.ROOT, "perplexity on %s (%d windows x %d): %spruned %.4f%n", evalPath, prunedPpl.windows(), prunedPpl.seqLen(),
                        densePpl != null ? String.format(Locale.ROOT, "dense %.4f, ", densePpl.ppl()) : "", prunedPpl.ppl());
            }
            o.printf("wrote %s (%s, %s) and %s%n", out, outFormat, outType, manifestPath);
        }
        o.flush();
    }

    /** Steps {@code bar} by one per pruned layer (its name as the message), then calls {@code inner}. */
    static PruneListener withProgress(PruneListener inner, Progress bar) {
        return new PruneListener() {
            @Override public void blockStarted(int block, int nBlocks) { inner.blockStarted(block, nBlocks); }

            @Override public void layerPruned(PruneResult.LayerReport report) {
                bar.message(report.id().name());
                bar.step(1);
                inner.layerPruned(report);
            }

            @Override public void blockFinished(PruneResult.BlockReport report, int nBlocks) { inner.blockFinished(report, nBlocks); }

            @Override public void warning(String message) { inner.warning(message); }
        };
    }

    /** Perplexity of the text under a streamed model, with progress per block (+ the head). */
    private static PerplexityResult blockwisePerplexity(String name, BlockSource source, TokenStream text, ProgressFactory progress) {
        try (Progress p = progress.start(name, source.config().nLayers() + 1L, "blocks")) {
            return BlockwisePerplexity.compute(source, text.toArray(), source.config().seqLen(), p::step);
        }
    }

    /** Calibration sequences per block-forward call: 16 (as before), fewer when --max-memory needs it. */
    private int pruneChunk(LlamaConfig c, PruneMethod m, int nSeq, int seqLen, TensorDType outType, TokenStream eval, Long maxBytes) {
        if (maxBytes == null || nSeq == 0) return 16;
        return dev.mixprune.resources.ResourcePlan.largestFitting(16, maxBytes,
                n -> resourcePlan(c, m, nSeq, seqLen, n, outType, eval).peakMemory());
    }

    /** The prune's resource plan: {@link PruneResources} plus the output's disk and, with --eval, the evaluation. */
    private dev.mixprune.resources.ResourcePlan resourcePlan(LlamaConfig c, PruneMethod m, int nSeq, int seqLen, int chunk, TensorDType outType,
                                                           TokenStream eval) {
        var p = dev.mixprune.resources.ResourcePlan.of("prune");
        dev.mixprune.prune.PruneResources.add(p, "pruning", c, m, reconError, nSeq, seqLen, chunk);
        if (eval != null) dev.mixprune.prune.PruneResources.addPerplexity(p, "evaluation", c, eval.length(), c.seqLen(), evalDense ? 2 : 1);
        p.disk("the pruned model (" + outType + ")", (long) (outType == TensorDType.F16 ? 2 : 4) * c.parameterCount());
        return p;
    }

    /**
     * Runs a full collection after each block (and, with {@code perLayer}, after each layer), when
     * the written block, its statistics and temporaries have become garbage. Without it the
     * parallel collector (the launcher's) grows the old generation rather than collect it as long
     * as the heap limit allows, so the resident size would follow the sum of all blocks' garbage
     * instead of one block (measured in docs/benchmarks.md, "Pruning"). SparseGPT (and the
     * reconstruction error) make hundreds of MB of large garbage per layer (Hessian copies,
     * factorization temporaries), hence per layer for them. A collection costs a fraction of a
     * second against seconds to minutes of pruning per block; -XX:+DisableExplicitGC turns it off.
     */
    /**
     * Test hook of the kill tests (docs/reliability.md): {@code -Dmixprune.debug.blockPauseMs=N}
     * sleeps N ms after each block, so that a kill lands while the output is half written.
     */
    private static void pauseForKillTests() {
        long ms = Long.getLong("mixprune.debug.blockPauseMs", 0);
        if (ms <= 0) return;
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static PruneListener collectingGarbage(PruneListener inner, boolean perLayer) {
        return new PruneListener() {
            @Override public void blockStarted(int block, int nBlocks) { inner.blockStarted(block, nBlocks); }

            @Override public void layerPruned(PruneResult.LayerReport report) {
                if (perLayer) System.gc();
                inner.layerPruned(report);
            }

            @Override public void blockFinished(PruneResult.BlockReport report, int nBlocks) {
                System.gc();
                inner.blockFinished(report, nBlocks);
                pauseForKillTests();
            }

            @Override public void warning(String message) { inner.warning(message); }
        };
    }

    /**
     * The written weights' float type: --dtype if given, else the input's own when a writer can hold it
     * (F16 stays F16 in GGUF and safetensors; F32, BF16 and Q8_0 become F32, which represents them
     * exactly); llama2.c .bin is always F32.
     */
    private TensorDType outputType(BlockSource source, ModelFormat outFormat) {
        TensorDType t;
        if (dtype != null) {
            t = UsageException.fromOption("--dtype", () -> TensorDType.parse(dtype));
            if (outFormat == ModelFormat.BIN && t != TensorDType.F32) throw UsageException.option("--dtype", dtype + ": a llama2.c .bin holds float32 only");
            if (outFormat != ModelFormat.GGUF && t.quantized()) throw UsageException.option("--dtype", dtype + ": Q8_0 / Q4_0 are written as GGUF only (--format gguf)");
            return t;
        }
        return outFormat == ModelFormat.BIN ? TensorDType.F32 : source.naturalOutputType();
    }

    /**
     * Builds the --allocation plan (saved beside the output) from the calibration windows. msp searches
     * streamed from the mapped source; OWL, Fisher traces computed here (no --fisher) and the fisher
     * allocation still load the whole model for this step.
     */
    private SparsityPlan allocate(BlockSource source, PruneMethod m, double targetSparsity, TokenStream calibStream, CalibrationWindows windows,
                                  PrintWriter err, Path stagedPlan) throws java.io.IOException {
        if (windows == null) throw new BadInputException("--allocation " + allocation + " needs calibration data (--calib)");
        // With --cluster (msp only) the workers compute the Fisher windows (without --fisher) and the search's candidates.
        try (dev.mixprune.cluster.Coordinator co = cluster.join(err::println)) {
            return allocate(source, m, targetSparsity, calibStream, windows, err, stagedPlan, co);
        }
    }

    private SparsityPlan allocate(BlockSource source, PruneMethod m, double targetSparsity, TokenStream calibStream, CalibrationWindows windows,
                                  PrintWriter err, Path stagedPlan, dev.mixprune.cluster.Coordinator co) throws java.io.IOException {
        LlamaConfig c = source.config();
        java.util.Map<dev.mixprune.model.LayerId, Double> traces = null;
        if (allocation.equals("fisher") || allocation.equals("msp")) {
            dev.mixprune.allocate.FisherReport f;
            if (fisherFile != null) {
                f = dev.mixprune.allocate.FisherReport.load(fisherFile, c);
            } else {
                // streamed float32 traces from the mapped file (sensitivity's own computation), checkpoints beside the output
                Path dir = workDir != null ? workDir : out.toAbsolutePath().getParent();
                f = dev.mixprune.allocate.StreamingFisher.compute(source, windows, fisherSamples,
                        dev.mixprune.allocate.StreamingFisher.Options.defaults(dir), dev.mixprune.allocate.StreamingFisher.Progress.NONE,
                        co == null ? dev.mixprune.allocate.StreamingFisher.LOCAL : new dev.mixprune.cluster.ClusterFisher(co, model));
            }
            traces = new java.util.LinkedHashMap<>();
            for (dev.mixprune.model.LayerId id : dev.mixprune.model.LayerId.all(c)) traces.put(id, f.trace(id));
        }
        var req = new dev.mixprune.run.Plans.Request(allocation, m, targetSparsity, levels, step,
                dev.mixprune.allocate.Granularity.parse(granularity), searchConfig(), fitnessWindows, seed);
        Path work = out.toAbsolutePath().getParent();
        java.io.PrintStream log = new java.io.PrintStream(new java.io.OutputStream() {
            @Override public void write(int b) { err.write(b); }
            @Override public void flush() { err.flush(); }
        }, true);
        String dataId = calibStream.documents() + " docs:" + seed;
        SparsityPlan p;
        if (allocation.equals("msp")) {
            Long max = maxMemory == null ? null : dev.mixprune.resources.ResourcePlan.parseBytes(maxMemory);
            p = dev.mixprune.run.Plans.msp(req, source, Arrays.asList(windows.windows()), traces, calibStream.toArray(), dataId, work,
                    new dev.mixprune.allocate.MspSearch.Resources(workDir != null ? workDir : work, max, dev.mixprune.resources.Speed.assumed()), log,
                    ProgressFactory.forCli(compute.quiet()), co, model);
        } else {
            p = dev.mixprune.run.Plans.build(req, source, Arrays.asList(windows.windows()), traces, calibStream.toArray(), dataId, work, log,
                    ProgressFactory.forCli(compute.quiet()));
        }
        p.save(stagedPlan);
        if (!compute.quiet()) err.printf(Locale.ROOT, "allocation %s: plan with expected sparsity %.6f%n", allocation, p.expectedSparsity(c));
        return p;
    }

    /** The search's hyper-parameters: SearchConfig's defaults with the size options given here. */
    private dev.mixprune.allocate.SearchConfig searchConfig() {
        var d = dev.mixprune.allocate.SearchConfig.defaults(seed);
        return UsageException.fromOptions(() -> new dev.mixprune.allocate.SearchConfig(generations, population, d.parents(), stageTokens,
                SearchCommand.defaultSurvivors(stageTokens.length), d.crossoverRate(), d.tournament(), d.maxFlips(), seed));
    }

    /** The manifest's name inside an HF output directory (beside config.json and the safetensors). */
    public static final String HF_MANIFEST = "mixprune_manifest.json";

    public static Path manifestPath(Path out) { return out.resolveSibling(out.getFileName() + ".manifest.json"); }

    private Pattern parseUniform() {
        if (target.sparsity != null) {
            double s;
            try {
                s = Double.parseDouble(target.sparsity.trim());
            } catch (NumberFormatException e) {
                throw UsageException.option("--sparsity", "expected a number in [0, 1), got '" + target.sparsity + "'");
            }
            if (!(s >= 0 && s < 1)) throw UsageException.option("--sparsity", "expected a value in [0, 1), got " + target.sparsity);
            return new Pattern.Unstructured(s);
        }
        if (target.pattern != null) return UsageException.fromOption("--pattern", () -> Pattern.parseNM(target.pattern));
        return null;
    }

    private static Path resolveShared(String p) {
        Path given = Path.of(p);
        if (given.isAbsolute() || Files.exists(given)) return given;
        Path shared = SharedFiles.resolve(p);
        return Files.exists(shared) ? shared : given;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ObjectNode manifest(BlockSource lm, ModelFormat outFormat, TensorDType outType, PruneMethod m, Propagation prop, SparsityPlan plan, Path calibPath,
                                TokenStream calibStream, CalibrationWindows windows, PruneResult r, Path evalPath,
                                PerplexityResult dense, PerplexityResult pruned, double seconds) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", MANIFEST_FORMAT);
        root.put("version", MANIFEST_VERSION);
        ArrayNode cmd = root.putArray("command");
        cmd.add("mixprune");
        cmd.add("prune");
        List<String> given = originalArgs();
        int from = !given.isEmpty() && given.get(0).equals("prune") ? 1 : 0;
        for (String a : given.subList(from, given.size())) cmd.add(a);
        String v = PruneCommand.class.getPackage().getImplementationVersion();
        root.put("mixprune_version", v == null ? "dev" : v);
        root.put("java_version", Runtime.version().toString());
        ObjectNode in = root.putObject("model");
        in.put("path", lm.path().toString());
        in.put("format", lm.format().name().toLowerCase(Locale.ROOT));
        in.put("weight_type", lm.weightType());
        ObjectNode o = root.putObject("output");
        o.put("path", out.toString());
        o.put("format", outFormat.name().toLowerCase(Locale.ROOT));
        o.put("dtype", outType.name().toLowerCase(Locale.ROOT));
        o.put("streamed", true);
        root.put("method", m.cliName());
        root.put("propagation", prop.name().toLowerCase(Locale.ROOT));
        root.set("plan", plan.toJson());
        ObjectNode cal = root.putObject("calibration");
        if (windows == null) {
            cal.put("used", false);
        } else {
            cal.put("used", true);
            cal.put("file", calibPath.toString());
            cal.put("tokens", calibStream.length());
            cal.put("documents", calibStream.documents());
            cal.put("tokens_sha256", calibStream.sha256());
            cal.put("seed", windows.seed());
            cal.put("nsamples", windows.nsamples());
            cal.put("seqlen", windows.seqlen());
            ArrayNode off = cal.putArray("offsets");
            for (int x : windows.offsets()) off.add(x);
        }
        ObjectNode sp = root.putObject("sparsity");
        sp.put("overall", r.overallSparsity());
        sp.put("zeros", r.zeros());
        sp.put("weights", r.weights());
        sp.put("plan_expected", plan.expectedSparsity(lm.config()));
        ObjectNode layers = sp.putObject("layers");
        for (PruneResult.LayerReport l : r.layers()) {
            ObjectNode n = layers.putObject(l.id().name());
            n.put("pattern", l.pattern().text());
            n.put("zeros", l.zeros());
            n.put("weights", l.weights());
            n.put("sparsity", l.sparsity());
            if (!Double.isNaN(l.reconstructionError())) n.put("reconstruction_error", l.reconstructionError());
        }
        ObjectNode t = root.putObject("timings");
        t.put("total_seconds", seconds);
        ArrayNode blocks = t.putArray("blocks");
        for (PruneResult.BlockReport b : r.blocks()) {
            ObjectNode n = blocks.addObject();
            n.put("block", b.block());
            n.put("io_seconds", b.ioSeconds());
            n.put("stats_seconds", b.statsSeconds());
            n.put("prune_seconds", b.pruneSeconds());
            n.put("propagate_seconds", b.propagateSeconds());
            n.put("sparsity", b.sparsity());
        }
        if (pruned != null) {
            ObjectNode p = root.putObject("perplexity");
            p.put("text", evalPath.toString());
            if (dense != null) p.set("dense", ppl(dense));
            p.set("pruned", ppl(pruned));
        }
        return root;
    }

    private static ObjectNode ppl(PerplexityResult r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("ppl", r.ppl());
        n.put("mean_nll", r.meanNll());
        n.put("windows", r.windows());
        n.put("tokens_scored", r.tokensScored());
        n.put("seqlen", r.seqLen());
        return n;
    }
}
