package dev.mixprune.recover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.grad.BlockTape;
import dev.mixprune.grad.Checkpoints;
import dev.mixprune.grad.GradientSink;
import dev.mixprune.grad.KlHead;
import dev.mixprune.grad.LossHead;
import dev.mixprune.grad.NllHead;
import dev.mixprune.grad.StreamedBackward;
import dev.mixprune.io.BlockSource;
import dev.mixprune.io.WeightsBlockSource;
import dev.mixprune.model.BlockWeights;
import dev.mixprune.model.LlamaConfig;
import dev.mixprune.model.LlamaWeights;
import dev.mixprune.tensor.Matrix;
import dev.mixprune.tensor.ThreadTeam;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Global recovery: end-to-end distillation of a pruned student from its dense teacher with the
 * masks fixed. Every step draws a batch of windows, runs the teacher forward (streamed from its
 * file, one block at a time) to its last hidden state, then the student's streamed float32 forward
 * and backward with the {@link KlHead} (per-token KL(teacher ‖ student), the teacher's logits
 * recomputed chunk by chunk, never stored), and applies Adam to the kept weights of the seven
 * linears, the norm gains, the biases and the final norm (and the embedding/classifier with
 * {@code trainEmbeddings}).
 *
 * <p>Updates are applied as the backward goes: a linear as soon as its gradient is handed over
 * (the backward no longer reads it: {@link GradientSink}'s guarantee), the block's norm gains when
 * its backward is done, the final norm after the head; so no gradient of the whole model is ever
 * held. The student is in memory (weights, masks, Adam moments of the kept entries); the teacher
 * is streamed.
 *
 * <p>Deterministic: the windows are a function of (seed, step), every kernel gives the same bits
 * for any thread count, and a resumed run continues from the exact saved state.
 */
public final class GlobalRecovery {
    public static final String CHECKPOINT_FORMAT = "mixprune.recover-checkpoint";

    /** Progress of the run. */
    public interface Listener {
        /** Step {@code step} (1-based count of steps done) finished with this mean KL. */
        void stepDone(int step, int total, double loss, double lr);

        default void checkpointSaved(int stepsDone, Path file) { }

        Listener NONE = (s, t, l, lr) -> { };
    }

    /** Where and how often to checkpoint (every {@code every} steps and at the end); null file: never. */
    public record Checkpointing(Path file, int every, String modelFingerprint) {
        public static final Checkpointing NONE = new Checkpointing(null, 0, "");
    }

    private final LlamaWeights student;
    private final BlockSource teacher;
    private final RecoverOptions o;
    private final Trainables trainables;
    private final ThreadTeam team;
    private final double[] losses;
    private int done;
    private final Path scratchDir;

    /**
     * @param student    the pruned model in memory, trained in place
     * @param teacher    the dense model (same shape), streamed
     * @param scratchDir where the activation checkpoints go when they exceed 64 MiB
     */
    public GlobalRecovery(LlamaWeights student, BlockSource teacher, RecoverOptions o, Path scratchDir, ThreadTeam team) {
        if (!Shapes.differences(student.config(), teacher.config()).isEmpty()) throw new IllegalArgumentException("teacher and student shapes differ");
        this.student = student;
        this.teacher = teacher;
        this.o = o;
        this.trainables = Trainables.ofModel(student, o.trainEmbeddings());
        this.team = team;
        this.losses = new double[o.steps()];
        this.scratchDir = scratchDir;
    }

    public Trainables trainables() { return trainables; }

    /** Mean KL of every step run so far (resumed steps included). */
    public double[] losses() { return Arrays.copyOf(losses, done); }

    public int stepsDone() { return done; }

    /** Bytes of one step's activations (tape, residuals, head) for a batch of {@code rows} tokens, and the checkpoints kept in memory. */
    public static long stepBytes(LlamaConfig c, int rows, long headChunkBytes) {
        long checkpoints = Checkpoints.bytesFor(c.nLayers(), rows, c.dim());
        return BlockTape.bytesPerRow(c) * rows + 4L * 6 * rows * c.dim() + NllHead.bytesFor(c, rows, headChunkBytes) * 2
                + (checkpoints <= IN_MEMORY_CHECKPOINTS ? checkpoints : 0);
    }

    /**
     * An upper bound of the memory a global recovery of a model of shape {@code c} needs besides the JVM:
     * the student whole in float32, its masks, Adam's two moments for EVERY entry of its linears (the
     * pruned model keeps only 1 − sparsity of them: the bound does not depend on the sparsity reached),
     * its norms, biases (and embeddings with {@code trainEmbeddings}), one teacher block read from its
     * file, the teacher's classifier when it is cached (up to 64 MiB), and one step's activations
     * ({@link #stepBytes}). What {@code run --recover} adds to its resource plan.
     */
    public static long memoryBound(LlamaConfig c, RecoverOptions o) {
        long student = 4L * c.parameterCount();
        long masks = 0;
        for (dev.mixprune.model.LayerKind k : dev.mixprune.model.LayerKind.values()) masks += dev.mixprune.grad.Mask.bytesFor(c.rowsOf(k), c.colsOf(k));
        long dense = c.prunableTotal() + c.nLayers() * (c.biasesPerBlock() + 2L * c.dim()) + c.dim();
        if (o.trainEmbeddings()) dense += (long) c.vocabSize() * c.dim() * (c.sharedClassifier() ? 1 : 2);
        long adam = 8L * dense;
        long teacherBlock = 4L * (c.prunablePerBlock() + c.biasesPerBlock() + 2L * c.dim());
        long classifier = 4L * c.vocabSize() * c.dim();
        return student + masks * c.nLayers() + adam + teacherBlock + (classifier <= IN_MEMORY_CHECKPOINTS ? classifier : 0)
                + stepBytes(c, o.batch() * o.seqLen(), NllHead.DEFAULT_CHUNK_BYTES);
    }

    /** Bytes of the activation checkpoints that go to a temporary file (0 when they stay in memory). */
    public static long checkpointFileBytes(LlamaConfig c, RecoverOptions o) {
        long b = Checkpoints.bytesFor(c.nLayers(), o.batch() * o.seqLen(), c.dim());
        return b <= IN_MEMORY_CHECKPOINTS ? 0 : b;
    }

    /** Activation checkpoints up to this size stay in memory, beyond it they go to a temporary file. */
    static final long IN_MEMORY_CHECKPOINTS = 64L << 20;

    /** Bytes of the student's training state besides its weights: masks and Adam moments of the trained values. */
    public static long stateBytes(Trainables t) {
        long b = 0;
        for (Trainables.Tensor x : t.tensors()) b += (x.mask() != null ? x.mask().bytes() : 0) + 8L * x.adam().compactSize();
        return b;
    }

    /** Runs the remaining steps (all of them, or those after a {@link #resume}). */
    public void run(TrainingWindows.Global data, Checkpointing cp, Listener listener) throws IOException {
        LlamaConfig c = student.config();
        int rows = o.batch() * o.seqLen();
        BlockTape tape = new BlockTape(c);
        WeightsBlockSource studentSource = new WeightsBlockSource(student);
        float[] teacherNorm = teacher.finalNorm();
        NllHead.ClassifierRows teacherCls = cachedClassifier(teacher);
        long chunk = NllHead.DEFAULT_CHUNK_BYTES;
        long checkpointBytes = Checkpoints.bytesFor(c.nLayers(), rows, c.dim());
        try (Checkpoints acts = checkpointBytes <= IN_MEMORY_CHECKPOINTS ? Checkpoints.inMemory(c.nLayers())
                : Checkpoints.tempFile(scratchDir, c.nLayers(), rows, c.dim())) {
            while (done < o.steps()) {
                int step = done;
                double loss = step(data.batch(step), step, c, tape, studentSource, teacherNorm, teacherCls, acts, chunk);
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("step " + (step + 1) + ": the distillation loss is " + loss + " (diverged: lower --lr)");
                }
                losses[step] = loss;
                done++;
                listener.stepDone(done, o.steps(), loss, o.lrAt(step));
                if (cp.file() != null && cp.every() > 0 && (done % cp.every() == 0) && done < o.steps()) {
                    saveCheckpoint(cp.file(), cp.modelFingerprint());
                    listener.checkpointSaved(done, cp.file());
                }
            }
        }
    }

    private double step(int[][] seqs, int step, LlamaConfig c, BlockTape tape, WeightsBlockSource studentSource, float[] teacherNorm,
                        NllHead.ClassifierRows teacherCls, Checkpoints acts, long chunk) {
        int nSeq = seqs.length, D = c.dim();
        double lr = o.lrAt(step);
        long t = step + 1L;
        Matrix teacherHidden = StreamedBackward.forward(teacher, seqs, tape, team);
        KlHead.Teacher th = new KlHead.Teacher(teacherHidden, teacherNorm, teacherCls);
        double[] weights = new double[nSeq];
        Arrays.fill(weights, 1.0 / nSeq);
        double[] dFinal = new double[D];
        boolean emb = o.trainEmbeddings();
        float[] dEmb = emb ? new float[student.tokenEmbedding().size()] : null;
        float[] dCls = emb && !c.sharedClassifier() ? new float[student.classifier().size()] : null;
        KlHead.ClassifierGradient clsGrad = !emb ? null : (first, g) -> {
            float[] into = c.sharedClassifier() ? dEmb : dCls;
            float[] gd = g.data();
            for (int i = 0; i < g.size(); i++) into[first * D + i] += gd[i];
        };
        NllHead.ClassifierRows studentCls = NllHead.ClassifierRows.of(student.classifier());
        LossHead head = (hidden, s, dHidden, tm) -> {
            double[] l = KlHead.lossAndGradient(c, student.finalNorm(), studentCls, hidden, th, nSeq, weights, dHidden, dFinal, clsGrad, chunk, tm);
            // the final norm is not read again in this step: update it now
            trainables.get("output_norm").adam().step(student.finalNorm(), toFloat(dFinal), lr, t, o.hyper(), team);
            return l;
        };
        AdamSink[] sinks = new AdamSink[c.nLayers()];
        StreamedBackward.Listener afterBlock = new StreamedBackward.Listener() {
            @Override public void blockDone(boolean backward, int block) { }

            @Override public void backwardDone(int block, BlockWeights w) { sinks[block].applyNorms(); }
        };
        StreamedBackward.Result r = StreamedBackward.run(studentSource, seqs, acts, nSeq,
                b -> sinks[b] = new AdamSink(trainables, b, student.block(b), o, lr, t, team), tape, head, afterBlock, team);
        if (emb) {
            float[] dx = r.inputGradient().data();
            int T = seqs[0].length;
            for (int s = 0; s < nSeq; s++) {
                for (int p = 0; p < T; p++) {
                    int tok = seqs[s][p], src = (s * T + p) * D, dst = tok * D;
                    for (int i = 0; i < D; i++) dEmb[dst + i] += dx[src + i];
                }
            }
            trainables.get("token_embd").adam().step(student.tokenEmbedding().data(), dEmb, lr, t, o.hyper(), team);
            if (dCls != null) trainables.get("output").adam().step(student.classifier().data(), dCls, lr, t, o.hyper(), team);
        }
        double sum = 0;
        for (double v : r.losses()) sum += v;
        return sum / nSeq;
    }

    /** The teacher's classifier rows: held in memory when small (64 MiB), otherwise read from its file chunk by chunk. */
    private static NllHead.ClassifierRows cachedClassifier(BlockSource src) {
        LlamaConfig c = src.config();
        NllHead.ClassifierRows rows = c.sharedClassifier() ? src::embeddingRows : src::classifierRows;
        if (4L * c.vocabSize() * c.dim() > IN_MEMORY_CHECKPOINTS) return rows;
        return NllHead.ClassifierRows.of(new Matrix(c.vocabSize(), c.dim(), rows.rows(0, c.vocabSize())));
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** Writes the complete training state after {@link #stepsDone()} steps (atomically). */
    public void saveCheckpoint(Path file, String modelFingerprint) throws IOException {
        ObjectNode h = new ObjectMapper().createObjectNode();
        h.put("format", CHECKPOINT_FORMAT).put("version", 1).put("mode", "global");
        h.put("options", o.fingerprint()).put("model", modelFingerprint).put("steps_done", done);
        ArrayNode l = h.putArray("losses");
        for (int i = 0; i < done; i++) l.add(losses[i]);
        StateFile.write(file, h, trainables.tensors(), true);
    }

    /**
     * Continues from a checkpoint written by {@link #saveCheckpoint} with the same options and model:
     * restores every trained tensor, its Adam moments and the loss history. The masks are the pruned
     * model's; a checkpoint whose weights have zeros elsewhere is refused.
     */
    public void resume(Path file, String modelFingerprint) throws IOException {
        JsonNode h = StateFile.header(file);
        checkHeader(file, h, "global", o, modelFingerprint);
        JsonNode read = StateFile.read(file, trainables.tensors(), true);
        int n = read.path("steps_done").asInt(-1);
        if (n < 0 || n > o.steps() || read.path("losses").size() != n) {
            throw BadInputException.in(file, "steps_done " + n + " with " + read.path("losses").size() + " losses does not fit a run of " + o.steps() + " steps");
        }
        for (Trainables.Tensor x : trainables.tensors()) {
            if (x.mask() != null && !x.mask().matchesNonZerosOf(new Matrix(x.mask().rows(), x.mask().cols(), x.values()))) {
                throw BadInputException.in(file, x.name() + " has zeros where the pruned model has none (or values where it has zeros): the checkpoint is of another model");
            }
        }
        for (int i = 0; i < n; i++) losses[i] = read.path("losses").get(i).asDouble();
        done = n;
    }

    /** Refuses a checkpoint of another format, mode, model or settings, naming the file and what differs. */
    static void checkHeader(Path file, JsonNode h, String mode, RecoverOptions o, String modelFingerprint) {
        if (!CHECKPOINT_FORMAT.equals(h.path("format").asText()) || h.path("version").asInt() != 1) {
            throw BadInputException.in(file, "is not a version-1 " + CHECKPOINT_FORMAT + " file");
        }
        if (!mode.equals(h.path("mode").asText())) throw BadInputException.in(file, "is a " + h.path("mode").asText() + " checkpoint; this run is " + mode);
        if (!o.fingerprint().equals(h.path("options").asText())) {
            throw BadInputException.in(file, "was written with other settings (" + h.path("options").asText() + "); this run: " + o.fingerprint()
                    + " (resume with the same options, or delete the checkpoint to start over)");
        }
        if (!modelFingerprint.equals(h.path("model").asText())) {
            throw BadInputException.in(file, "belongs to another model or teacher (" + h.path("model").asText() + "); this run: " + modelFingerprint);
        }
    }
}
