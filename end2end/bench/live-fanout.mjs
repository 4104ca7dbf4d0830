// Live feed fan-out: N open event streams (GET /api/live) on one server while moves run at a
// fixed rate through the real update operation; reports the delivery time from the database's
// commit-time stamp of each change to its receipt on every stream, and the server's memory.
// Usage: node bench/live-fanout.mjs <base-url> <email> <password> <server-pid> [streams] [rate] [seconds]
import { readFileSync } from "node:fs";
import http from "node:http";

const [base, email, password, pid, streamsArg, rateArg, secondsArg] = process.argv.slice(2);
const streams = Number(streamsArg ?? 500);
const rate = Number(rateArg ?? 100);
const seconds = Number(secondsArg ?? 20);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

function request(method, path, { body, cookie, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = http.request(url, { method, agent, headers: { ...headers, ...(cookie ? { cookie } : {}) } }, (res) => {
      let data = "";
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

const form = (o) => new URLSearchParams(o).toString();
const post = (path, fields, cookie) =>
  request("POST", path, { body: form(fields), cookie, headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" } });

const signIn = await post("/api/auth/sign_in", { email, password });
const cookie = signIn.headers["set-cookie"].map((c) => c.split(";")[0]).join("; ");

// Open, started cards of the board to change over and over.
const board = JSON.parse((await post("/api/board/get", { query: "" }, cookie)).body);
const cards = board.columns.filter((c) => c.stage_id !== null).flatMap((c) => c.cards).filter((c) => c.can_move).slice(0, 200);
if (cards.length === 0) throw new Error("no movable cards on the board");

// The streams.
const before = rssKb();
const delays = [];
let received = 0;
let opened = 0;
const connections = [];
for (let i = 0; i < streams; i++) {
  await new Promise((resolve, reject) => {
    const req = http.get(new URL("/api/live", base), { agent, headers: { cookie, accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream ${i}: ${res.statusCode}`));
      opened++;
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.includes("event: change")) continue;
          const data = event.split("\n").find((l) => l.startsWith("data:"));
          const change = JSON.parse(data.slice(5));
          if (change.at) delays.push(Date.now() - change.at);
          received++;
        }
      });
      resolve();
    });
    req.on("error", reject);
    connections.push(req);
  });
}
await new Promise((r) => setTimeout(r, 1000));
const afterOpen = rssKb();

// Moves at a fixed rate, each through opportunities/update (the same operation as a drop).
const versions = new Map(cards.map((c) => [c.id, c.version]));
let moves = 0;
let failures = 0;
const started = Date.now();
const inFlight = [];
for (let n = 0; Date.now() - started < seconds * 1000; n++) {
  const due = started + (n * 1000) / rate;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const card = cards[n % cards.length];
  // An Update entry (a new estimate): a real move through the same operation, with no stage
  // rules in the way of a steady rate.
  const action = "Update";
  inFlight.push(
    post("/api/opportunities/update", { id: String(card.id), version: String(versions.get(card.id)), action, estimated_value: String(1000 + (n % 50)) }, cookie).then((r) => {
      if (r.status === 200) {
        versions.set(card.id, JSON.parse(r.body).version);
        moves++;
      } else failures++;
    }),
  );
}
await Promise.all(inFlight);
await new Promise((r) => setTimeout(r, 2000));
const afterLoad = rssKb();
for (const c of connections) c.destroy();

delays.sort((a, b) => a - b);
const pct = (p) => delays[Math.min(delays.length - 1, Math.floor(delays.length * p))];
console.log(`    streams open: ${opened}; moves: ${moves} in ${seconds} s (${(moves / seconds).toFixed(0)}/s), refused or failed: ${failures}`);
console.log(`    deliveries: ${received} (expected ${moves * opened}); commit → receipt: median ${pct(0.5)} ms, p95 ${pct(0.95)} ms, p99 ${pct(0.99)} ms, max ${delays[delays.length - 1]} ms`);
console.log(`    server RSS: ${(before / 1024).toFixed(1)} MB before, ${(afterOpen / 1024).toFixed(1)} MB with ${opened} streams (${((afterOpen - before) / opened).toFixed(1)} KB per stream), ${(afterLoad / 1024).toFixed(1)} MB after the moves`);
process.exit(0);
