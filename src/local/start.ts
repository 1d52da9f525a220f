// `npm start`: the whole pipeline on this machine, on in-process emulators, printing what it did.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { SAMPLE_DATA_DIR } from '../sample/files';
import { runComputeDemo } from './compute-demo';
import { formatTable } from './console-output';
import { runGuardrailsDemo } from './guardrails-demo';
import { ingestSample } from './ingestion';
import { LocalCloud } from './local-cloud';
import { plantedViolations } from './planted-violations';

const { values: options } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h', default: false },
    'demo-approver': { type: 'string', default: 'approve' },
  },
  strict: true,
});

if (options.help) {
  console.log(`Usage: npm start [-- options]

Runs the Agent KPI Pipeline locally: starts the emulators, creates the resources the CDK app
declares, and runs each stage through the production handlers and state machines.

  --demo-approver approve|reject|none
               how the demo approver answers each approval request (default approve;
               none leaves them open)
  -h, --help   show this help`);
  process.exit(0);
}

const started = Date.now();
const step = (title: string) => console.log(`\n▶ ${title}`);
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

step('Starting the local cloud (DynamoDB, S3, SNS, SQS, Step Functions, Secrets Manager on 127.0.0.1)');
const cloud = await LocalCloud.start();
try {
  console.log(`  synthesized ${cloud.resolver.stackNames.join(', ')}`);
  console.log(`  buckets: ${Object.values(cloud.resources.buckets).join(', ')}`);
  console.log(`  tables:  ${Object.values(cloud.resources.tables).join(', ')}`);
  console.log(
    `  functions: ${cloud.functions
      .list()
      .map((f) => f.entry)
      .join(', ')}`,
  );
  console.log(`  state machines: ${cloud.stepFunctions.stateMachines.map((m) => m.logicalId).join(', ')}`);

  step('Self check: the synthesized self-check state machine probes every bucket and table');
  const selfCheck = cloud.stepFunctions.stateMachines.find((m) => m.logicalId.startsWith('SelfCheck'));
  if (!selfCheck) throw new Error('the app has no self-check state machine');
  const execution = await cloud.stepFunctions.startExecution(selfCheck.arn, {}).done;
  const report = (execution.output as { report?: { summary?: string } } | undefined)?.report;
  console.log(`  ${execution.status}: ${report?.summary ?? `${execution.error}: ${execution.cause}`}`);
  console.log(`  states: ${execution.history.map((h) => `${h.state} (${h.outcome})`).join(' → ')}`);
  if (execution.status !== 'SUCCEEDED') process.exitCode = 1;

  step(
    'Ingestion: sample files through the S3 drop zone (on its schedule), agent events through the telemetry endpoint',
  );
  const ingestion = await ingestSample(cloud, { dir: path.resolve(SAMPLE_DATA_DIR) });
  const table = formatTable(
    ['dataset', 'rows read', 'valid', 'quarantined'],
    ingestion.dropZone.datasets
      .filter((d) => d.files > 0)
      .map((d) => [d.dataset, String(d.rowsRead), String(d.rowsValid), String(d.rowsQuarantined)]),
  );
  console.log(table.replace(/^/gm, '  '));
  console.log(`  pushed 100 agent events: ${ingestion.push.status} ${JSON.stringify(ingestion.push.body)}`);
  if (ingestion.push.status !== 200 || ingestion.dropZone.datasets.some((d) => d.failed > 0)) process.exitCode = 1;

  step('Definitions, computation and snapshots: the KPI pack published, computed with lineage, exported to Parquet');
  await runComputeDemo(cloud, { log: (line) => console.log(line) });

  step('Guardrails: violations go to the intake; the policy notifies owners or starts approvals');
  const decide = options['demo-approver'];
  if (decide !== 'approve' && decide !== 'reject' && decide !== 'none') {
    throw new Error(`--demo-approver must be approve, reject or none, not ${decide}`);
  }
  await runGuardrailsDemo(cloud, plantedViolations(Date.now()), { decide, log: (line) => console.log(line) });

  step(`Done in ${seconds()}`);
} finally {
  await cloud.stop();
}
