// Perplexity of a GGUF model computed from llama.cpp's own next-token probabilities, on token
// windows written by mixprune (`mixprune ppl --dump-windows windows.json`), so both sides score the
// very same ids (protocols.md P: mean over windows of the window's mean NLL of seqlen-1 predictions).
// Usage: node ppl.mjs MODEL.gguf windows.json [--limit N] [--threads T]  (threads default 1: fastest on a loaded machine)
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "fs";

const [modelPath, windowsPath, ...rest] = process.argv.slice(2);
if (!modelPath || !windowsPath) {
  console.error("usage: node ppl.mjs MODEL.gguf windows.json [--limit N] [--threads T]");
  process.exit(2);
}
const limitAt = rest.indexOf("--limit");
const spec = JSON.parse(fs.readFileSync(windowsPath, "utf8"));
let windows = spec.windows;
if (limitAt >= 0) windows = windows.slice(0, parseInt(rest[limitAt + 1], 10));
const threadsAt = rest.indexOf("--threads");
const threads = threadsAt >= 0 ? parseInt(rest[threadsAt + 1], 10) : 1;

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const seqlen = spec.seqlen;
const context = await model.createContext({contextSize: seqlen, batchSize: seqlen, threads});
// Full distribution: temperature 1 and every filter off.
const sampling = {temperature: 1, topK: 0, topP: 1, minP: 0};
let sumWindowMeans = 0, tokens = 0;
// One sequence, emptied before every window, so that each window is scored from itself alone.
const seq = context.getSequence();
for (const w of windows) {
  await seq.clearHistory();
  const input = w.slice(0, -1).map(t => [t, {generateNext: {probabilities: true, options: sampling}}]);
  const out = await seq.controlledEvaluate(input);
  let nll = 0;
  for (let i = 0; i < w.length - 1; i++) {
    const p = out[i].next.probabilities.get(w[i + 1]) ?? 0;
    nll -= Math.log(p);
  }
  sumWindowMeans += nll / (w.length - 1);
  tokens += w.length - 1;
}
const meanNll = sumWindowMeans / windows.length;
console.log(JSON.stringify({engine: "llama.cpp (node-llama-cpp 3.21.1)", model: modelPath, windows: windows.length,
  tokens, mean_nll: meanNll, ppl: Math.exp(meanNll)}));
