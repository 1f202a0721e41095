"""python -m w365_sandbox --seed FILE [--port N] [--ready-file F] [--time-scale X] [--state-dir D] [--print-env]"""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import sys
import tempfile
import threading
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m w365_sandbox", description=__doc__)
    parser.add_argument("--seed", required=True, help="seed YAML file (see docs/sandbox.md)")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    parser.add_argument("--ready-file",
                        help="write {url, ca_bundle, pid, identity_header, control_token} here (mode 0600) once listening")
    parser.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--state-dir", help="directory for the generated CA and server certificate "
                                            "(default: a temporary directory removed at exit)")
    parser.add_argument("--print-env", action="store_true",
                        help="once listening, print the shell exports that point the collection and the sandbox "
                             "inventory at this sandbox (for rehearsing your own estate: make sandbox SEED=...)")
    args = parser.parse_args(argv)
    if args.time_scale < 0:
        parser.error("--time-scale must be >= 0 (0 freezes simulated time: only POST /_emulator/time moves it)")

    from .app import Emulator
    from .certs import generate
    from .seed import SeedError, load_seed
    from .server import SandboxServer

    try:
        seed = load_seed(args.seed)
        emulator = Emulator(seed, time_scale=args.time_scale, seed_dir=Path(args.seed).resolve().parent)
    except SeedError as err:
        print(f"seed error in {args.seed}: {err}", file=sys.stderr)
        return 2

    tmp = None
    if args.state_dir:
        state_dir = Path(args.state_dir).resolve()
    else:
        tmp = tempfile.TemporaryDirectory(prefix="w365-sandbox-")
        state_dir = Path(tmp.name)
    ca_path, cert_path, key_path = generate(state_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_path, key_path)

    server = SandboxServer(("127.0.0.1", args.port), emulator, ctx)
    port = server.server_address[1]
    url = f"https://127.0.0.1:{port}"

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    info = {"url": url, "ca_bundle": str(ca_path), "pid": os.getpid(), "identity_header": emulator.identity_header,
            "control_token": emulator.control_token}
    if args.ready_file:
        ready = Path(args.ready_file)
        part = ready.with_name(ready.name + ".part")
        part.unlink(missing_ok=True)
        # 0600 from the start: the control token in it is the key to the control API.
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(info))
        part.replace(ready)  # atomic: readers never see half a file
    print(f"w365 sandbox listening on {url} (CA {ca_path})", file=sys.stderr, flush=True)
    if args.print_env:
        print(env_exports(url, str(ca_path)), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.ready_file:
            Path(args.ready_file).unlink(missing_ok=True)
        if tmp is not None:
            tmp.cleanup()
    return 0


def env_exports(url: str, ca_bundle: str) -> str:
    """The shell lines a user pastes into another terminal to run playbooks against this sandbox."""
    return "\n".join([
        "# Paste into the shell that runs ansible-playbook (the sandbox runs until Ctrl-C here):",
        f"export W365_SANDBOX_URL={url}",
        f"export W365_SANDBOX_CA={ca_bundle}",
        "# then, e.g.: ansible-playbook -i playbooks/inventory/sandbox playbooks/rollout.yml",
        "# (an inventory of your own estate sets authority_host, graph_endpoint and arm_endpoint to",
        "#  $W365_SANDBOX_URL and ca_bundle to $W365_SANDBOX_CA, as playbooks/inventory/sandbox/group_vars does)",
    ])


if __name__ == "__main__":
    sys.exit(main())
