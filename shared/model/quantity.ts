// Kubernetes resource quantities: cpu as cores or millicores ("1", "0.5", "250m"), memory as
// bytes with binary or decimal suffixes ("256Mi", "1Gi", "500M", "1048576").
import * as z from 'zod';

const CPU = /^(\d+(?:\.\d{1,3})?)(m?)$/;
const MEMORY = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_FACTOR: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/**
 * Millicores of a cpu quantity, or undefined when it is not one.
 * @example cpuMillis('250m') // 250; cpuMillis('1.5') // 1500
 */
export function cpuMillis(q: string): number | undefined {
  const m = CPU.exec(q);
  if (!m) return undefined;
  return m[2] === 'm' ? (m[1]!.includes('.') ? undefined : Number(m[1])) : Math.round(Number(m[1]) * 1000);
}

/**
 * Bytes of a memory quantity, or undefined when it is not one.
 * @example memoryBytes('256Mi') // 268435456
 */
export function memoryBytes(q: string): number | undefined {
  const m = MEMORY.exec(q);
  return m ? Number(m[1]) * MEMORY_FACTOR[m[2] ?? '']! : undefined;
}

export const cpuQuantity = z
  .string()
  .max(32)
  .refine((q) => (cpuMillis(q) ?? 0) > 0, 'cpu is cores ("1", "0.5") or millicores ("250m"), more than zero');
export const memoryQuantity = z
  .string()
  .max(32)
  .refine((q) => (memoryBytes(q) ?? 0) > 0, 'memory is bytes with an optional suffix ("256Mi", "1Gi", "500M"), more than zero');
