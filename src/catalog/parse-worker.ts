// The worker thread that reads catalog files for the directory catalog (file-reader.ts says why):
// one request { id, path, defaultNamespace } in, one FileReading out.
import { parentPort } from "node:worker_threads";
import { readCatalogFile } from "./read-file.js";

parentPort?.on("message", (request: { id: number; path: string; defaultNamespace: string }) => {
  void readCatalogFile(request.path, request.defaultNamespace).then((reading) => parentPort?.postMessage({ id: request.id, reading }));
});
