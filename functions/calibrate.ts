// Lambda: scheduled calibration proposals (lib/constructs/calibration.ts). Once a day the schedule
// sends `{ scheduledTime }`; every active KPI with calibration settings gets a proposal for its
// cadence period (an ISO week, a month) the first time round, stored in the definitions table for
// review. Nothing is published.
import '../src/runtime/zod-at-cold-start';
import * as z from 'zod';
import { DynamoDbAnnotationStore } from '../src/adapters/aws/dynamodb-annotation-store';
import { DynamoDbKpiValueStore } from '../src/adapters/aws/dynamodb-kpi-value-store';
import { kpiDefinitionAndProposalStore } from '../src/adapters/aws/kpi-proposals';
import { systemClock } from '../src/adapters/system-clock';
import { PipelineMetric } from '../src/contracts/metrics';
import { defineHandler, MetricUnit } from '../src/runtime/handler';
import { proposeDueCalibrations } from '../src/usecases/calibrate-kpi';

const environment = z.object({
  DEFINITIONS_TABLE: z.string().min(1),
  VALUES_TABLE: z.string().min(1),
});

const event = z.object({ scheduledTime: z.iso.datetime() }).strict();

export const { handler, create, services } = defineHandler({
  name: 'calibrate',
  environment,
  event,
  clients: ['dynamodb'],
  dependencies: (env, { clients }) => {
    const clock = systemClock;
    return {
      store: kpiDefinitionAndProposalStore(clients.dynamodb, env.DEFINITIONS_TABLE, clock),
      values: new DynamoDbKpiValueStore({ client: clients.dynamodb, tableName: env.VALUES_TABLE }),
      annotations: new DynamoDbAnnotationStore(clients.dynamodb, env.DEFINITIONS_TABLE),
    };
  },
  run: async (input, deps, { logger, metrics }) => {
    const at = Date.parse(input.scheduledTime);
    // The proposals are made as of the scheduled time, so a late delivery proposes for its own period.
    const calibrations = await proposeDueCalibrations({ ...deps, clock: { now: () => at } }, at);
    const proposed = calibrations.filter((c) => c.result === 'proposed').length;
    metrics.addMetric(PipelineMetric.CalibrationsProposed, MetricUnit.Count, proposed);
    logger.info('calibrations', { calibrations });
    return { calibrations };
  },
});
