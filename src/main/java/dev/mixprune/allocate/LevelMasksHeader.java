package dev.mixprune.allocate;

import dev.mixprune.BadInputException;
import dev.mixprune.prune.Pattern;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The shared parts of a {@link LevelMasks.Portable} header; each implementation appends its own state. */
final class LevelMasksHeader {
    private LevelMasksHeader() {}

    static final int MAGIC = 0x4d584c4d; // "MXLM"
    static final int VERSION = 1;
    static final byte SCORED = 1, DATABASE = 2;

    static DataOutputStream start(ByteArrayOutputStream bytes, byte kind, SearchSpace space) {
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeByte(kind);
            Levels l = space.levels();
            out.writeUTF(l.name());
            out.writeDouble(l.step());
            out.writeInt(l.count());
            for (Pattern p : l.patterns()) out.writeUTF(p.text());
            out.writeUTF(space.granularity().name());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out;
    }

    static Levels readLevels(DataInputStream in) throws IOException {
        String name = in.readUTF();
        double step = in.readDouble();
        int n = in.readInt();
        if (n < 2 || n > 1 << 16) throw new BadInputException("level-masks header: " + n + " levels");
        List<Pattern> patterns = new ArrayList<>(n);
        for (int i = 0; i < n; i++) patterns.add(Pattern.parse(in.readUTF()));
        return new Levels(name, patterns, step);
    }

    static void writeOffsets(DataOutputStream out, long[][] offsets) throws IOException {
        out.writeInt(offsets.length);
        for (long[] o : offsets) {
            out.writeInt(o.length);
            for (long v : o) out.writeLong(v);
        }
    }

    static long[][] readOffsets(DataInputStream in, int layers, int levels) throws IOException {
        int n = in.readInt();
        if (n != layers) throw new BadInputException("level-masks header: offsets of " + n + " layers, the model has " + layers);
        long[][] out = new long[n][];
        for (int i = 0; i < n; i++) {
            int m = in.readInt();
            if (m != levels) throw new BadInputException("level-masks header: " + m + " level offsets, expected " + levels);
            out[i] = new long[m];
            for (int j = 0; j < m; j++) out[i][j] = in.readLong();
        }
        return out;
    }
}
