// Perplexity of GGUF models computed from llama.cpp's own next-token probabilities, on token
// windows written by mixprune (`mixprune ppl --dump-windows windows.json`), so both sides score the
// very same ids (protocols.md P: mean over windows of the window's mean NLL of seqlen-1 predictions).
// Usage: node ppl.mjs MODEL.gguf windows.json [MODEL2.gguf windows2.json ...] [--limit N] [--threads T] [--kv f16|f32]
//   One JSON line per model. --threads defaults to 1 (fastest on a loaded machine); --kv is the KV
//   cache type (default f16, llama.cpp's default; f32 keeps keys and values unrounded).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "fs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const at = args.indexOf(name);
  if (at < 0) return dflt;
  const v = args[at + 1];
  args.splice(at, 2);
  return v;
};
const limit = opt("--limit", null);
const threads = parseInt(opt("--threads", "1"), 10);
const kv = opt("--kv", "f16").toUpperCase();
if (args.length < 2 || args.length % 2 !== 0 || !["F16", "F32"].includes(kv)) {
  console.error("usage: node ppl.mjs MODEL.gguf windows.json [MODEL2.gguf windows2.json ...] [--limit N] [--threads T] [--kv f16|f32]");
  process.exit(2);
}

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
// Full distribution: temperature 1 and every filter off.
const sampling = {temperature: 1, topK: 0, topP: 1, minP: 0};
for (let i = 0; i < args.length; i += 2) {
  const [modelPath, windowsPath] = [args[i], args[i + 1]];
  const spec = JSON.parse(fs.readFileSync(windowsPath, "utf8"));
  let windows = spec.windows;
  if (limit !== null) windows = windows.slice(0, parseInt(limit, 10));
  const model = await llama.loadModel({modelPath});
  const seqlen = spec.seqlen;
  const context = await model.createContext({contextSize: seqlen, batchSize: seqlen, threads,
    experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv});
  let sumWindowMeans = 0, tokens = 0;
  // One sequence, emptied before every window, so that each window is scored from itself alone.
  const seq = context.getSequence();
  for (const w of windows) {
    await seq.clearHistory();
    const input = w.slice(0, -1).map(t => [t, {generateNext: {probabilities: true, options: sampling}}]);
    const out = await seq.controlledEvaluate(input);
    let nll = 0;
    for (let j = 0; j < w.length - 1; j++) {
      const p = out[j].next.probabilities.get(w[j + 1]) ?? 0;
      nll -= Math.log(p);
    }
    sumWindowMeans += nll / (w.length - 1);
    tokens += w.length - 1;
  }
  const meanNll = sumWindowMeans / windows.length;
  console.log(JSON.stringify({engine: "llama.cpp (node-llama-cpp 3.21.1)", model: modelPath, kv_cache: kv, windows: windows.length,
    tokens, mean_nll: meanNll, ppl: Math.exp(meanNll)}));
  await context.dispose();
  await model.dispose();
}
