package dev.mixprune.model;

import java.util.ArrayList;
import java.util.List;

/** One prunable layer: block index and kind. Its name is {@code blk.3.w2}. */
public record LayerId(int block, LayerKind kind) implements Comparable<LayerId> {

    public LayerId {
        if (block < 0) throw new IllegalArgumentException("block must be >= 0, got " + block);
        if (kind == null) throw new IllegalArgumentException("kind is null");
    }

    public String name() { return "blk." + block + "." + kind.shortName(); }

    /** Parses {@code blk.<b>.<kind>}. */
    public static LayerId parse(String name) {
        String[] parts = name.split("\\.");
        if (parts.length != 3 || !parts[0].equals("blk")) {
            throw new IllegalArgumentException("bad layer name '" + name + "', expected blk.<block>.<wq|wk|wv|wo|w1|w2|w3>");
        }
        int block;
        try {
            block = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad block index in layer name '" + name + "'");
        }
        return new LayerId(block, LayerKind.parse(parts[2]));
    }

    /** Every prunable layer of a model, block-major then in LayerKind order. */
    public static List<LayerId> all(LlamaConfig config) {
        List<LayerId> ids = new ArrayList<>(config.nLayers() * 7);
        for (int b = 0; b < config.nLayers(); b++) for (LayerKind k : LayerKind.values()) ids.add(new LayerId(b, k));
        return ids;
    }

    @Override public int compareTo(LayerId o) {
        int c = Integer.compare(block, o.block);
        return c != 0 ? c : kind.compareTo(o.kind);
    }

    @Override public String toString() { return name(); }
}
