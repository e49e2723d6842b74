// The two resources the platform accounts on hosts and pods: cpu in millicores, memory in bytes.

/** An amount of the two resources the scheduler accounts: cpu in millicores, memory in bytes. */
export interface Resources {
  cpuMilli: number;
  memoryBytes: number;
}

/**
 * The room of a Host object (cluster-scoped, kind `Host`) that binding reads and writes.
 * `requested` is the capacity already promised to pods; every binding changes it with a write
 * conditional on the host's resourceVersion, so two schedulers cannot promise the same room.
 */
export interface HostStatus {
  allocatable: Resources;
  requested: Resources;
  ready: boolean;
  /**
   * Room held by what is not a pod (a Service's proxy task on AWS), by its holder's key; each is
   * also in `requested` (shared/scheduler/reservations.ts).
   */
  reserved?: Record<string, Resources>;
}
