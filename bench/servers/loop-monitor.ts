// Preloaded into kuma-guard by `npm run bench -- --adversarial` (node --import): measures the
// event loop's delay inside the server and answers the benchmark over the IPC channel.
import { monitorEventLoopDelay } from "node:perf_hooks";

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
let peakRss = 0;
/** CPU time since the last reset: on a shared machine, steadier than wall-clock time. */
let cpuSince = process.cpuUsage();
/** Minor page faults since the last reset: the memory a case mapped for the first time. */
let faultsSince = process.resourceUsage().minorPageFault;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
sampler.unref();

process.on("message", (message: { command?: string }) => {
  if (message.command === "reset") {
    histogram.reset();
    peakRss = process.memoryUsage.rss();
    cpuSince = process.cpuUsage();
    faultsSince = process.resourceUsage().minorPageFault;
  }
  const cpu = process.cpuUsage(cpuSince);
  // Reset answers too, so the benchmark knows the reset happened before it sends the next request.
  process.send?.({
    maxMs: histogram.max / 1e6,
    rssMb: Math.max(peakRss, process.memoryUsage.rss()) / 1024 / 1024,
    cpuMs: (cpu.user + cpu.system) / 1000,
    faults: process.resourceUsage().minorPageFault - faultsSince,
  });
});
process.channel?.unref();
