// A TCP proxy that plays the network between two data centres: `node tcp-proxy.mjs <listen
// host:port> <target host:port>`. Commands on stdin, one per line: `latency <ms>` (each chunk,
// either way, is held that long), `partition` (nothing passes: bytes are held, not delivered,
// and new connections wait, as when a link is down and packets are lost), `heal`. It prints
// `listening <port>` once ready and `ok <command>` after each command.
// Plain JavaScript: it runs inside a network namespace with `ip netns exec`, without tsx.
import net from 'node:net';
import readline from 'node:readline';

const [listenArg, targetArg] = process.argv.slice(2);
const split = (text) => {
  const at = text.lastIndexOf(':');
  return { host: text.slice(0, at), port: Number(text.slice(at + 1)) };
};
const listenAt = split(listenArg);
const target = split(targetArg);
let latencyMs = 0;
let partitioned = false;
/** Actions held while partitioned, run in order on heal. */
let held = [];

const later = (action) => {
  const run = () => (partitioned ? held.push(action) : action());
  if (latencyMs > 0) setTimeout(run, latencyMs);
  else run();
};

const server = net.createServer((client) => {
  client.pause();
  const open = () => {
    const upstream = net.connect(target.port, target.host);
    const pipe = (from, to) => {
      from.on('data', (chunk) => later(() => to.destroyed || to.write(chunk)));
      from.on('end', () => later(() => to.end()));
      from.on('error', () => later(() => to.destroy()));
      from.on('close', () => later(() => to.destroy()));
    };
    pipe(client, upstream);
    pipe(upstream, client);
    client.resume();
  };
  later(open);
});
server.listen(listenAt.port, listenAt.host, () => process.stdout.write(`listening ${server.address().port}\n`));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, value] = line.trim().split(/\s+/);
  if (command === 'latency') latencyMs = Number(value);
  else if (command === 'partition') partitioned = true;
  else if (command === 'heal') {
    partitioned = false;
    const actions = held;
    held = [];
    for (const action of actions) action();
  } else return process.stdout.write(`unknown ${command}\n`);
  process.stdout.write(`ok ${command}\n`);
});
process.stdin.on('end', () => process.exit(0));
