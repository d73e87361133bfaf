import type { Bench } from './lib/bench';

// `npm run bench` runs every bench in order; `npm run bench -- <name>` runs one. Each bench prints its
// raw figures and ends with `<name>: <number>`. A new bench is one file plus one line here.
const benches: Record<string, () => Promise<{ default: Bench }>> = {
  'renderer-size': () => import('./renderer-size'),
  'main-load': () => import('./main-load'),
  'engine-vs-controlmaster': () => import('./engine-vs-controlmaster'),
  'rerun-roundtrips': () => import('./rerun-roundtrips'),
  'recipe-requests': () => import('./recipe-requests'),
  'provider-requests': () => import('./provider-requests'),
  'health-sample-cost': () => import('./health-sample-cost'),
  'chart-render': () => import('./chart-render'),
  'pty-throughput': () => import('./pty-throughput'),
  'backup-throughput': () => import('./backup-throughput'),
  'restore-verify': () => import('./restore-verify'),
};

async function main(args: string[]): Promise<number> {
  const names = args.length > 0 ? args : Object.keys(benches);
  const unknown = names.filter((name) => !Object.hasOwn(benches, name));
  if (unknown.length > 0) {
    console.error(`Unknown bench: ${unknown.join(', ')}. Benches: ${Object.keys(benches).join(', ')}.`);
    return 1;
  }
  let failed = 0;
  for (const [i, name] of names.entries()) {
    if (i > 0) console.log('');
    try {
      const { default: bench } = await benches[name]!();
      console.log(`# ${name}: ${bench.description}`);
      const figure = await bench.run((line) => console.log(line));
      console.log(`${name}: ${figure.value.toFixed(figure.decimals)}`);
    } catch (error) {
      failed += 1;
      console.error(`${name} failed:`, error);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
