import type { CsiAccessMode, DriverConfig } from "./config.ts";
import { singleNodeModes, unsupportedAccessMode } from "./config.ts";
import { CsiError } from "./csi-error.ts";
import type { VolumeRecord, VolumeStore } from "./volumes.ts";

/**
 * The CSI Controller RPCs of the suite's driver, as plain methods on plain
 * messages (the shapes @grpc/proto-loader produces with keepCase and string
 * enums), so that they are unit-tested without a socket. Errors carry the gRPC
 * code the CSI spec prescribes for each case.
 */

export interface VolumeCapability {
  access_mode?: { mode?: string } | null;
}

interface Topology {
  segments?: Record<string, string>;
}

export interface CreateVolumeRequest {
  name?: string;
  capacity_range?: { required_bytes?: string | number } | null;
  volume_capabilities?: VolumeCapability[];
  accessibility_requirements?: { requisite?: Topology[]; preferred?: Topology[] } | null;
}

const defaultCapacity = 1024 ** 3;

export class ControllerService {
  private readonly config: DriverConfig;
  private readonly store: VolumeStore;

  constructor(config: DriverConfig, store: VolumeStore) {
    this.config = config;
    this.store = store;
  }

  controllerGetCapabilities() {
    // SINGLE_NODE_MULTI_WRITER makes Kubernetes send ReadWriteOnce as
    // SINGLE_NODE_MULTI_WRITER and ReadWriteOncePod as SINGLE_NODE_SINGLE_WRITER.
    const rpcs = [
      "CREATE_DELETE_VOLUME",
      "SINGLE_NODE_MULTI_WRITER",
      ...(this.config.attach ? ["PUBLISH_UNPUBLISH_VOLUME"] : []),
    ];
    return { capabilities: rpcs.map((type) => ({ rpc: { type } })) };
  }

  /** Throws INVALID_ARGUMENT naming the first access mode this driver does not offer. */
  private checkCapabilities(capabilities: readonly VolumeCapability[]): void {
    for (const capability of capabilities) {
      const refusal = unsupportedAccessMode(
        this.config,
        capability.access_mode?.mode ?? "UNKNOWN",
        "INVALID_ARGUMENT",
      );
      if (refusal) throw refusal;
    }
  }

  /**
   * The segment a pinned volume goes to (a node, or a zone for zonal storage):
   * the provisioner's preferred topology first (the selected node's under WaitForFirstConsumer).
   */
  private placement(request: CreateVolumeRequest): Record<string, string> | undefined {
    const key = this.config.topologyKey;
    if (!key) return undefined;
    const requirements = request.accessibility_requirements;
    const candidates = [...(requirements?.preferred ?? []), ...(requirements?.requisite ?? [])];
    const node = candidates.map((t) => t.segments?.[key]).find((value) => value);
    if (!node) {
      throw new CsiError(
        "INVALID_ARGUMENT",
        `driver ${this.config.name} pins every volume by ${key} but the request names no ${key} topology`,
      );
    }
    return { [key]: node };
  }

  createVolume(request: CreateVolumeRequest) {
    const name = request.name ?? "";
    if (name === "") throw new CsiError("INVALID_ARGUMENT", "CreateVolume: name is required");
    const capabilities = request.volume_capabilities ?? [];
    if (capabilities.length === 0)
      throw new CsiError("INVALID_ARGUMENT", "CreateVolume: volume_capabilities are required");
    this.checkCapabilities(capabilities);
    const capacityBytes = Number(request.capacity_range?.required_bytes ?? 0) || defaultCapacity;
    const existing = this.store.byName(name);
    if (existing) {
      if (existing.capacityBytes < capacityBytes) {
        throw new CsiError(
          "ALREADY_EXISTS",
          `volume ${name} exists with a smaller capacity (${existing.capacityBytes} bytes)`,
        );
      }
      return { volume: this.toCsiVolume(existing) };
    }
    const topology = this.placement(request);
    const record = this.store.create({ name, capacityBytes, ...(topology ? { topology } : {}) });
    return { volume: this.toCsiVolume(record) };
  }

  deleteVolume(request: { volume_id?: string }) {
    if (!request.volume_id) throw new CsiError("INVALID_ARGUMENT", "DeleteVolume: volume_id is required");
    this.store.delete(request.volume_id); // deleting an absent volume succeeds (CSI: idempotent)
    return {};
  }

  controllerPublishVolume(request: {
    volume_id?: string;
    node_id?: string;
    volume_capability?: VolumeCapability | null;
  }) {
    const { volume_id: volumeId, node_id: nodeId } = request;
    if (!volumeId || !nodeId)
      throw new CsiError("INVALID_ARGUMENT", "ControllerPublishVolume: volume_id and node_id are required");
    const volume = this.store.get(volumeId);
    if (!volume) throw new CsiError("NOT_FOUND", `volume ${volumeId} does not exist`);
    this.checkCapabilities(request.volume_capability ? [request.volume_capability] : []);
    if (volume.publishedTo.includes(nodeId)) return { publish_context: {} };
    const mode = request.volume_capability?.access_mode?.mode as CsiAccessMode | undefined;
    const elsewhere = volume.publishedTo.filter((node) => node !== nodeId);
    // CSI spec: a volume without a MULTI_NODE capability that is published to
    // another node is refused with FAILED_PRECONDITION, as real block storage does.
    if (elsewhere.length > 0 && (mode === undefined || singleNodeModes.includes(mode))) {
      throw new CsiError(
        "FAILED_PRECONDITION",
        `volume ${volumeId} is already published to node ${elsewhere.join(", ")} and its access mode ${mode ?? "(none)"} is single-node`,
      );
    }
    this.store.save({ ...volume, publishedTo: [...volume.publishedTo, nodeId] });
    return { publish_context: {} };
  }

  /**
   * Records the detach and cuts no node off: a volume is a directory every
   * node shares, and a node that still has it mounted (a forced detach after
   * a node failure, docs/scenarios.md#node-failure) keeps writing. Real
   * network block storage revokes the node's access here; the node-failure
   * scenarios' fencing check reports which of the two a driver does.
   */
  controllerUnpublishVolume(request: { volume_id?: string; node_id?: string }) {
    const volume = request.volume_id ? this.store.get(request.volume_id) : undefined;
    if (volume) {
      // An empty node_id means "from every node" (CSI spec).
      const remaining = request.node_id ? volume.publishedTo.filter((n) => n !== request.node_id) : [];
      this.store.save({ ...volume, publishedTo: remaining });
    }
    return {};
  }

  validateVolumeCapabilities(request: { volume_id?: string; volume_capabilities?: VolumeCapability[] }) {
    if (!request.volume_id || !this.store.get(request.volume_id)) {
      throw new CsiError("NOT_FOUND", `volume ${request.volume_id ?? ""} does not exist`);
    }
    try {
      this.checkCapabilities(request.volume_capabilities ?? []);
    } catch (error) {
      return { message: (error as Error).message };
    }
    return { confirmed: { volume_capabilities: request.volume_capabilities ?? [] } };
  }

  private toCsiVolume(record: VolumeRecord) {
    return {
      volume_id: record.id,
      capacity_bytes: String(record.capacityBytes),
      volume_context: {},
      accessible_topology: record.topology ? [{ segments: record.topology }] : [],
    };
  }
}
