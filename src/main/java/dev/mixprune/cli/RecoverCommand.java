package dev.mixprune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import dev.mixprune.UsageException;
import dev.mixprune.data.Corpus;
import dev.mixprune.data.TokenStream;
import dev.mixprune.eval.PerplexityResult;
import dev.mixprune.grad.Adam;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.LoadedModel;
import dev.mixprune.io.MappedBlockSource;
import dev.mixprune.io.ModelFormat;
import dev.mixprune.io.ModelLoader;
import dev.mixprune.io.ModelWriter;
import dev.mixprune.io.OutputSet;
import dev.mixprune.io.TokenizerBin;
import dev.mixprune.io.TensorDType;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.progress.Progress;
import dev.mixprune.progress.ProgressFactory;
import dev.mixprune.prune.BlockwisePerplexity;
import dev.mixprune.recover.BlockwiseRecovery;
import dev.mixprune.recover.GlobalRecovery;
import dev.mixprune.recover.RecoverOptions;
import dev.mixprune.recover.Recovery;
import dev.mixprune.recover.Shapes;
import dev.mixprune.resources.ResourcePlan;
import dev.mixprune.recover.TrainingWindows;
import dev.mixprune.tensor.ThreadTeam;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongUnaryOperator;

/**
 * {@code mixprune recover}: trains a pruned model's kept weights and norms with its masks fixed
 * (docs/recover.md). Global mode distils the whole model from the dense teacher (per-token KL,
 * Adam); blockwise mode trains each block to reproduce the dense block's output on the
 * pruned-propagated inputs (MSE), streamed, one block in memory. Writes OUT and OUT.manifest.json
 * (settings, loss curve, zeros, before/after perplexity with --eval).
 */
@Command(name = "recover",
        description = "Recovery after pruning: mask-fixed distillation from the dense model (zeros stay zero, N:M stays valid).")
