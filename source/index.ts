/**
 * nanodock: which container owns this port? Engine discovery, container lists with their
 * published ports, socket-to-container lookup, stop and kill, for Docker and Podman.
 */
export {
  type ContainerLogsOptions,
  type ContainerRef,
  containerLogs,
  containerLogsOf,
  containerStats,
  containerStatsOf,
  isContainerNotFound,
  type RestartOptions,
  restartContainer,
  restartContainerOf,
  type StatsOptions,
} from './container-ops.js';
export {
  awaitDetection,
  awaitScan,
  type DetectionHandle,
  type DetectOptions,
  defaultDetectTimeoutMs,
  detectContainers,
  type EngineAnswer,
  type EngineScan,
  maxPatchIds,
  type StartDetectionOptions,
  scanEngines,
  startDetection,
} from './engine/detect.js';
export {
  type DockerContextEntry,
  type Endpoint,
  type EndpointOptions,
  type EndpointPlan,
  listDockerContexts,
  parseEngineAddress,
  resolveEndpoints,
  type SocketEndpoint,
  type SshEndpoint,
  type TcpEndpoint,
  type TlsMaterial,
} from './engine/endpoint.js';
export type {EngineEventType} from './engine/events.js';
export {
  type EngineEvent,
  type EngineEventWatcher,
  type EventStreamOptions,
  maxEventLineBytes,
  parseEngineEvent,
  watchEngineEvents,
} from './engine/events.js';
export {maxBodyBytes, maxHeaderBytes} from './engine/http.js';
export {
  defaultMaxLogLineBytes,
  type FramePiece,
  type FrameStream,
  LogFrameDecoder,
  type LogLine,
  LogLineSplitter,
  type LogLineSplitterOptions,
  type LogStreamName,
  maxLogFrameBytes,
  type SplitLine,
} from './engine/log-frames.js';
export {type ContainerLogStream, maxQueuedLogLines} from './engine/log-stream.js';
export {
  type ContainerList,
  parseContainerList,
  parseContainersJson,
  parseContainersJsonStrict,
  type ReadContainerListOptions,
  readContainerList,
} from './engine/parse-containers.js';
export {
  defaultRestartStopSeconds,
  restartDeadlineMs,
  restartStatusTable,
} from './engine/restart.js';
export {closeSshConnections, runOverSsh, type SshCommandResult} from './engine/ssh.js';
export {parseEngineStats, parsePodmanCliStats} from './engine/stats.js';
export {isSafeContainerId, minStopTimeoutMs} from './engine/stop.js';
export {
  forgetSwarmInfo,
  parseSwarmInfo,
  parseSwarmReport,
  type ReadSwarmOptions,
  readSwarm,
  readSwarmCached,
  type SwarmBodies,
  type SwarmInfo,
  swarmInfoTtlMs,
  swarmTasksPath,
} from './engine/swarm.js';
export * from './errors/index.js';
export {
  allContexts,
  type FleetHostPlan,
  type FleetPlan,
  FleetSnapshot,
  fleetWaitMs,
  type HostSource,
  placeOf,
  planFleet,
} from './fleet.js';
export {matchedContainer} from './host/helper-resolution.js';
export {
  type HostListener,
  type HostProcess,
  type HostScan,
  HostScanner,
  type HostScannerOptions,
  scanHost,
} from './host/host-scanner.js';
export {
  type ConmonArgs,
  type ConmonResolveOptions,
  parseConmonArgs,
  parseRootlessEndpoint,
  parseStorageContainers,
  resolveConmonContainer,
  type StoredContainer,
} from './host/podman-storage.js';
export {
  type HostSocket,
  listHostSockets,
  parseProcAddress,
  parseProcNet,
} from './host/proc-net.js';
export {
  isPodmanRootlessportProcess,
  lookupRootlessPodmanContainer,
  RootlessPodmanResolver,
  type RootlessPodmanResolverOptions,
} from './host/rootless-podman.js';
export {
  type ProcessIdentity,
  type SignalOptions,
  type SignalReport,
  signalProcess,
} from './host/signal.js';
export type {RestartOutcome, RestartReport, StatsReport} from './model/action-reports.js';
export {
  type ContainerInfo,
  type ContainerOrigin,
  type EngineKind,
  type Protocol,
  type PublishedPort,
  shortContainerId,
} from './model/container-info.js';
export {
  ContainerPortMap,
  type EngineReport,
  type PortIndex,
  type PortKey,
  type PortRange,
  type PortRangeKey,
} from './model/container-port-map.js';
export {type ContainerStats, type CpuCounters, cpuPercentBetween} from './model/container-stats.js';
export {
  type HelperFinding,
  type HelperKind,
  type HelperResolution,
  type HelperRule,
  type HelperVerdict,
  judgeHelper,
} from './model/helper.js';
export {parseHostIp, parseIpAddress} from './model/ip.js';
export {type JoinInput, joinSnapshot} from './model/join.js';
export {LineRing} from './model/line-ring.js';
export type {PublishedServiceMatch} from './model/lookup.js';
export {lookupPublishedContainer, type PublishedContainerMatch} from './model/lookup.js';
export {parseRemoteRows, rowsFromRemote} from './model/remote-rows.js';
export type {RowHost, ServiceOnRow, SnapshotRow} from './model/snapshot-row.js';
export type {StopOutcome, StopReport} from './model/stop-outcome.js';
export {
  findLocalTask,
  findServicePort,
  joinSwarmServices,
  type ServicePort,
  type SwarmReport,
  type SwarmService,
  type SwarmTask,
  selectServicesOnPort,
} from './model/swarm.js';
export type {EngineProfile, HelperSpec, ProfileId} from './profiles/profile.js';
export {profiles} from './profiles/registry.js';
export {
  isCompatibleVersion,
  RemoteSnapshot,
  type RemoteSnapshotOptions,
  type RunRemote,
} from './remote-snapshot.js';
export {
  collectSnapshot,
  type HostSummary,
  isAbsentEngine,
  LiveSnapshot,
  type Snapshot,
  type SnapshotOptions,
  swarmWarnings,
} from './snapshot.js';
export {stopContainer, stopContainerOf, stopContainerWithReport} from './stop.js';
