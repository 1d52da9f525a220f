// Local runtime: the body of the emulator thread (see emulators.ts). Plain JavaScript, so that any
// Node thread can start it; it loads the TypeScript of the emulators through tsx, as bin/kpi.js does.
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

try {
  const { startEmulatorsHere } = await tsImport(workerData.module, import.meta.url);
  const emulators = await startEmulatorsHere({ stateDir: workerData.stateDir });
  parentPort.once('message', async () => {
    await emulators.stop().catch(() => undefined);
    parentPort.postMessage({ kind: 'stopped' });
    parentPort.close();
  });
  parentPort.postMessage({ kind: 'started', dynamodbUrl: emulators.dynamodbUrl, fauxqsUrl: emulators.fauxqsUrl });
} catch (error) {
  parentPort.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
}
