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

/** `apply_ops(i)` runs the commands encoded at ARGV[i] (when `run` is true) and returns the index after them. */
export const APPLY_OPS_LUA = `local function apply_ops(i, run)
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    local count = tonumber(ARGV[i + 2])
    if run then redis.call(ARGV[i], ARGV[i + 1], unpack(ARGV, i + 3, i + 2 + count)) end
    i = i + 3 + count
  end
  return i
end`;
