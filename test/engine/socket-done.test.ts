/**
 * A chunk's buffer goes back to its reader to be filled again once the
 * socket is done with it (engine/load/socket-done.ts). On a real TCP
 * connection whose peer does not read, a large write stays in flight, and
 * socketDone must wait until the peer reads; with nothing in flight it
 * resolves at once, and a destroyed socket does not leave it waiting.
 */
import { once } from "node:events";
import { AddressInfo, createServer, Server, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { socketDone } from "../../engine/load/socket-done";

let server: Server;
let peer: Socket;
let socket: Socket;

beforeEach(async () => {
  server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection");
  socket = new Socket();
  socket.connect((server.address() as AddressInfo).port, "127.0.0.1");
  await once(socket, "connect");
  [peer] = (await accepted) as [Socket];
  peer.pause();
});

afterEach(async () => {
  socket.destroy();
  peer.destroy();
  server.close();
  await once(server, "close");
});

const settled = (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  return () => done;
};

test("resolves at once when nothing is in flight", async () => {
  expect(socket.writableLength).toBe(0);
  const isDone = settled(socketDone(socket));
  await sleep(0);
  expect(isDone()).toBe(true);
});

test("waits while a write is in flight, and resolves once the peer has read it", async () => {
  // Far more than the kernel's buffers on both ends hold: the rest stays queued in the socket.
  const chunk = Buffer.alloc(64 << 20, 0x61);
  socket.write(chunk);
  expect(socket.writableLength).toBeGreaterThan(0);
  const isDone = settled(socketDone(socket));
  await sleep(300);
  expect(isDone()).toBe(false);
  let received = 0;
  peer.on("data", (data: Buffer) => (received += data.length));
  peer.resume();
  while (!isDone()) await sleep(10);
  // Done means handed to the kernel: at most its buffers' worth is still on the way.
  expect(socket.writableLength).toBe(0);
  expect(received).toBeGreaterThan(chunk.length / 2);
});

test("does not leave the caller waiting when the socket is destroyed with a write in flight", async () => {
  socket.on("error", () => undefined);
  socket.write(Buffer.alloc(64 << 20));
  const done = socketDone(socket);
  socket.destroy();
  await expect(done).resolves.toBeUndefined();
});
