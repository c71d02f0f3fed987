// Decodes "Once upon a time" with SpecInfer's SSM token tree through the library API
// and prints the text and the tokens per step. Run from a project that installed
// specinfer-ts (npm install specinfer-ts), or from this repository after `npm install`.
import { generate, openRun, speculatorConfig } from 'specinfer-ts';

const run = await openRun({
  target: 'stories260K',
  speculator: speculatorConfig('draft-model', { models: ['stories260K-ssm-m'] }),
});
try {
  const out = await generate(run, 'Once upon a time', { maxTokens: 64 });
  console.log(`Once upon a time${out.text}`);
  console.log(`${out.tokens.length} tokens in ${out.summary.steps} steps: ${out.summary.tokensPerStep.toFixed(2)} tokens/step (${out.stop})`);
} finally {
  await run.dispose();
}
