// A failed operation never deletes persist directories or volumes, and a box's files are
// never removed while its init lives (SPEC §4.5, §5, §12): a failed create removes only
// what it made; a box whose box.json is garbled is still found (by its init), listed as
// damaged and killable, and a new create of its name leaves it alone; a box whose init
// died is cleaned up (persist kept), leaves `ls`, and commands naming it say it is gone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBox } from '../../lib/boxes.js';
import { boxPaths, layerPaths } from '../../lib/paths.js';
import { alive, Output, sleep, TestCoop } from '../helpers/daemon.js';
import { trustProject } from '../helpers/trust.js';

const coops: TestCoop[] = [];
const fresh = (toml: string) => {
  const t = new TestCoop(toml);
  coops.push(t);
  return t;
};
test.after(async () => {
  for (const t of coops) await t.stop();
});

const TOML = '[sandbox]\nagent = "sh"\nmounts = ["keepvol:/srv/vol"]\n[session]\npersist = [".keep"]\n';

/** Runs a command in the box on a shell PTY; resolves with its output. */
async function inBox(t: TestCoop, name: string, command: string): Promise<string> {
  const c = await t.client();
  try {
    const { stream } = await c.shell({ box: name, command: `${command}; echo cmd-$((6*7))-done`, cols: 200, rows: 24 });
    return await new Output(stream).until('cmd-42-done');
  } finally {
    c.close();
  }
}

/** Writes data worth keeping into the box's persist directory and its volume. */
async function precious(t: TestCoop, name: string): Promise<void> {
  await inBox(t, name, 'echo persist-data > ~/.keep/data && echo volume-data > /srv/vol/data');
}

function keptData(t: TestCoop, name: string): void {
  assert.is(readFileSync(join(boxPaths(t.home, name).persist, '.keep', 'data'), 'utf8'), 'persist-data\n');
  assert.is(readFileSync(join(t.home, 'volumes', 'keepvol', 'data'), 'utf8'), 'volume-data\n');
}

const layersGone = (t: TestCoop, name: string) => {
  const p = boxPaths(t.home, name);
  for (const dir of layerPaths(p)) assert.not.ok(existsSync(dir), `${dir} is left`);
};

async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`never: ${what}`);
}

test('a create that fails (a bad mount) removes only what it made: persist data and volumes stay', async () => {
  const t = fresh(TOML);
  const name = await t.create();
  await precious(t, name);
  assert.is((await t.cli(['kill'])).code, 0);
  // Binding a file over /etc fails inside the helper, after the box's directories exist.
  writeFileSync(join(t.workspace, 'afile'), 'x\n');
  writeFileSync(join(t.workspace, 'coop.toml'), TOML.replace('mounts = ["keepvol:/srv/vol"]', 'mounts = ["keepvol:/srv/vol", "./afile:/etc"]'));
  trustProject(t.workspace); // the test changed it
  const r = await t.cli(['-d']);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /Not a directory/);
  keptData(t, name);
  layersGone(t, name);
  // Fixed, the box comes back with its data.
  writeFileSync(join(t.workspace, 'coop.toml'), TOML);
  trustProject(t.workspace);
  assert.is((await t.cli(['-d'])).code, 0);
  const out = await inBox(t, name, 'cat ~/.keep/data /srv/vol/data');
  assert.match(out, /persist-data\r?\nvolume-data/);
});

