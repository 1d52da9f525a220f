import path from 'node:path';
import { runComputeDemo } from './src/local/compute-demo';
import { ingestSample } from './src/local/ingestion';
import { LocalCloud } from './src/local/local-cloud';

const t0 = Date.now();
const lap = (l: string) => console.log(l, ((Date.now() - t0) / 1000).toFixed(1));
const cloud = await LocalCloud.start();
lap('started');
const r = await ingestSample(cloud, { dir: path.resolve('.local/exp-sample'), days: 42 });
lap('ingested ' + r.files.reduce((n, f) => n + f.records, 0));
await runComputeDemo(cloud, { log: () => {}, days: 1 });
lap('published+demo');
const end = Date.parse('2026-06-01T00:00:00Z') + 42 * 86400000;
const from = new Date(end - 42 * 86400000).toISOString();
const to = new Date(end).toISOString();
for (const id of ['ctr', 'ad_spend', 'runtime_error_rate', 'lead_handoff_cycle_time_p95']) {
  const t = Date.now();
  const r = (await cloud.functions.invoke('compute', { kpiId: id, from, to, asOf: to })) as any;
  console.log(id, Date.now() - t, 'ms', r.partitions.read, 'partitions', r.values.created, 'values');
}
lap('computed');
await cloud.stop();