public final class RecoverCommand implements Callable<Integer> {
    public static final String MANIFEST_FORMAT = "mixprune.recover-manifest";

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help") boolean help;
    @Option(names = "--model", required = true, description = "the pruned model (.bin, .gguf or HF directory)") Path model;
    @Option(names = "--teacher", required = true, description = "the dense model it was pruned from (same shapes)") Path teacher;
    @Option(names = "--tokenizer", description = "tokenizer (default: beside or inside the model)") Path tokenizer;
    @Option(names = "--calib", description = "training text (default: data/tinystories/calib.txt under the shared folder)") Path calib;
    @Option(names = "--out", required = true, description = "the recovered model; the manifest goes to OUT.manifest.json") Path out;
    @Option(names = "--format", description = "bin, gguf or safetensors (default: the model's format)") String format;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 (default) or f16 for the written weights "
            + "(f16 can round tiny trained values to zero; the zeros check then says so)") String dtype;
    @Option(names = "--mode", defaultValue = "global", description = "global (end-to-end KL distillation, default) or blockwise (per-block MSE, streamed)") String mode;
    @Option(names = "--steps", description = "optimizer steps (global, default 600) or steps per block (blockwise, default 200)") Integer steps;
    @Option(names = "--lr", description = "peak Adam learning rate (default: global 2e-3, blockwise 1e-3)") Double lr;
    @Option(names = "--batch", defaultValue = "8", description = "windows per step (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--seqlen", description = "tokens per window (default: 256, at most the model's context length)") Integer seqlen;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the training windows (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--schedule", defaultValue = "cosine", description = "learning-rate schedule: cosine (default), linear or constant") String schedule;
    @Option(names = "--warmup", defaultValue = "0", description = "linear warm-up steps (default ${DEFAULT-VALUE})") int warmup;
    @Option(names = "--min-lr", defaultValue = "0.1", description = "final learning rate as a fraction of --lr (default ${DEFAULT-VALUE})") double minLr;
    @Option(names = "--micro-batch", paramLabel = "N", description = "blockwise: windows per forward/backward pass, a divisor of --batch; a step "
            + "sums the gradients of --batch / N passes, so its activations do not grow with --batch (default: the whole batch when one "
            + "pass's activations fit 256 MiB, else the largest divisor that fits: 2 at the 7B shape)") Integer microBatch;
    @Option(names = "--pool", defaultValue = "64", description = "blockwise: calibration windows kept and trained on (default ${DEFAULT-VALUE})") int pool;
    @Option(names = "--train-embeddings", description = "global: also train the token embedding and the classifier (frozen by default)") boolean trainEmbeddings;
    @Option(names = "--checkpoint", description = "checkpoint file (default OUT.recover-checkpoint); removed after a finished run") Path checkpoint;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "global: save the state every N steps (0: never; default ${DEFAULT-VALUE}); "
            + "blockwise saves after every block") int checkpointEvery;
    @Option(names = "--resume", description = "continue from the checkpoint (same settings and model; gives the same final model)") boolean resume;
    @Option(names = "--eval", description = "text file for perplexity before and after recovery and of the teacher (protocols.md P; default: none)") Path eval;
    @Option(names = "--eval-every", defaultValue = "0", description = "global with --eval: also the perplexity every N steps (the curve; default: only before/after)") int evalEvery;
    @Option(names = "--force", description = "replace a tokenizer.bin beside --out that differs, or a non-empty --out directory; inputs are never replaced") boolean force;
    @Option(names = "--json", description = "print the manifest on stdout instead of a summary") boolean json;
    @Option(names = "--max-memory", paramLabel = "SIZE", description = "bound on the planned peak memory, e.g. 4g: refused before any work when "
            + "the plan exceeds it; the launcher also caps the JVM heap at SIZE - 512 MiB (default: no bound)") String maxMemory;
    @Mixin ComputeOptions compute = new ComputeOptions();

    PrintStream stdout = System.out;
    PrintStream stderr = System.err;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override public Integer call() throws Exception {
        long start = System.nanoTime();
        RecoverOptions.Mode m = UsageException.fromOption("--mode", () -> RecoverOptions.Mode.parse(mode));
        RecoverOptions.Schedule sch = UsageException.fromOption("--schedule", () -> RecoverOptions.Schedule.parse(schedule));
        TensorDType outType = UsageException.fromOption("--dtype", () -> TensorDType.parse(dtype));
        UsageException.require(outType == TensorDType.F32 || outType == TensorDType.F16, "--dtype", "f32 or f16", dtype);
        UsageException.require(checkpointEvery >= 0, "--checkpoint-every", "at least 0", checkpointEvery);
        UsageException.require(evalEvery >= 0, "--eval-every", "at least 0", evalEvery);
        if (evalEvery > 0 && eval == null) throw UsageException.option("--eval-every", "needs --eval");
        if (trainEmbeddings && m != RecoverOptions.Mode.GLOBAL) throw UsageException.option("--train-embeddings", "is for --mode global");
        ModelFormat outFormat = format == null ? null : UsageException.fromOption("--format", () -> ModelFormat.parse(format));
        if (!Files.exists(model)) throw new java.nio.file.NoSuchFileException(model.toString());
        if (!Files.exists(teacher)) throw new java.nio.file.NoSuchFileException(teacher.toString());
        Path calibPath = calib != null ? calib : SharedFiles.require(SharedFiles.tinyStoriesCalib());
        if (!Files.isRegularFile(calibPath)) throw new java.nio.file.NoSuchFileException(calibPath.toString());
        if (eval != null && !Files.isRegularFile(eval)) throw new java.nio.file.NoSuchFileException(eval.toString());
        Long maxBytes = maxMemory == null ? null : UsageException.fromOption("--max-memory", () -> ResourcePlan.parseBytes(maxMemory));
        if (outFormat == null) outFormat = ModelFormat.detect(model);
        if (outFormat == ModelFormat.BIN && outType != TensorDType.F32) throw UsageException.option("--dtype", dtype + ": a llama2.c .bin holds float32 only");
        Path cpFile = checkpoint != null ? checkpoint : out.resolveSibling(out.getFileName() + ".recover-checkpoint");
        if (resume && !Files.exists(cpFile)) throw BadInputException.in(cpFile, "no checkpoint to resume from (--resume)");
        if (!resume && Files.exists(cpFile)) {
            throw BadInputException.in(cpFile, "a checkpoint of an unfinished run exists: pass --resume to continue it, or delete it to start over");
        }

        ProgressFactory progress = ProgressFactory.forCli(compute.quiet(), stderr);
        try (MappedBlockSource dense = MappedBlockSource.openDense(teacher, tokenizer)) {
            LlamaConfig tc = dense.config();
            LlamaConfig sc;
            try (MappedBlockSource pruned = MappedBlockSource.open(model, tokenizer)) {
                sc = pruned.config();
            }
            Shapes.requireSameShape(model, sc, teacher, tc);
            // blockwise: the zeros and the largest block's kept entries (its plan), in one pass over the model
            Recovery.Counts counts = null;
            if (m == RecoverOptions.Mode.BLOCKWISE) {
                try (MappedBlockSource pruned = MappedBlockSource.openWeights(model)) {
                    counts = Recovery.requirePrunedCounts(model, pruned);
                }
            }
            int T = seqlen != null ? seqlen : Math.min(256, sc.seqLen());
            UsageException.require(T >= 2 && T <= sc.seqLen(), "--seqlen", "2.." + sc.seqLen() + " (the model's context length)", T);
            if (microBatch != null && m != RecoverOptions.Mode.BLOCKWISE) throw UsageException.option("--micro-batch", "is for --mode blockwise");
            if (microBatch != null) {
                UsageException.require(microBatch >= 1 && microBatch <= batch && batch % microBatch == 0, "--micro-batch", "a divisor of --batch " + batch, microBatch);
            }
            int micro = m != RecoverOptions.Mode.BLOCKWISE || batch < 1 ? 0 : microBatch != null ? microBatch : BlockwiseRecovery.defaultMicroBatch(sc, batch, T);
            RecoverOptions o = UsageException.fromOptions(() -> new RecoverOptions(m, steps != null ? steps : m == RecoverOptions.Mode.GLOBAL ? 600 : 200,
                    lr != null ? lr : m == RecoverOptions.Mode.GLOBAL ? RecoverOptions.GLOBAL_LR : RecoverOptions.BLOCKWISE_LR, batch, T, seed, sch, warmup, minLr, trainEmbeddings, pool,
                    Adam.Hyper.DEFAULT, micro == batch ? 0 : micro));

            var tok = dense.requireTokenizer();
            List<Path> inputs = CommandFiles.of(CommandFiles.model(model, tokenizer), calibPath, eval);
            inputs.addAll(CommandFiles.model(teacher, null));
            try (OutputSet outs = OutputSet.begin(inputs, force)) {
                Path stagedModel = outFormat == ModelFormat.SAFETENSORS ? outs.directory(out, "--out") : outs.file(out, OutputSet.Existing.REPLACE, "--out");
                if (outFormat == ModelFormat.BIN) {
                    Path tokBin = out.toAbsolutePath().resolveSibling("tokenizer.bin");
                    outs.fileUnlessSame(tokBin, TokenizerBin.bytes(tok, tokBin), "tokenizer.bin beside --out");
                }
                Path stagedManifest = outs.manifest(PruneCommand.manifestPath(out), "the manifest beside --out");
                if (m == RecoverOptions.Mode.GLOBAL) outs.workingFile(cpFile, "--checkpoint");

                TokenStream calibStream = TokenStream.of(Corpus.read(calibPath), tok);
                TokenStream evalStream = eval == null ? null : TokenStream.of(Corpus.read(eval), tok);
                if (evalStream != null && evalStream.length() < sc.seqLen()) {
                    throw BadInputException.in(eval, evalStream.length() + " tokens, fewer than one evaluation window of " + sc.seqLen());
                }
                ResourcePlan plan = plan(sc, o, counts == null ? sc.prunablePerBlock() : counts.maxKeptPerBlock(), evalStream == null ? 0 : evalStream.length());
                if (!compute.quiet()) plan.lines().forEach(stderr::println);
                plan.enforce(maxBytes, "lower --batch or --seqlen" + (m == RecoverOptions.Mode.BLOCKWISE ? " or --pool or --micro-batch" : ", or use --mode blockwise (one block in memory)"));
                // ZGC (the launcher's collector for recover) keeps the heap near the plan's live heap instead of growing to -Xmx
                dev.mixprune.resources.HeapBound.set(dev.mixprune.resources.HeapBound.heapOf(plan));
                Staged staged = new Staged(outs, stagedModel, stagedManifest);
                try {
                    ThreadTeam t = ThreadTeam.shared();  // Main runs the command in a team of --threads threads (ComputeOptions)
                    Summary done = m == RecoverOptions.Mode.GLOBAL
                            ? global(dense, o, calibPath, calibStream, evalStream, outFormat, outType, cpFile, progress, t, start, staged)
                            : blockwise(dense, o, counts.zeros(), calibPath, calibStream, evalStream, outFormat, outType, cpFile, progress, t, start, staged);
                    outs.commit();
                    BlockwiseRecovery.deleteCheckpoint(cpFile); // the run is finished: the model and its manifest are in place
                    print(done);
                } catch (IOException e) {
                    throw outs.named(e);
                }
            }
        }
        return 0;
    }

    /**
     * ZGC's working room above recover's live heap: an eighth of it, at least 256 MiB. Measured on the 2-block 7B shape
     * with the launcher (ZGC, soft bound from the plan; docs/results.md, "Blockwise mode"): the peak resident size was
     * 0.05 GiB below to 0.18 GiB above the live plan (micro-batches 1, 2, 8: live 3.39-3.87 GiB), an eighth is 0.36-0.42
     * GiB; stories260K global: within 0.03 GiB, under the 256 MiB minimum. The general rule (a third,
     * {@link ResourcePlan#DEFAULT_HEADROOM}, set from `run`, whose perplexity phase allocates far faster) planned the 7B
     * default at 4.51 GiB, so {@code --max-memory 4g} refused a run that peaks at 3.5 GiB.
     */
    static final LongUnaryOperator COLLECTOR_HEADROOM = heap -> Math.max(256L << 20, heap / 8);
    static final String COLLECTOR_HEADROOM_BASIS = "ZGC's working room for recover: an eighth of the live heap, at least 256 MiB";

    /**
     * What the run will hold at most (printed, and checked against --max-memory): global mode the whole student with its
     * training state ({@link GlobalRecovery#memoryBound}, alive also while the perplexities run), blockwise mode one block's
     * worth ({@link BlockwiseRecovery#addTo}, with the largest block's kept entries); with --eval, the perplexities as a phase of their own.
     */
    static ResourcePlan plan(LlamaConfig c, RecoverOptions o, long maxKeptPerBlock, long evalTokens) {
        ResourcePlan p = ResourcePlan.of("recover").collectorHeadroom(COLLECTOR_HEADROOM, COLLECTOR_HEADROOM_BASIS);
        if (o.mode() == RecoverOptions.Mode.GLOBAL) {
            p.memory(null, "the student in float32, its masks and Adam moments (every linear entry: an upper bound), one teacher block, "
                    + "one step's activations (" + o.batch() + " x " + o.seqLen() + " tokens)", GlobalRecovery.memoryBound(c, o));
        } else {
            BlockwiseRecovery.addTo(p, c, o, maxKeptPerBlock);
        }
        double flops, perStep = 2.0 * o.batch() * o.seqLen();
        if (o.mode() == RecoverOptions.Mode.GLOBAL) {  // student forward + backward (3x) and teacher forward, with both classifiers
            flops = perStep * 4 * (c.prunableTotal() + 2.0 * c.vocabSize() * c.dim()) * o.steps();
        } else {                                        // per block: the pool through the dense and the trained block, and the steps
            flops = c.nLayers() * (2 * 2.0 * o.poolWindows() * o.seqLen() * c.prunablePerBlock() + perStep * 3 * c.prunablePerBlock() * o.steps());
        }
        p.stage("training", flops / dev.mixprune.resources.Speed.assumed().flopsPerSecond(), o.steps() + " steps" + (o.mode() == RecoverOptions.Mode.GLOBAL ? "" : " per block"));
        if (evalTokens > 0) dev.mixprune.prune.PruneResources.addPerplexity(p, "perplexity", c, (int) Math.min(Integer.MAX_VALUE, evalTokens), c.seqLen(), 3);
        return p;
    }

    /** Where this run's outputs are staged until the commit. */
    private record Staged(OutputSet outs, Path model, Path manifest) {}

    /** What the summary prints. */
    private record Summary(RecoverOptions o, ObjectNode evals, double trainSeconds, byte[] manifest) {}

    private Summary global(BlockSource dense, RecoverOptions o, Path calibPath, TokenStream calibStream, TokenStream evalStream, ModelFormat outFormat,
                           TensorDType outType, Path cpFile, ProgressFactory progress, ThreadTeam team, long start, Staged staged) throws IOException {
        LoadedModel student = ModelLoader.load(model, tokenizer);
        long zeros = Recovery.requirePruned(model, student.weights());
        int evalLen = student.weights().config().seqLen();
        ObjectNode evals = JSON.createObjectNode();
        if (evalStream != null) {
            evals.put("dense", ppl("ppl teacher", dense, evalStream, evalLen, progress).ppl());
            evals.put("before", ppl("ppl before", new WeightsBlockSource(student.weights()), evalStream, evalLen, progress).ppl());
        }
        String fingerprint = Recovery.fingerprint(model, teacher, zeros);
        GlobalRecovery g = new GlobalRecovery(student.weights(), dense, o, out.toAbsolutePath().getParent(), team);
        if (resume) {
            g.resume(cpFile, fingerprint);
            progress.log("recover: resumed from " + cpFile + " after step " + g.stepsDone());
        }
        if (!compute.quiet()) {
            stderr.printf(Locale.ROOT, "recover (global): %,d trained values (kept weights of the linears, norms%s), %,d zeros fixed; %d steps x %d windows x %d tokens%n",
                    g.trainables().trainedValues(), o.trainEmbeddings() ? ", embeddings" : "", zeros, o.steps(), o.batch(), o.seqLen());
        }
        ArrayNode curve = JSON.createArrayNode();
        long t0 = System.nanoTime();
        long[] evalNanos = {0}; // the curve's evaluations are not training time
        try (Progress bar = progress.start("recover (global)", o.steps(), "steps")) {
            bar.step(g.stepsDone());
            double[] ema = {Double.NaN};
            g.run(new TrainingWindows.Global(calibStream, o), new GlobalRecovery.Checkpointing(cpFile, checkpointEvery, fingerprint),
                    new GlobalRecovery.Listener() {
                        @Override public void stepDone(int step, int total, double loss, double lr) {
                            ema[0] = Double.isNaN(ema[0]) ? loss : 0.9 * ema[0] + 0.1 * loss;
                            bar.message(String.format(Locale.ROOT, "KL %.4f", ema[0]));
                            bar.step(1);
                            if (step % Math.max(1, total / 20) == 0 || step == total) {
                                progress.log(String.format(Locale.ROOT, "recover: step %d/%d  KL %.4f (mean of last steps %.4f)  lr %.2e  %.0f s",
                                        step, total, loss, ema[0], lr, (System.nanoTime() - t0 - evalNanos[0]) / 1e9));
                            }
                            if (evalStream != null && evalEvery > 0 && step % evalEvery == 0 && step < total) {
                                long e0 = System.nanoTime();
                                double trainedSoFar = (e0 - t0 - evalNanos[0]) / 1e9;
                                double p = BlockwisePerplexity.compute(new WeightsBlockSource(student.weights()), evalStream.toArray(), evalLen).ppl();
                                evalNanos[0] += System.nanoTime() - e0;
                                curve.addObject().put("step", step).put("ppl", p).put("train_seconds", trainedSoFar);
                                progress.log(String.format(Locale.ROOT, "recover: step %d perplexity %.4f", step, p));
                            }
                        }
                    });
        }
        double trainSeconds = (System.nanoTime() - t0 - evalNanos[0]) / 1e9;
        Recovery.requireSameZeros(g.trainables(), "after training");
        ModelWriter.write(student, staged.model(), outFormat, outType);
        PerplexityResult after = null;
        if (evalStream != null) {
            try (BlockSource written = MappedBlockSource.openWeights(staged.model())) {
                Recovery.requireZeros(out, written, zeros);
                after = ppl("ppl recovered", written, evalStream, evalLen, progress);
            }
            evals.put("after", after.ppl());
        } else {
            try (BlockSource written = MappedBlockSource.openWeights(staged.model())) {
                Recovery.requireZeros(out, written, zeros);
            }
        }
        ObjectNode manifest = manifest(o, calibPath, outFormat, outType, zeros, g.trainables().trainedValues(), toJson(g.losses()), curve, evals, trainSeconds,
                (System.nanoTime() - start) / 1e9, team);
        return finish(manifest, staged, evals, trainSeconds, o);
    }

    private Summary blockwise(BlockSource dense, RecoverOptions o, long zeros, Path calibPath, TokenStream calibStream, TokenStream evalStream, ModelFormat outFormat,
                              TensorDType outType, Path cpFile, ProgressFactory progress, ThreadTeam team, long start, Staged staged) throws IOException {
        try (MappedBlockSource pruned = MappedBlockSource.openWeights(model)) {
            int evalLen = pruned.config().seqLen();
            ObjectNode evals = JSON.createObjectNode();
            if (evalStream != null) {
                evals.put("dense", ppl("ppl teacher", dense, evalStream, evalLen, progress).ppl());
                evals.put("before", ppl("ppl before", pruned, evalStream, evalLen, progress).ppl());
            }
            String fingerprint = Recovery.fingerprint(model, teacher, zeros);
            BlockwiseRecovery br = new BlockwiseRecovery(pruned, dense, o, TrainingWindows.Pool.of(calibStream, o), team);
            long t0 = System.nanoTime();
            long trained;
            ArrayNode losses = JSON.createArrayNode();
            try (Progress bar = progress.start("recover (blockwise)", (long) o.steps() * pruned.config().nLayers(), "steps")) {
                BlockwiseRecovery.Checkpointing cp = checkpointEvery == 0 ? BlockwiseRecovery.Checkpointing.NONE
                        : new BlockwiseRecovery.Checkpointing(cpFile, fingerprint, resume);
                BlockwiseRecovery.Result r = br.run(staged.model(), outFormat, outType, cp,
                        new BlockwiseRecovery.Listener() {
                            @Override public void stepDone(int block, int step, double loss) {
                                bar.message(String.format(Locale.ROOT, "block %d MSE %.3e", block, loss));
                                bar.step(1);
                            }

                            @Override public void blockDone(int block, double first, double last, double seconds) {
                                progress.log(String.format(Locale.ROOT, "recover: block %d: MSE %.4e -> %.4e in %.1f s", block, first, last, seconds));
                            }

                            @Override public void skipped(int block) {
                                bar.step(o.steps());
                            }
                        });
                trained = r.trainedValues();
                for (double[] block : r.losses()) {
                    ArrayNode l = losses.addArray();
                    for (double v : block) l.add(v);
                }
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            try (BlockSource written = MappedBlockSource.openWeights(staged.model())) {
                Recovery.requireZeros(out, written, zeros);
                if (evalStream != null) evals.put("after", ppl("ppl recovered", written, evalStream, evalLen, progress).ppl());
            }
            ObjectNode manifest = manifest(o, calibPath, outFormat, outType, zeros, trained, losses, JSON.createArrayNode(), evals, trainSeconds,
                    (System.nanoTime() - start) / 1e9, team);
            return finish(manifest, staged, evals, trainSeconds, o);
        }
    }

    private Summary finish(ObjectNode manifest, Staged staged, ObjectNode evals, double trainSeconds, RecoverOptions o) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(manifest);
        staged.outs().write(staged.manifest(), bytes);
        return new Summary(o, evals, trainSeconds, bytes);
    }

    private void print(Summary d) {
        if (json) {
            stdout.println(new String(d.manifest(), java.nio.charset.StandardCharsets.UTF_8));
        } else {
            stdout.printf(Locale.ROOT, "recovered %s (%s, %d %s): %.1f s of training%n", model, d.o().mode().cliName(), d.o().steps(),
                    d.o().mode() == RecoverOptions.Mode.GLOBAL ? "steps" : "steps per block", d.trainSeconds());
            if (d.evals().has("after")) {
                stdout.printf(Locale.ROOT, "perplexity on %s: dense %.4f, pruned %.4f, recovered %.4f%n", eval,
                        d.evals().path("dense").asDouble(), d.evals().path("before").asDouble(), d.evals().path("after").asDouble());
            }
            stdout.printf("wrote %s and %s%n", out, PruneCommand.manifestPath(out));
        }
        stdout.flush();
    }

    private ObjectNode manifest(RecoverOptions o, Path calibPath, ModelFormat outFormat, TensorDType outType, long zeros, long trained, ArrayNode losses,
                                ArrayNode curve, ObjectNode evals, double trainSeconds, double totalSeconds, ThreadTeam team) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", MANIFEST_FORMAT).put("version", 1);
        root.put("model", model.toString()).put("teacher", teacher.toString()).put("calib", calibPath.toString());
        if (eval != null) root.put("eval", eval.toString());
        root.put("out", out.toString()).put("out_format", outFormat.name().toLowerCase(Locale.ROOT)).put("dtype", outType.name().toLowerCase(Locale.ROOT));
        ObjectNode s = root.putObject("settings");
        s.put("mode", o.mode().cliName()).put("steps", o.steps()).put("lr", o.lr()).put("batch", o.batch()).put("seqlen", o.seqLen())
                .put("seed", o.seed()).put("schedule", o.schedule().cliName()).put("warmup", o.warmup()).put("min_lr_fraction", o.minLrFraction())
                .put("train_embeddings", o.trainEmbeddings()).put("adam_beta1", o.hyper().beta1()).put("adam_beta2", o.hyper().beta2())
                .put("adam_eps", o.hyper().eps()).put("fingerprint", o.fingerprint());
        if (o.mode() == RecoverOptions.Mode.BLOCKWISE) s.put("pool", o.poolWindows()).put("micro_batch", o.passWindows(Math.min(o.batch(), o.poolWindows())));
        root.put("loss", o.mode() == RecoverOptions.Mode.GLOBAL ? "mean per-token KL(teacher || student), nats" : "per-block MSE to the dense block's output");
        root.put("zeros_fixed", zeros).put("trained_values", trained).put("resumed", resume);
        root.set("losses", losses);
        if (!curve.isEmpty()) root.set("perplexity_curve", curve);
        if (!evals.isEmpty()) root.set("perplexity", evals);
        root.put("train_seconds", trainSeconds).put("total_seconds", totalSeconds).put("threads", team.size());
        return root;
    }

    private static ArrayNode toJson(double[] values) {
        ArrayNode a = JSON.createArrayNode();
        for (double v : values) a.add(v);
        return a;
    }

    private static PerplexityResult ppl(String name, BlockSource src, TokenStream text, int seqLen, ProgressFactory progress) {
        try (Progress p = progress.start(name, src.config().nLayers() + 1L, "blocks")) {
            return BlockwisePerplexity.compute(src, text.toArray(), seqLen, p::step);
        }
    }

}