test('a garbled box.json: the box is still listed (damaged) and killable, and a new create leaves it alone', async () => {
  const t = fresh(TOML);
  const name = await t.create();
  await precious(t, name);
  await inBox(t, name, 'echo in-the-overlay > /opt/coop-marker');
  const p = boxPaths(t.home, name);
  const [before] = JSON.parse((await t.cli(['ls', '--json'])).stdout) as { pid: number }[];
  const init = before!.pid;
  assert.is((await t.cli(['system', 'shutdown'])).code, 0); // boxes keep running
  writeFileSync(p.record, '{"name": "' + name + '", "pid": '); // cut short
  // A new daemon finds the box by its init, and lists it with the problem.
  const ls = await t.cli(['ls', '--json']);
  assert.is(ls.code, 0, ls.stderr);
  const [row] = JSON.parse(ls.stdout) as { name: string; pid: number; state: string; problem: string; workspace: string }[];
  assert.is(row!.name, name);
  assert.is(row!.pid, init);
  assert.is(row!.state, 'damaged');
  assert.is(row!.workspace, t.workspace);
  assert.match(row!.problem, new RegExp(`box.json is unreadable; end it with \`coop kill ${name}\``));
  assert.match((await t.cli(['ls'])).stdout, new RegExp(`^${name}\\s+damaged`, 'm'));
  // Creating it again (through the daemon, and through the library) is refused; its files stay.
  const again = await t.cli(['-d']);
  assert.is(again.code, 1);
  assert.match(again.stderr, new RegExp(`box ${name} .*is running but damaged`));
  const lib = await createBox({ config: t.config(), name, coopHome: t.home }).then(() => null, (e: Error) => e);
  assert.match(String(lib?.message), new RegExp(`box ${name} is still running \\(init pid ${init}\\) but its record .* is unreadable`));
  assert.ok(alive(init));
  for (const dir of [p.root, p.upper, p.work]) assert.ok(existsSync(dir), `${dir} was removed under a live box`);
  const attach = await t.cli(['attach', name]);
  assert.is(attach.code, 1);
  assert.match(attach.stderr, /cannot be served: .*box.json is unreadable; end it with `coop kill/);
  // Killed: its init ends, its layers go, its persist data and volume stay.
  const k = await t.cli(['kill', name]);
  assert.is(k.code, 0, k.stderr);
  assert.match(k.stdout, new RegExp(`Killed ${name}`));
  await waitFor(() => !alive(init), 'the init ends');
  layersGone(t, name);
  keptData(t, name);
  assert.equal(JSON.parse((await t.cli(['ls', '--json'])).stdout), []);
});

test('records of earlier versions (mounts as strings) are read; a kill takes the box\'s records, never persist or the name', async () => {
  const t = fresh(TOML);
  const name = await t.create();
  await precious(t, name);
  const p = boxPaths(t.home, name);
  assert.is((await t.cli(['system', 'shutdown'])).code, 0); // boxes keep running
  const rec = JSON.parse(readFileSync(p.served, 'utf8')) as { config: { sandbox: { mounts: unknown[] } } };
  assert.equal(rec.config.sandbox.mounts, [{ kind: 'volume', name: 'keepvol', box: '/srv/vol', readonly: false }]);
  rec.config.sandbox.mounts = ['keepvol:/srv/vol']; // as versions before typed mounts wrote it
  writeFileSync(p.served, JSON.stringify(rec));
  writeFileSync(p.agentStopped, ''); // (a crash loop's mark, which must not outlive the box)
  // A new daemon takes the box over; the volume counts as in use.
  const ls = await t.cli(['ls', '--json']);
  assert.is(ls.code, 0, ls.stderr);
  assert.is((JSON.parse(ls.stdout) as { state: string }[])[0]!.state, 'running');
  const vols = JSON.parse((await t.cli(['system', 'volumes', '--json'])).stdout) as { name: string; boxes: string[] }[];
  assert.equal(vols.map((v) => [v.name, v.boxes]), [['keepvol', [name]]]);
  const rm = await t.cli(['system', 'volume-rm', 'keepvol']);
  assert.is(rm.code, 2);
  assert.match(rm.stderr, new RegExp(`volume keepvol is in use by ${name}; kill that box first`));
  assert.match(await inBox(t, name, 'cat /srv/vol/data'), /volume-data/);
  const k = await t.cli(['kill', name]);
  assert.is(k.code, 0, k.stderr);
  layersGone(t, name);
  for (const f of [p.served, p.agentStopped, p.networkLog]) assert.not.ok(existsSync(f), `${f} is left`);
  keptData(t, name);
  assert.is(readFileSync(p.owner, 'utf8'), `${t.workspace}\n`); // the name stays with its workspace
});

test('kill -9 of a box\'s init: the box is cleaned up and leaves ls; shell and attach say it is gone', async () => {
  const t = fresh(TOML);
  const name = await t.create();
  await precious(t, name);
  const [row] = JSON.parse((await t.cli(['ls', '--json'])).stdout) as { pid: number }[];
  process.kill(row!.pid, 'SIGKILL');
  await waitFor(async () => JSON.parse((await t.cli(['ls', '--json'])).stdout).length === 0, 'the box leaves ls');
  const p = boxPaths(t.home, name);
  await waitFor(() => !existsSync(p.work), 'its layers are removed'); // (in the background)
  layersGone(t, name);
  keptData(t, name);
  const gone = new RegExp(`^coop: box ${name} is gone: its init process \\(pid ${row!.pid}\\) ended; its layers were removed and its persist directories kept`);
  for (const args of [['shell'], ['shell', '-c', 'true'], ['attach'], ['attach', name]]) {
    const r = await t.cli(args);
    assert.is(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, gone);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.match(r.stderr, /pidfd_open|No such process/);
  }
  // `coop` starts it again, with its persist data.
  assert.is((await t.cli(['-d'])).code, 0);
  assert.match(await inBox(t, name, 'cat ~/.keep/data'), /persist-data/);
});

test.run();
