/**
 * Loaded into a `carrel` process under test (`node --import <this file>`) with
 * CARREL_TEST_PORT_ALIAS=FROM=TO: every listen and connect of that process on port FROM goes to
 * port TO instead. A test can so hand the process a well-known port (the simulated desk's MQTT
 * 1883) that another process holds, without binding the machine's real 1883: TO is one the
 * system gave the test (port 0), which no Mosquitto of the machine nor another test's process
 * holds or is refused. Plain JavaScript: node loads it as it is, before the CLI.
 */
import net from 'node:net';

const [from, to] = (process.env.CARREL_TEST_PORT_ALIAS ?? '').split('=').map(Number);

if (Number.isInteger(from) && Number.isInteger(to) && from > 0 && to > 0) {
  const aliased = (args) => {
    const [first] = args;
    if (first !== null && typeof first === 'object' && !Array.isArray(first) && Number(first.port) === from)
      return [{ ...first, port: to }, ...args.slice(1)];
    if ((typeof first === 'number' || typeof first === 'string') && Number(first) === from)
      return [to, ...args.slice(1)];
    return args;
  };
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listenAliased(...args) {
    return listen.apply(this, aliased(args));
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connectAliased(...args) {
    return connect.apply(this, aliased(args));
  };
}
