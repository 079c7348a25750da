// A box's network as data: what coop-net is told to keep, what the box sees (proxy
// variables, resolv.conf, hosts), the records coop-helper reads — checked without a kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boxPaths } from '../../lib/paths.js';
import { planBox, type BoxSpec } from '../../lib/sandbox/box-plan.js';
import { encodePlan } from '../../lib/sandbox/encode.js';
import { chooseSubnet, networkPlan, parseResolvConf, type BoxNetwork } from '../../lib/sandbox/network.js';

const base: BoxSpec = {
  name: 'web', coopHome: '/h/.coop', paths: boxPaths('/h/.coop', 'web'), rootfs: { kind: 'dir', path: '/images/deb' },
  workspace: { host: '/src/app', path: '/workspace' }, mounts: [], persist: [], network: 'private', hostname: '', user: 'coop',
  shell: '/bin/bash', env: {}, created: 1_700_000_000, init: 'box', hostHome: '/h', accounts: { passwd: null, group: null },
  idmap: { uid: [{ inside: 0, outside: 1000, count: 1 }], gid: [{ inside: 0, outside: 1000, count: 1 }], tools: null, setgroups: 'deny' },
  resolvConf: 'nameserver 10.0.0.1\n', confine: 'default', tmpfsSize: '1g', nestedProc: true,
};
const privateNet: BoxNetwork = {
  ports: [{ hostAddress: '127.0.0.1', hostPort: 8080, boxPort: 3000 }], allow: [], hosts: [{ name: 'api.internal', address: '10.1.2.3' }],
  outbound: { backend: { kind: 'pasta', path: '/usr/bin/pasta' }, address: '10.0.2.100', prefix: 24, gateway: '10.0.2.2' },
  dns: { address: '192.0.2.53', port: 53 }, resolvOptions: 'search corp.example\n', proxy: null,
};
const file = (s: BoxSpec, name: string) => {
  const op = planBox(s).plan.stage.find((o) => o.op === 'file' && o.path.endsWith(`/etc/${name}`));
  return op && op.op === 'file' ? op.content : null;
};

test('private: the backend, published ports and the DNS relay; resolv.conf points at the relay', () => {
  const s = { ...base, net: privateNet };
  const { plan } = planBox(s);
  assert.equal(plan.network, {
    outbound: { backend: 'pasta', path: '/usr/bin/pasta', address: '10.0.2.100', prefix: 24, gateway: '10.0.2.2' },
    ports: [{ hostAddress: '127.0.0.1', hostPort: 8080, boxPort: 3000 }],
    dns: { listen: '127.0.0.53', upstream: '192.0.2.53', port: 53 },
    proxy: null,
  });
  assert.ok(plan.namespaces.includes('net'));
  assert.is(file(s, 'resolv.conf'), "# Written by coop: queries go through coop's relay to 192.0.2.53\nnameserver 127.0.0.53\nsearch corp.example\n");
  assert.match(file(s, 'hosts')!, /\n10\.1\.2\.3\tapi\.internal\n$/);
  const records = encodePlan(plan).toString();
  assert.match(records, '12:net-outbound5:pasta14:/usr/bin/pasta10:10.0.2.1002:248:10.0.2.2\n');
  assert.match(records, '8:net-port9:127.0.0.14:80804:3000\n');
  assert.match(records, '7:net-dns10:127.0.0.5310:192.0.2.532:53\n');
});

test('an allowlist: no backend, no DNS; the proxy and its variables', () => {
  const net: BoxNetwork = { ...privateNet, outbound: null, dns: null, ports: [], allow: ['registry.npmjs.org'], proxy: ['/usr/bin/node', '/x/coop-proxy.cjs', '{}'] };
  const s = { ...base, network: 'none' as const, net };
  const { plan } = planBox(s);
  assert.equal(plan.network, { outbound: null, ports: [], dns: null, proxy: { port: 3128, argv: ['/usr/bin/node', '/x/coop-proxy.cjs', '{}'] } });
  const env = plan.process === null ? planBox({ ...s, init: 'run', command: { argv: ['true'] } }).plan.process!.env : {};
  assert.is(env.HTTPS_PROXY, 'http://127.0.0.1:3128');
  assert.is(env.https_proxy, 'http://127.0.0.1:3128');
  assert.is(env.NO_PROXY, 'localhost,127.0.0.1,::1');
  assert.is(file(s, 'resolv.conf'), null);
});

test('nothing kept outside for none without ports or allowlist, nor for host', () => {
  assert.is(planBox({ ...base, network: 'none' }).plan.network, undefined);
  assert.is(planBox({ ...base, network: 'host' }).plan.network, undefined);
  assert.is(networkPlan(null), undefined);
  assert.is(file({ ...base, network: 'host' }, 'resolv.conf'), 'nameserver 10.0.0.1\n');
});

test("the subnet avoids the host's; resolv.conf's first usable nameserver", () => {
  assert.equal(chooseSubnet(['192.0.2.2']), { address: '10.0.2.100', prefix: 24, gateway: '10.0.2.2' });
  assert.equal(chooseSubnet(['10.0.2.15', '10.0.3.1']), { address: '10.0.4.100', prefix: 24, gateway: '10.0.4.2' });
  assert.equal(parseResolvConf('# x\nnameserver fe80::1%eth0\nnameserver 127.0.0.53\nnameserver 1.1.1.1\noptions edns0 trust-ad\nsearch lan\n'),
    { server: { address: '127.0.0.53', port: 53 }, options: 'options edns0 trust-ad\nsearch lan\n' });
});

test.run();
