/** @tributary/console: the browser console `tributary run` serves at /console/ (docs/console.md). */
export * from './errors.js';
export { createConsolePlugin, CONSOLE_PATH, type ConsolePluginOptions } from './plugin.js';
export { buildGraph, nodeId } from './graph.js';
export type { TopologyGraph, GraphNode, GraphEdge, EdgeKind } from './graph.js';
export { readTriggerStats, type TriggerStats, type StatsAnswer } from './stats.js';
export {
  serveStream,
  compileTailFilter,
  eventToJson,
  CLIENT_QUEUE_LIMIT,
  type EventJson,
} from './live-stream.js';
export { DEFAULT_ASSETS_DIR, CONSOLE_SECURITY_HEADERS } from './static-files.js';
