// A tiny scripted WebSocket for the virtual-time tests of the socket connection only. Real-server
// behaviour is tested against the npm socket.io server and python-socketio (socket-peers-spec.ts).
import { WebSocketConstructor, WebSocketLike } from '../../lib/transport/socket';

/** A WebSocket whose server side the test drives by hand. */
export class FakeWebSocket implements WebSocketLike {
  static created: FakeWebSocket[] = [];
  /** Called for every new socket, so a test can script the server's side. */
  static onCreate: (ws: FakeWebSocket) => void = () => undefined;

  readyState = 0;
  readonly sent: string[] = [];
  closedByClient: 'close' | 'terminate' | undefined;
  onopen: unknown = null;
  onmessage: unknown = null;
  onclose: unknown = null;
  onerror: unknown = null;

  constructor(readonly url: string) {
    FakeWebSocket.created.push(this);
    FakeWebSocket.onCreate(this);
  }

  static reset(): void {
    FakeWebSocket.created = [];
    FakeWebSocket.onCreate = () => undefined;
  }

  static get ctor(): WebSocketConstructor {
    return FakeWebSocket;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(): void {
    this.closedByClient = 'close';
    this.readyState = 3;
  }
  terminate = (): void => {
    this.closedByClient = 'terminate';
    this.readyState = 3;
  };

  /** The server sends a text frame (the socket counts as open from the first frame). */
  serverSends(frame: string): void {
    if (this.readyState === 3) return;
    this.readyState = 1;
    (this.onmessage as ((e: { data: unknown }) => void) | null)?.({ data: frame });
  }
  /**
   * The server acknowledges the client's `subscribe_queue`, as python-socketio does once its handler
   * returned: an ACK with the ack id the subscribe was sent with, and no arguments.
   */
  acknowledgeSubscribe(): void {
    const subscribe = this.sent.map((frame) => /^42(\d+)\["subscribe_queue",/.exec(frame)).find((match) => match !== null);
    if (!subscribe) throw new Error('the client has not sent subscribe_queue with an ack id');
    this.serverSends(`43${subscribe[1]}[]`);
  }
  /** The server (or the network) closes the socket. */
  serverCloses(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    (this.onclose as ((e: { code: number; reason: string }) => void) | null)?.({ code, reason: '' });
  }
  get open(): boolean {
    return this.readyState === 1 || this.readyState === 0;
  }
}
