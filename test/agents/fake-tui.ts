// A scripted full-screen agent for the tests (run in a box with node; only node's own
// modules, so the compiled file runs wherever it is copied): prints some history, then turns on what real
// agents turn on — the alternate screen, mouse tracking with SGR encoding, the kitty
// keyboard protocol, modifyOtherKeys, bracketed paste, focus events, a hidden bar cursor —
// asks the terminal who it is and where the cursor is, and draws a cursor-addressed screen
// showing its size, TERM, FOO and the keys it got. Every input chunk is appended, escaped,
// to $FAKE_TUI_LOG. "q" quits (code 0), "x" quits with code 5; FAKE_TUI_EXIT=N exits at once.
// Copied as a .mjs file into the workspace of the box that runs it.
const env = process.env;
const out = (s: string) => process.stdout.write(s);
const escape = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\x1b' ? '^[' : `^${String.fromCharCode(c.charCodeAt(0) + 64)}`));

if (env.FAKE_TUI_EXIT) {
  out(`fake agent failing with ${env.FAKE_TUI_EXIT}\r\n`);
  process.exit(Number(env.FAKE_TUI_EXIT));
}

let keys = '';
let replies = 0;
const log = env.FAKE_TUI_LOG;
const fs = await import('node:fs');

function draw(): void {
  const cols = process.stdout.columns;
  const rows = process.stdout.rows;
  out('\x1b[H\x1b[2J');
  out('\x1b[2;3HFAKE-TUI READY');
  out(`\x1b[3;3Hsize=${cols}x${rows} TERM=${env.TERM} FOO=${env.FOO ?? '-'}`);
  out(`\x1b[4;3Hkeys: ${escape(keys.slice(-60))}`);
  out(`\x1b[5;3Hreplies: ${replies}`);
  out(`\x1b[${rows};1Hstatus line`);
  out('\x1b[6;3H');
}

for (let i = 1; i <= 30; i++) out(`history line ${i}\r\n`);
out('fake-tui starting\r\n');
out('\x1b[?1049h\x1b[?1000h\x1b[?1002h\x1b[?1006h\x1b[?2004h\x1b[?1004h\x1b[>7u\x1b[>4;2m\x1b[?25l\x1b[5 q\x1b[?1h');
out('\x1b[c\x1b[6n'); // queries: a terminal answers them on our input
draw();

process.stdin.setRawMode(true);
process.stdin.on('data', (d: Buffer) => {
  const s = d.toString('latin1');
  if (log) fs.appendFileSync(log, `${escape(s)}\n`);
  const answers = s.match(/\x1b\[\?[\d;]*c|\x1b\[\d+;\d+R/g);
  if (answers) replies += answers.length;
  keys += s.replace(/\x1b\[\?[\d;]*c|\x1b\[\d+;\d+R/g, '');
  if (s === 'q') process.exit(0);
  if (s === 'x') process.exit(5);
  draw();
});
process.on('SIGWINCH', draw);
