/**
 * The node:http server under the web role (Fastify's serverFactory), for what Fastify
 * leaves to node: slow clients and the number of open connections.
 *
 * - The headers, and the whole request, must arrive within `headersTimeoutMs`, checked
 *   every second (node's default interval is 30 s, which let a slow-header client live
 *   35-45 s with a 15 s limit); node answers 408 and closes.
 * - Idle keep-alive connections close after `keepAliveTimeoutMs`; a connection with no
 *   traffic either way for `connectionTimeoutMs` (a client that stopped reading an answer)
 *   is destroyed.
 * - On stop, a connection is closed as soon as its last request in progress was answered.
 * - At most `maxConnections` are open. When full, the connection idle longest (none with a
 *   request in progress) is closed to make room, so connections that never send anything
 *   cannot lock real clients out; when every one is busy, the new one gets 503 and is closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface NodeServerLimits {
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectionTimeoutMs: number;
}

const FULL_BODY = 'The server is busy. Please try again in a few seconds.\n';
const FULL_RESPONSE = `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 5\r\ncache-control: no-store\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(FULL_BODY)}\r\n\r\n${FULL_BODY}`;

export function createCappedServer(limits: NodeServerLimits, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  // Open connections, the longest idle first; `active` counts requests in progress.
  const open = new Map<Socket, { active: number }>();
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      const state = open.get(req.socket);
      if (!state) {
        // a connection refused or closed to make room: nothing of it is served
        req.socket.destroy();
        return;
      }
      state.active++;
      res.once('close', () => {
        state.active--;
        // stopping: a connection whose last request was answered is done (node closes the
        // idle ones only when the stop begins, so it would linger until keep-alive ran out)
        if (!server.listening && state.active === 0) {
          req.socket.end();
          return;
        }
        // idle again from now on: to the back of the line
        if (open.delete(req.socket)) open.set(req.socket, state);
      });
      handler(req, res);
    },
  );
  server.setTimeout(limits.connectionTimeoutMs);

  server.on('connection', (socket: Socket) => {
    if (open.size >= limits.maxConnections) {
      let idle: Socket | null = null;
      for (const [s, state] of open) {
        if (state.active === 0) {
          idle = s;
          break;
        }
      }
      if (!idle) {
        socket.end(FULL_RESPONSE);
        return;
      }
      open.delete(idle);
      idle.destroy();
    }
    open.set(socket, { active: 0 });
    socket.once('close', () => open.delete(socket));
  });
  // a backstop only: a socket closed to make room is counted by node until its close event
  server.maxConnections = limits.maxConnections * 2;
  return server;
}
