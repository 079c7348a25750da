// `coop run` on a terminal, as a person uses it: the command gets a terminal of its own
// inside the box, sees the window size, and the user's terminal is restored afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COOP } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';
import { Tmux } from '../helpers/tmux.js';

test('an interactive shell in a box on a real terminal', async () => {
  const t = new Tmux({ cols: 90, rows: 25, cwd: tmp(), env: { COOP_HOME: tmp(), PS1: 'outer$ ' } });
  try {
    await t.waitFor(/outer\$ ?$/m);
    t.type('stty -g > /tmp/.coop-stty-before-$$; echo saved');
    await t.waitFor(/^saved$/m);
    t.type(`${process.execPath} ${COOP} run -- sh`);
    await t.waitFor(/^# ?$/m); // the box's own environment: root's default prompt
    t.type('tty; echo $((6*7)); stty size; echo $TERM; echo END-OF-CHECK');
    const s = await t.waitFor(/^END-OF-CHECK$/m);
    assert.match(s, /^42$/m, s);
    assert.match(s, /^\/dev\/pts\/0$/m, s);
    assert.match(s, /^25 90$/m, s);
    assert.match(s, /^(screen|tmux)/m);
    // Resizing the user's terminal resizes the box's terminal.
    t.tmux('resize-window', '-x', '70', '-y', '20');
    t.type('clear; stty size; echo END-OF-RESIZE');
    assert.match(await t.waitFor(/^END-OF-RESIZE$/m), /^20 70$/m);
    // Ctrl+C interrupts the command in the box, not coop.
    t.type('sleep 1000');
    t.keys('C-c');
    t.type('clear; echo after-interrupt');
    await t.waitFor(/^after-interrupt$/m);
    t.type('exit 5');
    await t.waitFor(/outer\$ ?$/m);
    t.type('echo "code=$?"; [ "$(stty -g)" = "$(cat /tmp/.coop-stty-before-$$)" ] && echo TERMINAL-RESTORED');
    const after = await t.waitFor(/TERMINAL-RESTORED|code=\d+\s*\n.*outer\$ ?$/m);
    assert.match(after, /code=5/);
    assert.match(after, /TERMINAL-RESTORED/);
    t.type('rm -f /tmp/.coop-stty-before-$$');
  } finally {
    t.kill();
  }
});

test.run();
