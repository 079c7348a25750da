// Plan -> the records coop-helper reads (vocabulary in wire.ts).
import type { CreatePlan, EnterPlan, IdMapping, NetworkPlan, Plan, ProcessSpec, RemovePlan } from './plan.js';
import { encodeRecords, type WireRecord } from './wire.js';

function idmapRecords(m: IdMapping): WireRecord[] {
  const out: WireRecord[] = [];
  for (const r of m.uid) out.push(['uidmap', String(r.inside), String(r.outside), String(r.count)]);
  for (const r of m.gid) out.push(['gidmap', String(r.inside), String(r.outside), String(r.count)]);
  if (m.tools) out.push(['idmap-tools', m.tools.newuidmap, m.tools.newgidmap]);
  out.push(['setgroups', m.setgroups]);
  return out;
}

function processRecords(p: ProcessSpec): WireRecord[] {
  return [
    ['argv', ...p.argv],
    ['env', ...Object.entries(p.env).map(([k, v]) => `${k}=${v}`)],
    ['cwd', p.cwd],
    ['user', String(p.uid), String(p.gid)],
  ];
}

function networkRecords(n: NetworkPlan): WireRecord[] {
  const out: WireRecord[] = [];
  const o = n.outbound;
  if (o) out.push(['net-outbound', o.backend, o.path, o.address, String(o.prefix), o.gateway]);
  for (const p of n.ports) out.push(['net-port', p.hostAddress, String(p.hostPort), String(p.boxPort)]);
  if (n.dns) out.push(['net-dns', n.dns.listen, n.dns.upstream, String(n.dns.port)]);
  if (n.proxy) out.push(['net-proxy', String(n.proxy.port), ...n.proxy.argv]);
  return out;
}

function createRecords(p: CreatePlan): WireRecord[] {
  const out: WireRecord[] = [['mode', 'create'], ['name', p.name], ['ns', ...p.namespaces], ...idmapRecords(p.idmap)];
  if (p.root !== null) out.push(['root', p.root]);
  for (const r of p.idmapTree ?? []) out.push(['idmap-tree', String(r.inside), String(r.outside), String(r.count)]);
  for (const op of p.stage) {
    if (op.op === 'mount') out.push(['stage-mount', op.fstype, op.source, op.target, op.data, ...op.flags]);
    else if (op.op === 'mkdir') out.push(['stage-mkdir', op.path, op.mode.toString(8)]);
    else if (op.op === 'file') out.push(['stage-file', op.path, op.mode.toString(8), op.content]);
    else if (op.op === 'idmapped') out.push(['stage-idmapped', op.source, op.path, op.recursive ? 'rec' : 'norec']);
    else out.push(['stage-whiteout', op.path]);
  }
  for (const op of p.ops) {
    if (op.op === 'mount') out.push(['mount', op.fstype, op.source, op.target, op.data, ...op.flags]);
    else if (op.op === 'mkdir') out.push(['mkdir', op.path, op.mode.toString(8)]);
    else out.push(['symlink', op.target, op.path]);
  }
  if (p.hostname) out.push(['hostname', p.hostname]);
  if (p.loopback) out.push(['loopback']);
  if (p.nest) out.push(['nest']);
  if (p.cgroup) out.push(['cgroup', p.cgroup]);
  if (p.network) out.push(...networkRecords(p.network));
  if (p.confine) out.push(['confine', p.confine, ...(p.hardening ?? [])]);
  out.push(['init', p.init.mode, String(p.init.graceMs)]);
  if (p.terminal) out.push(['terminal']);
  if (p.process) out.push(...processRecords(p.process));
  return out;
}

function enterRecords(p: EnterPlan): WireRecord[] {
  return [
    ['mode', 'enter'],
    ['target', String(p.target.pid), p.target.startTime],
    ['ns', ...p.namespaces],
    ['setgroups', p.setgroups],
    ['confine', p.confine, ...(p.hardening ?? [])],
    ...(p.cgroup ? [['cgroup', p.cgroup]] : []),
    ...processRecords(p.process),
    ...(p.terminal === true ? [['terminal']] : p.terminal ? [['terminal', String(p.terminal.cols), String(p.terminal.rows)]] : []),
  ];
}

function removeRecords(p: RemovePlan): WireRecord[] {
  return [['mode', 'rmtree'], ['ns', 'user'], ...idmapRecords(p.idmap), ...p.paths.map((x) => ['cleanup', x])];
}

/** The plan as coop-helper's input records, ending with `end`. */
export function encodePlan(plan: Plan): Buffer {
  const records =
    plan.mode === 'create' ? createRecords(plan) : plan.mode === 'enter' ? enterRecords(plan) : removeRecords(plan);
  records.push(['end']);
  return encodeRecords(records);
}
