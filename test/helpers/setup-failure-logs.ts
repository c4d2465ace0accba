// Vitest setup file: after a failed test, the live harnesses' service logs go to files (failure-logs.ts).
import { beforeEach } from 'vitest';
import { writeFailureLogs } from './failure-logs.js';

beforeEach((ctx) => {
  ctx.onTestFailed(() => {
    for (const file of writeFailureLogs(ctx.task.name)) console.error(`service log of the failed test: ${file}`);
  });
});
