// The smallest game on @tickwire/client: quick play through the matchmaker, WASD to move,
// every actor drawn where the client's view puts it this frame (others interpolated on
// the server's timeline, the own actor predicted). Run a server
// (`cargo run --release -p tickwire-server`), then `npm run dev` here; set
// VITE_TICKWIRE_ORIGIN when the server is not on http://127.0.0.1:8080.

import { TickwireClient, type Vec } from '@tickwire/client';

const origin: string = import.meta.env.VITE_TICKWIRE_ORIGIN ?? 'http://127.0.0.1:8080';
const canvas = document.querySelector<HTMLCanvasElement>('#world')!;
const statusLine = document.querySelector<HTMLElement>('#status')!;
const context = canvas.getContext('2d')!;

const client = await TickwireClient.join(origin, 'quickPlay');
client.on('status', (status) => {
  statusLine.textContent = status.reason || status.state;
});
client.on('gameEvent', (event) => console.info(`#${event.actor} ${event.name} #${event.other}`));

const held = new Set<string>();
function direction(): Vec {
  const x = Number(held.has('KeyD')) - Number(held.has('KeyA'));
  const y = Number(held.has('KeyS')) - Number(held.has('KeyW'));
  return { x, y };
}
for (const type of ['keydown', 'keyup'] as const) {
  window.addEventListener(type, (event) => {
    const before = held.size;
    if (type === 'keydown') held.add(event.code);
    else held.delete(event.code);
    if (held.size !== before) client.sendInput(direction());
  });
}

function frame(now: number): void {
  const arena = client.arenaSize;
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (arena !== null) {
    const scale = Math.min(canvas.width / arena.x, canvas.height / arena.y);
    for (const actor of client.view(now).actors) {
      context.fillStyle = actor.own ? '#ffd400' : '#3fb6a8';
      context.beginPath();
      context.arc(actor.x * scale, actor.y * scale, actor.own ? 7 : 5, 0, 2 * Math.PI);
      context.fill();
    }
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
