// Plans are data: a BoxSpec turned into the ordered operations coop-helper will execute,
// checked here without a kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boxPaths } from '../../lib/paths.js';
import { planBox, PlanError, type BoxSpec } from '../../lib/sandbox/box-plan.js';
import { planBuildStep } from '../../lib/sandbox/build-plan.js';
import type { IdMapping } from '../../lib/sandbox/plan.js';

const ONE_ID: IdMapping = { uid: [{ inside: 0, outside: 1000, count: 1 }], gid: [{ inside: 0, outside: 1000, count: 1 }], tools: null, setgroups: 'deny' };
const RANGE: IdMapping = {
  uid: [{ inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 200000, count: 65536 }],
  gid: [{ inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 200000, count: 65536 }],
  tools: { newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' },
  setgroups: 'allow',
};

function spec(more: Partial<BoxSpec> = {}): BoxSpec {
  return {
    name: 'web', coopHome: '/h/.coop', paths: boxPaths('/h/.coop', 'web'), rootfs: { kind: 'dir', path: '/images/deb' },
    workspace: { host: '/src/app', path: '/workspace' }, mounts: [], persist: ['.cache'], network: 'none', hostname: '', user: 'coop',
    shell: '/bin/bash', env: { FOO: 'bar' }, term: 'xterm-256color', lang: 'C.UTF-8', created: 1_700_000_000, idmap: ONE_ID, init: 'box',
    hostHome: '/h', accounts: { passwd: null, group: null }, resolvConf: 'nameserver 10.0.0.1\n', confine: 'default', tmpfsSize: '1g', nestedProc: true, ...more,
  };
}
const targets = (s: BoxSpec) => planBox(s).plan.ops.map((o) => ('target' in o && o.op === 'mount' ? o.target : o.path));

test('an image box: overlay root first, then /proc, /dev, the workspace, mounts, persist dirs — in that order', () => {
  const s = spec({ mounts: [{ kind: 'path', host: '/h/.gitconfig', box: '~/.gitconfig', readonly: true }, { kind: 'volume', name: 'cfg', box: '~/.claude', readonly: false }] });
  const { plan, volumes } = planBox(s);
  const t = targets(s);
  assert.equal(t[0], '/');
  assert.equal(plan.ops[0], {
    op: 'mount', fstype: 'overlay', source: 'overlay', target: '/', flags: [],
    data: 'lowerdir=/images/deb,upperdir=/h/.coop/sessions/web/upper,workdir=/h/.coop/sessions/web/work,userxattr,volatile',
  });
  const at = (p: string) => t.indexOf(p);
  assert.ok(at('/proc') > 0 && at('/dev') < at('/dev/pts') && at('/dev/pts') < at('/workspace'));
  assert.ok(at('/workspace') < at('/home/coop/.gitconfig') && at('/home/coop/.gitconfig') < at('/home/coop/.claude') && at('/home/coop/.claude') < at('/home/coop/.cache'));
  const git = plan.ops[at('/home/coop/.gitconfig')]!;
  assert.equal(git, { op: 'mount', fstype: '', source: '/h/.gitconfig', target: '/home/coop/.gitconfig', data: '', flags: ['bind', 'rec', 'ro'] });
  assert.equal(volumes, [{ dir: '/h/.coop/volumes/cfg', seed: '/h/.claude' }]);
  assert.equal(plan.namespaces, ['user', 'mount', 'pid', 'uts', 'ipc', 'cgroup', 'net']);
  assert.is(plan.loopback, true);
  assert.is(plan.hostname, 'web');
  assert.is(plan.root, '/h/.coop/sessions/web/root');
});

test('coop writes the account, hostname and hosts into the upper /etc; resolv.conf only with a network', () => {
  const files = (s: BoxSpec) => planBox(s).plan.stage.flatMap((o) => (o.op === 'file' ? [o.path.replace('/h/.coop/sessions/web/upper', '')] : []));
  assert.equal(files(spec()), ['/etc/passwd', '/etc/group', '/etc/hostname', '/etc/hosts']);
  assert.ok(files(spec({ network: 'host' })).includes('/etc/resolv.conf'));
  const passwd = planBox(spec()).plan.stage.find((o) => o.op === 'file' && o.path.endsWith('/passwd'));
  assert.match((passwd as { content: string }).content, /^coop:x:0:0:coop:\/home\/coop:\/bin\/bash\n/);
});

test('apt is told to stay root only in boxes of one id whose rootfs has apt', () => {
  const apt = (s: BoxSpec) => planBox(s).plan.stage.find((o) => o.op === 'file' && o.path.endsWith('/etc/apt/apt.conf.d/00coop-one-id'));
  assert.match((apt(spec({ apt: true })) as { content: string }).content, /APT::Sandbox::User "root";/);
  assert.is(apt(spec({ apt: true, idmap: RANGE })), undefined);
  assert.is(apt(spec({ apt: false })), undefined);
});

test('network "host" keeps the host network namespace and brings up nothing', () => {
  const { plan } = planBox(spec({ network: 'host' }));
  assert.not.ok(plan.namespaces.includes('net'));
  assert.is(plan.loopback, false);
});

test('a one-shot box: upper on a private tmpfs, nothing persisted, the command with a from-scratch environment', () => {
  const { plan } = planBox(spec({ init: 'run', command: { argv: ['id', '-u'] } }));
  assert.equal(plan.stage[0], { op: 'mount', fstype: 'tmpfs', source: 'coop-stage', target: '/h/.coop/stage', data: 'mode=700,size=1g', flags: ['nosuid', 'nodev'] });
  assert.not.ok(targets(spec({ init: 'run', command: { argv: ['id'] } })).includes('/home/coop/.cache'));
  assert.equal(plan.process!.argv, ['id', '-u']);
  assert.is(plan.process!.cwd, '/workspace');
  assert.is(plan.process!.env.FOO, 'bar');
  assert.is(plan.process!.env.HOME, '/home/coop');
  assert.is(plan.process!.env.PATH !== undefined, true);
  assert.not.ok('SSH_AUTH_SOCK' in plan.process!.env);
});

test('bad specs are refused before anything runs', () => {
  assert.throws(() => planBox(spec({ init: 'run' })), (e: Error) => e instanceof PlanError && /no command/.test(e.message));
  assert.ok(planBox(spec({ network: "private" })).plan.namespaces.includes("net"));
  assert.throws(() => planBox(spec({ mounts: [{ kind: 'path', host: '/x', box: 'relative/path', readonly: false }] })), /relative\/path/);
});

test('a build step: the rootfs bound as /, in-box root, noninteractive apt, no network namespace', () => {
  const p = planBuildStep({ rootfs: '/h/.coop/rootfs/.build-x', coopHome: '/h/.coop', idmap: ONE_ID, command: 'apt-get update', imageEnv: { PATH: '/custom/bin' } });
  assert.equal(p.ops[0], { op: 'mount', fstype: '', source: '/h/.coop/rootfs/.build-x', target: '/', data: '', flags: ['bind', 'rec'] });
  assert.not.ok(p.namespaces.includes('net'));
  assert.equal(p.process!.argv, ['/bin/sh', '-c', 'apt-get update']);
  assert.is(p.process!.env.DEBIAN_FRONTEND, 'noninteractive');
  assert.is(p.process!.env.PATH, '/custom/bin');
  assert.is(p.process!.uid, 0);
});

test('every box is locked and confined: nested user namespace, seccomp unless turned off', () => {
  const { plan } = planBox(spec());
  assert.is(plan.nest, true);
  assert.is(plan.confine, 'default');
  assert.is(planBox(spec({ confine: 'off' })).plan.confine, 'off');
  const build = planBuildStep({ rootfs: '/r', coopHome: '/h/.coop', idmap: ONE_ID, command: 'true' });
  assert.is(build.nest, true);
  assert.is(build.confine, 'default');
});

test('kernel knobs: /proc/sys and friends re-bound read-only in place, secrets of /proc masked, after /proc', () => {
  const { plan } = planBox(spec());
  const ops = plan.ops.filter((o) => o.op === 'mount') as Extract<(typeof plan.ops)[number], { op: 'mount' }>[];
  const proc = ops.findIndex((o) => o.target === '/proc');
  const sys = ops.find((o) => o.target === '/proc/sys')!;
  assert.ok(ops.indexOf(sys) > proc);
  assert.equal(sys.flags, ['bind', 'self', 'rec', 'ro', 'nosuid', 'nodev', 'noexec', 'ifexists']);
  const kcore = ops.find((o) => o.target === '/proc/kcore')!;
  assert.is(kcore.source, '/dev/null');
  assert.equal(kcore.flags, ['bind', 'ifexists']);
  assert.ok(ops.some((o) => o.target === '/proc/acpi' && o.fstype === 'tmpfs' && o.flags.includes('ro')));
  const sysfs = ops.find((o) => o.target === '/sys')!;
  assert.ok(sysfs.flags.includes('ro'));
  for (const t of ['/tmp', '/dev/shm']) assert.match(ops.find((o) => o.target === t)!.data, /size=1g/);
  assert.match(planBox(spec({ tmpfsSize: '256m' })).plan.ops.map((o) => ('data' in o ? o.data : '')).join(' '), /size=256m/);
});

test('host mounts of /, /proc, /sys, /dev, /run and of coop\'s own state are refused', () => {
  for (const host of ['/', '/proc', '/proc/1', '/sys', '/sys/fs/cgroup', '/dev', '/run', '/h', '/h/.coop', '/h/.coop/sessions/other/upper']) {
    assert.throws(() => planBox(spec({ mounts: [{ kind: 'path', host, box: '/x', readonly: true }] })), (e: Error) => e instanceof PlanError && /refusing to mount/.test(e.message), host);
  }
  planBox(spec({ mounts: [{ kind: 'path', host: '/dev/kvm', box: '/dev/kvm', readonly: false }, { kind: 'path', host: '/h/src', box: '/src', readonly: true }] }));
});

test('a workspace that contains $COOP_HOME gets it hidden; one inside it is refused', () => {
  const { plan } = planBox(spec({ workspace: { host: '/h', path: '/workspace' } }));
  const mask = plan.ops.find((o) => o.op === 'mount' && o.target === '/workspace/.coop');
  assert.ok(mask && mask.op === 'mount' && mask.fstype === 'tmpfs' && mask.flags.includes('ro'));
  const ws = plan.ops.findIndex((o) => o.op === 'mount' && o.target === '/workspace');
  assert.ok(plan.ops.indexOf(mask!) > ws);
  assert.throws(() => planBox(spec({ workspace: { host: '/h/.coop/x', path: '/workspace' } })), /inside coop's state directory/);
});

test('nested /proc: an unmasked /proc buried under /tmp for ordinary users, none for root callers', () => {
  const t = targets(spec());
  assert.ok(t.indexOf('/tmp/.coop-proc') > t.indexOf('/proc') && t.indexOf('/tmp/.coop-proc') < t.indexOf('/tmp'));
  assert.not.ok(targets(spec({ nestedProc: false })).includes('/tmp/.coop-proc'));
});

test('a root caller: host directories through id-mapped copies, setid and cgroup namespaces refused', () => {
  const ROOT: IdMapping = { uid: [{ inside: 0, outside: 0, count: 1 }], gid: [{ inside: 0, outside: 0, count: 1 }], tools: null, setgroups: 'allow' };
  const layout = { entries: [{ name: 'usr', kind: 'overlay' as const }, { name: 'opt', kind: 'bind' as const }], secrets: [] };
  const { plan } = planBox(spec({ idmap: ROOT, rootfs: { kind: 'host', layout }, hideHostRoot: true }));
  assert.equal(plan.hardening, ['no-setid', 'no-cgroupns']);
  assert.equal(plan.idmapTree, [{ inside: 0, outside: 65534, count: 1 }]);
  const copies = plan.stage.filter((o) => o.op === 'idmapped');
  assert.equal(copies, [
    { op: 'idmapped', source: '/usr', path: '/h/.coop/sessions/web/host/usr', recursive: false },
    { op: 'idmapped', source: '/opt', path: '/h/.coop/sessions/web/host/opt', recursive: true },
  ]);
  const usr = plan.ops.find((o) => o.op === 'mount' && o.target === '/usr');
  assert.match((usr as { data: string }).data, /lowerdir=\/h\/\.coop\/sessions\/web\/host\/usr,/);
  assert.equal(planBox(spec()).plan.hardening, []);
  assert.is(planBox(spec()).plan.idmapTree, undefined);
});

test.run();
