// The two baselines kuma-guard is measured against, with the same TLS settings:
//   bare    — node:https reads the body, JSON.parses it, answers allowed: true (the limit);
//   express — an express 5 app doing the same (the framework floor).
// Usage: node baseline.js bare|express --port N --cert FILE --key FILE
import { createServer } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import express from "express";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { port: { type: "string" }, cert: { type: "string" }, key: { type: "string" } },
});
const tls = { cert: readFileSync(values.cert ?? ""), key: readFileSync(values.key ?? "") };
const MAX_BODY = 7 * 1024 * 1024;

function answer(body: string): string {
  const review = JSON.parse(body) as { apiVersion: string; request: { uid: string } };
  return JSON.stringify({ apiVersion: review.apiVersion, kind: "AdmissionReview", response: { uid: review.request.uid, allowed: true } });
}

function bare(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(answer(Buffer.concat(chunks).toString("utf8")));
  });
}

function expressApp() {
  const app = express();
  app.post("/validate", express.raw({ type: () => true, limit: MAX_BODY }), (req, res) => {
    res.type("application/json").send(answer((req.body as Buffer).toString("utf8")));
  });
  // A client that hangs up mid-body (autocannon at the end of a run) is not worth a stack trace.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(400).end();
  });
  return app;
}

const server = createServer(tls, positionals[0] === "express" ? expressApp() : bare);
server.listen(Number(values.port), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
