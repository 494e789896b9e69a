// Reference tokenizations for mixprune's tests (test-time only). Reads one JSON request from the
// file named on the command line (or stdin) and prints one JSON answer on stdout:
//   {"jobs": [{"engine": "lenml", "tokenizer_json": PATH, "tokenizer_config": PATH, "texts": [...]},
//             {"engine": "llama.cpp", "gguf": PATH, "texts": [...]}]}
//   -> {"results": [{"engine": ..., "ids": [[...], ...], "seconds": S}, ...]}
// lenml: @lenml/tokenizers 3.7.2 (a transformers.js fork), encode(text, {add_special_tokens: false}).
// llama.cpp: node-llama-cpp 3.21.1, the GGUF's vocabulary only (vocabOnly), model.tokenize(text, true):
// no BOS/EOS added, special and user-defined tokens in the text parsed, as HF matches added tokens.
import fs from "fs";

const request = JSON.parse(fs.readFileSync(process.argv[2] ?? 0, "utf8"));
const results = [];
let llama = null;
for (const job of request.jobs) {
  const t0 = performance.now();
  let ids;
  if (job.engine === "lenml") {
    const {TokenizerLoader} = await import("@lenml/tokenizers");
    const tokenizer = TokenizerLoader.fromPreTrained({
      tokenizerJSON: JSON.parse(fs.readFileSync(job.tokenizer_json, "utf8")),
      tokenizerConfig: job.tokenizer_config ? JSON.parse(fs.readFileSync(job.tokenizer_config, "utf8")) : {},
    });
    ids = job.texts.map(t => Array.from(tokenizer.encode(t, {add_special_tokens: false})));
  } else if (job.engine === "llama.cpp") {
    const {getLlama, LlamaLogLevel} = await import("node-llama-cpp");
    llama ??= await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    const model = await llama.loadModel({modelPath: job.gguf, vocabOnly: true});
    ids = job.texts.map(t => Array.from(model.tokenize(t, true)));
    await model.dispose();
  } else {
    console.error(`unknown engine ${job.engine}`);
    process.exit(2);
  }
  results.push({engine: job.engine, ids, seconds: (performance.now() - t0) / 1000});
}
process.stdout.write(JSON.stringify({results}));
