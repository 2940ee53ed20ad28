/**
 * Layer rules (STYLE.md "Dependency rules"): the CI gate. Dependencies point inwards only.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const only = (from, allowed, why) => ({
  name: `${from.replace(/\//g, '-')}-imports-only-${allowed.map((a) => a.replace(/[\\/.]/g, '')).join('+')}`,
  comment: why,
  severity: 'error',
  from: { path: `^src/${from}` },
  to: { path: '^src/', pathNot: allowed.map((l) => `^src/${l}`) },
})

module.exports = {
  forbidden: [
    only('core/', ['core/'], 'core is pure domain logic: it imports nothing of the other layers'),
    only('contract/', ['contract/', 'core/'], 'wire schemas depend on core types only'),
    only('store/', ['store/', 'core/'], 'storage knows core types, nothing above it'),
    only('services/', ['services/', 'core/', 'store/port\\.ts'], 'services reach storage through the port only'),
    only('http/', ['http/', 'services/', 'contract/', 'core/', 'store/port\\.ts'], 'HTTP adapters translate and call services'),
    only('platform/', ['platform/', 'core/', 'services/deps\\.ts', 'services/pipeline/preparer\\.ts'], 'platform implements service ports with node:*'),
    only('config/', ['config/', 'core/shared/'], 'config depends on nothing but core/shared'),
    only('federation/', ['federation/', 'services/', 'core/', 'contract/', 'platform/', 'store/port\\.ts'], 'federation adapters (TAXII client, scheduler) call services, never store adapters or HTTP internals'),
    only('cli/', ['cli/', 'app/', 'services/', 'core/', 'contract/', 'config/', 'platform/', 'federation/', 'store/port\\.ts'], 'the CLI goes through app and services, never store adapters or HTTP internals'),
    {
      name: 'core-no-node-builtins',
      comment: 'core must stay browser-safe: no node:* modules',
      severity: 'error',
      from: { path: '^src/core/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-no-frameworks',
      comment: 'core uses no framework or driver',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: 'node_modules/(fastify|kysely|pino|pg|better-sqlite3|commander)' },
    },
    {
      name: 'services-no-io-modules',
      comment: 'services do no file or network I/O themselves',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^(node:)?(fs|net|http|https)(/|$)', dependencyTypes: ['core'] },
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
    exclude: { path: '\\.test\\.ts$|src/store/conformance/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
}
