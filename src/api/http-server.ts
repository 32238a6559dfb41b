import { STATUS_CODES, createServer, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** HttpServerOptions are http.Server's timeouts, in milliseconds. */
export interface HttpServerOptions {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * createHttpServer returns the node:http server for an app (createApp's listener), with requests
 * Node's HTTP parser refuses answered with the same JSON error body as every other refusal
 * (clientError), not Node's empty 400.
 */
export function createHttpServer(app: RequestListener, o: HttpServerOptions): Server {
  // Node enforces requestTimeout/headersTimeout only when it sweeps connections, every 30 s by
  // default: sweep every second so a trickling client is cut close to its deadline.
  const server = createServer({ connectionsCheckingInterval: 1000 }, app);
  server.requestTimeout = o.requestTimeoutMs;
  server.headersTimeout = o.headersTimeoutMs;
  server.keepAliveTimeout = o.keepAliveTimeoutMs;
  server.on('clientError', answerClientError);
  return server;
}

/** PARSER_REFUSALS maps Node's clientError codes to the status and message they are answered with; the rest are 400. */
const PARSER_REFUSALS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request header fields too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request timeout: the request was not received in time'],
  HPE_INVALID_METHOD: [400, 'bad request: invalid method'],
  HPE_INVALID_URL: [400, 'bad request: invalid request target'],
  HPE_INVALID_VERSION: [400, 'bad request: invalid HTTP version'],
  HPE_INVALID_CHUNK_SIZE: [400, 'bad request: invalid chunk in a chunked body'],
  HPE_INVALID_TRANSFER_ENCODING: [400, 'bad request: invalid Transfer-Encoding'],
  HPE_INVALID_CONTENT_LENGTH: [400, 'bad request: invalid Content-Length'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'bad request: both Content-Length and Transfer-Encoding'],
};

function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // Nothing to answer on a connection that is gone, or whose response has begun (Node's own rule).
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  const [status, message] = PARSER_REFUSALS[err.code ?? ''] ?? [400, 'bad request: the HTTP request could not be parsed'];
  const body = JSON.stringify({ code: status, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads or closes must not hold the socket open.
  setTimeout(() => socket.destroy(), 5000).unref();
}
