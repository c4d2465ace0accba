/**
 * The operator console's pages (issue 15): the dashboard, lists and detail pages, the
 * actions (each confirmed by a GET page, done by a POST) and the audit log. Every route
 * is behind `guard.requireOperator`, every POST also behind `guard.requireCsrf`
 * (console-context.ts); the login itself and Bull Board are other parts of the console.
 */
import type { Console } from '../../workflow/console.js';
import type { ConsolePlugin } from './console-context.js';
import { auditRoutes } from './console-audit.js';
import { certificateRoutes } from './console-certificates.js';
import { dashboardRoutes } from './console-dashboard.js';
import { enrolmentRoutes } from './console-enrolments.js';
import { mailRoutes } from './console-mail.js';
import { orderRoutes } from './console-orders.js';
import { organisationRoutes } from './console-organisations.js';
import { staffRoutes } from './console-staff.js';

export interface ConsolePagesDeps {
  /** The console's use cases (workflow/console.ts). */
  readonly console: Console;
}

export function consolePages(deps: ConsolePagesDeps): ConsolePlugin {
  return (app, guard) => {
    const ops = deps.console;
    dashboardRoutes(app, guard, ops);
    enrolmentRoutes(app, guard, ops);
    orderRoutes(app, guard, ops);
    certificateRoutes(app, guard, ops);
    organisationRoutes(app, guard, ops);
    staffRoutes(app, guard, ops);
    mailRoutes(app, guard, ops);
    auditRoutes(app, guard, ops);
  };
}
