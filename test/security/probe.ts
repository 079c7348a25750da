// A small attacker's toolkit for tests: a Python program (the host image has python3) that
// makes raw system calls from inside a box and prints one result per line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = String.raw`
import ctypes, errno, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
X86 = {'keyctl': 250, 'add_key': 248, 'request_key': 249, 'bpf': 321, 'perf_event_open': 298,
       'userfaultfd': 323, 'io_uring_setup': 425, 'open_by_handle_at': 304, 'init_module': 175,
       'kexec_load': 246, 'ioctl': 16, 'unshare': 272}
def call(name, *args):
    r = libc.syscall(X86[name], *[ctypes.c_long(a) for a in args])
    return r, ctypes.get_errno()
def result(name, *args):
    r, e = call(name, *args)
    return 'ok' if r >= 0 else errno.errorcode.get(e, str(e))
cmd = sys.argv[1]
if cmd == 'syscalls':
    for name in ['keyctl', 'add_key', 'bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup',
                 'open_by_handle_at', 'init_module', 'kexec_load']:
        print(name, result(name, 0, 0, 0, 0, 0))
    fd = os.open('/dev/null', os.O_RDWR)
    print('TIOCSTI', result('ioctl', fd, 0x5412, 0))
    print('TIOCSTI-high-bits', result('ioctl', fd, 0x100005412, 0))
    print('TIOCLINUX', result('ioctl', fd, 0x541C, 0))
elif cmd == 'keyring':
    # KEYCTL_GET_KEYRING_ID(KEY_SPEC_SESSION_KEYRING=-3, create=0), then read the given key.
    r, e = call('keyctl', 0, -3, 0)
    print('session', r if r >= 0 else errno.errorcode.get(e))
    key = int(sys.argv[2])
    buf = ctypes.create_string_buffer(256)
    r = libc.syscall(250, ctypes.c_long(11), ctypes.c_long(key), buf, ctypes.c_long(256))
    print('read', buf.value.decode() if r >= 0 else errno.errorcode.get(ctypes.get_errno()))
elif cmd == 'add-key':
    # add_key("user", desc, payload, KEY_SPEC_SESSION_KEYRING), print its id, then run argv[3:].
    desc, payload = sys.argv[2].encode(), sys.argv[3].encode()
    r = libc.syscall(248, b'user', desc, payload, ctypes.c_long(len(payload)), ctypes.c_long(-3))
    if r < 0:
        print('add_key failed', errno.errorcode.get(ctypes.get_errno())); sys.exit(2)
    sys.stdout.write(str(r) + '\n'); sys.stdout.flush()
    os.execvp(sys.argv[4], sys.argv[4:] + [str(r)])
elif cmd == 'abstract':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect('\0' + sys.argv[2]); print('connected')
    except OSError as e:
        print('refused', errno.errorcode.get(e.errno))
elif cmd == 'serve-abstract':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind('\0' + sys.argv[2]); s.listen(8)
    print('ready'); sys.stdout.flush()
    while True:
        s.accept()[0].close()
elif cmd == 'unix':
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[2]); print('connected')
    except OSError as e:
        print('refused', errno.errorcode.get(e.errno))
`;

/** Writes the probe into `dir`; returns its in-box path when dir is the workspace. */
export function writeProbe(dir: string): string {
  writeFileSync(join(dir, 'probe.py'), SCRIPT);
  return '/workspace/probe.py';
}

/** Lines "NAME RESULT" as a map. */
export function results(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split('\n').filter(Boolean).map((l) => [l.split(' ')[0]!, l.split(' ').slice(1).join(' ')]));
}
