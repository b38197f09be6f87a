// The test/unit/rules/compiler/fixtures worked example as calc->dataplane messages (test/unit/rules/compiler/fixtures/worked-example-12.1.txt), shared by
// the golden test and the benches.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';

export const FRONTEND_SET_ID = 's:lJVGDaqTNzSq4oOWKtH8pYj3zM-u5a8vGYAr8Q';

export function workedExampleMessages(): ToDataplane[] {
  return [
    { kind: 'ipsetUpdate', id: FRONTEND_SET_ID, members: ['10.65.0.7', '10.65.1.9/32'], type: 2 },
    {
      kind: 'activeProfileUpdate',
      id: { name: 'kns.default' },
      profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
    },
    {
      kind: 'activeProfileUpdate',
      id: { name: 'ksa.default.default' },
      profile: { inboundRules: [], outboundRules: [] },
    },
    {
      kind: 'activePolicyUpdate',
      id: { kind: 'gnp', namespace: '', name: 'allow-http' },
      policy: {
        tier: 'default',
        inboundRules: [
          {
            action: 'allow',
            protocol: { name: 'tcp' },
            srcIpSetIds: [FRONTEND_SET_ID],
            dstPorts: [{ first: 80, last: 80 }],
            originalSrcSelector: "role == 'frontend'",
          },
        ],
        outboundRules: [],
        originalSelector: 'app == "web"',
      },
    },
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'default/web-0', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: 'cali1a2b3c4d5e6',
        profileIds: ['kns.default', 'ksa.default.default'],
        ipv4Nets: ['10.65.0.2/32'],
        ipv6Nets: [],
        tiers: [
          {
            name: 'default',
            ingressPolicies: [{ kind: 'gnp', namespace: '', name: 'allow-http' }],
            egressPolicies: [],
          },
        ],
      },
    },
    { kind: 'inSync' },
  ];
}

/** Repository root, resolved from the compiled file (dist/test/...) or the source file. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('/dist') && dir !== '/') {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  return dirname(dir);
}

export function fixture(name: string): string {
  return readFileSync(join(repoRoot(), 'test', 'unit', 'rules', 'compiler', 'fixtures', name), 'utf8');
}
