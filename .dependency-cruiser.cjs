/**
 * Import directions from ARCHITECTURE.md ("Which way imports go"), enforced by
 * `npm run deps` (part of `npm run check`).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain imports nothing of the project outside domain and does no I/O',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'domain-no-io',
      comment: 'domain does no I/O: no node built-ins that reach the world',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'], path: '^(fs|net|http|https|child_process|dgram|dns|tls|worker_threads|cluster)$' },
    },
    {
      name: 'workflow-through-ports',
      comment: 'workflow imports domain and workflow only; it reaches the world through workflow/ports.ts',
      severity: 'error',
      from: { path: '^src/workflow/' },
      to: { path: '^src/', pathNot: '^src/(domain|workflow)/' },
    },
    {
      name: 'adapters-implement-ports',
      comment: 'ca, store and outbound import domain, port types and the logger only',
      severity: 'error',
      from: { path: '^src/(ca|store|outbound)/' },
      to: {
        path: '^src/',
        pathNot: ['^src/domain/', '^src/workflow/ports(\\.ts$|/)', '^src/log\\.ts$', '^src/$1/'],
      },
    },
    {
      name: 'edges-call-workflow',
      comment: 'inbound, jobs, http and cli call workflow; never ca, store or outbound',
      severity: 'error',
      from: { path: '^src/(inbound|jobs|http|cli)/' },
      to: { path: '^src/(ca|store|outbound|main\\.ts|wiring\\.ts|service\\.ts|service-deps\\.ts)' },
    },
    {
      name: 'only-main-wires',
      comment: 'main.ts (with wiring.ts, service.ts and service-deps.ts, its wiring functions) alone wires every layer; nothing else imports them',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|wiring|service|service-deps)\\.ts$' },
      to: { path: '^src/(main|wiring|service|service-deps)\\.ts$' },
    },
    {
      name: 'config-reads-env',
      comment: 'only src/config/env.ts reads process.env (checked by eslint too); config imports nothing else',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: ['^src/config/', '^src/domain/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
