import { Packr } from 'msgpackr';

/**
 * Redis commands decided in JavaScript and run inside a Lua script, so that they happen in the same atomic step as
 * the state change that causes them (a counter moves exactly when a status does). Encoded flat in ARGV:
 * `n`, then per command `name`, `key`, `argument count`, arguments — no JSON to decode in Redis.
 */
export interface RedisOp { command: string; key: string; args: (string | number)[] }

export function opsArgs(ops: readonly RedisOp[]): Array<string | number> {
  const out: Array<string | number> = [ops.length];
  for (const op of ops) out.push(op.command, op.key, op.args.length, ...op.args);
  return out;
}

/**
 * `apply_ops(args, i, run)` runs the commands encoded at args[i] (when `run` is true) and returns the index after
 * them; `args` is ARGV or a table unpacked from one argument (queues/intake.ts packs each complaint's).
 */
export const APPLY_OPS_LUA = `local function apply_ops(args, i, run)
  local n = tonumber(args[i])
  i = i + 1
  for _ = 1, n do
    local count = tonumber(args[i + 2])
    if run then redis.call(args[i], args[i + 1], unpack(args, i + 3, i + 2 + count)) end
    i = i + 3 + count
  end
  return i
end`;

// As BullMQ packs its scripts' arguments: plain arrays, which a script reads with cmsgpack.unpack.
const packer = new Packr({ useRecords: false });

/**
 * One script argument holding many values (a script unpacks it into a table and reads it as it would ARGV). The
 * hot scripts take one per complaint instead of ~50: encoding and parsing each argument, on both sides, was the
 * largest cost of their calls, and the argument strings the most allocated memory.
 */
export function packed(values: readonly unknown[]): Buffer {
  return packer.pack(values);
}
