// Prefill and decode speed of a GGUF model in llama.cpp (node-llama-cpp 3.21.1, CPU), measured like
// mixprune's DecodeBench: prefill = one batch of P prompt tokens (BOS + seeded random ids), decode = D
// greedy single-token steps after it. One warm-up run, then R timed runs (best kept).
// Usage: node speed.mjs MODEL.gguf [--prefill 64] [--decode 16] [--threads 2] [--rounds 2] [--vocab 32000]
// Prints: llama.cpp dense prefill_tps=.. decode_tps=..
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, ...rest] = process.argv.slice(2);
if (!modelPath) {
  console.error("usage: node speed.mjs MODEL.gguf [--prefill 64] [--decode 16] [--threads 2] [--rounds 2]");
  process.exit(2);
}
const opt = (name, dflt) => {
  const i = rest.indexOf(name);
  return i >= 0 ? parseInt(rest[i + 1], 10) : dflt;
};
const prefill = opt("--prefill", 64), decode = opt("--decode", 16), threads = opt("--threads", 2), rounds = opt("--rounds", 2);

// The CPU backend llama.cpp picked (it loads the libggml-cpu-<variant>.so best suited to the CPU it
// finds beside it): printed as a comment line, so a table says which instruction set it ran.
let backend = "unknown";
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.log, logger: (level, message) => {
  const m = /loaded CPU backend from (\S+)/.exec(message);
  if (m) backend = m[1].split("/").pop();
  else if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) console.error(message);
}});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: prefill + decode + 8, batchSize: prefill, threads});
const vocab = opt("--vocab", 32000);

// Same kind of prompt as DecodeBench: BOS then seeded pseudo-random ids in [3, vocab).
let state = 7;
const next = () => (state = (state * 1103515245 + 12345) % 2147483648);
const prompt = [1];
for (let i = 1; i < prefill; i++) prompt.push(3 + (next() % (vocab - 3)));

async function once(nDecode) {
  const seq = context.getSequence();
  const t0 = process.hrtime.bigint();
  await seq.evaluateWithoutGeneratingNewTokens(prompt);
  const t1 = process.hrtime.bigint();
  let n = 0;
  if (nDecode > 0) {
    // The first generated token needs one forward of the last prompt token's successor, as in
    // DecodeBench (prefill's logits pick token 1; each step feeds one token).
    for await (const token of seq.evaluate([prompt[prompt.length - 1]], {temperature: 0})) {
      if (++n >= nDecode) break;
    }
  }
  const t2 = process.hrtime.bigint();
  seq.dispose();
  if (nDecode > 0 && n !== nDecode) throw new Error(`decode stopped after ${n} of ${nDecode} tokens`);
  return [Number(t1 - t0) / 1e9, Number(t2 - t1) / 1e9];
}

await once(Math.min(4, decode));
let bestP = Infinity, bestD = Infinity;
for (let r = 0; r < rounds; r++) {
  const [p, d] = await once(decode);
  bestP = Math.min(bestP, p);
  bestD = Math.min(bestD, d);
}
console.log(`# llama.cpp CPU backend: ${backend}`);
console.log(`llama.cpp dense prefill_tps=${(prefill / bestP).toFixed(2)} decode_tps=${(decode / bestD).toFixed(3)}`);
