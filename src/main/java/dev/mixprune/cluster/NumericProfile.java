package dev.mixprune.cluster;

import dev.mixprune.tensor.KernelInfo;

/**
 * What must agree between the coordinator and a worker for a candidate's fitness to come out bit
 * for bit the same on both: the Java runtime (its {@code Math} intrinsics), the architecture and
 * the Vector API's vector width (the kernels' lane layout and summation order follow it). A worker
 * whose profile differs from the coordinator's is not given work (docs/distributed.md).
 */
record NumericProfile(String java, String arch, int vectorBits) {

    static NumericProfile current() {
        return new NumericProfile(Runtime.version().toString(), System.getProperty("os.arch"), KernelInfo.vectorBits());
    }

    String text() { return "java " + java + ", " + arch + ", " + vectorBits + "-bit vectors"; }

    static NumericProfile parse(String s) {
        String[] p = s.split("\\|", -1);
        if (p.length != 3) throw new IllegalArgumentException("bad numeric profile '" + s + "'");
        return new NumericProfile(p[0], p[1], Integer.parseInt(p[2]));
    }

    String wire() { return java + "|" + arch + "|" + vectorBits; }
}
