// One amphora on this host: applies bundles (check → swap → start or hitless reload → verify,
// rolling back to the last-known-good bundle on failure), applies member-only changes through
// the runtime API, reports status, and adopts a HAProxy an earlier agent started.
// Operations on one amphora run one at a time, in arrival order.
import type {
  StatRow,
  AgentErrorBody, AmphoraStatus, AmphoraSummary, ApplyAction, ApplyConfigRequest, ApplyResult, ApplyRuntimeRequest,
  ConfigBundle, RuntimeAnswer,
} from '../protocol.ts';
import { AmphoraFiles } from './files.ts';
import type { AppliedState } from './files.ts';
import * as haproxy from './haproxy.ts';
import { HaproxyError } from './haproxy.ts';
import { isAlive } from './process.ts';
import { command, currentWorker, parseShowStat, session } from './runtime.ts';
import { filterServerState } from './serverstate.ts';
import type { UdpForwarder } from './udp.ts';
import { udpForwarder } from './udp-process.ts';
import { UDP_CONFIG_FILE } from '../../render/udp.ts';
import type { UdpConfig } from '../../render/udp.ts';
import * as ka from './keepalived.ts';
import type { MasterProc } from './runtime.ts';

/** Well past the peer's master_down_interval (3 × advert_int 0.1 s + skew): see watchKeepalived. */
const KEEPALIVED_RESTART_DELAY_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An error the API answers with `status` and an AgentErrorBody. */
export class AgentFailure extends Error {
  constructor(readonly status: number, readonly body: AgentErrorBody) {
    super(body.message);
  }
}

export interface AgentLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AmphoraRunOptions {
  /** The network namespace this amphora's HAProxy and keepalived run in. */
  netns?: string;
  keepalivedBin?: string;
}

export class Amphora {
  readonly files: AmphoraFiles;
  private state: AppliedState | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * UDP listeners, from the bundle's udp.json: served by the agent itself (udp.ts), or by a
   * child process inside the amphora's namespace when it has one (udp-process.ts).
   */
  private readonly udp: UdpForwarder;

  readonly keepalived: ka.KeepalivedPaths;
  /** The HAProxy master the watcher checks (ACTIVE_STANDBY only); undefined while none should run. */
  private watched: number | undefined;
  /** The track file says "down": HAProxy exited and keepalived was told. */
  private down = false;
  /** The keepalived the watcher checks (ACTIVE_STANDBY only); undefined while none should run or one is being started. */
  private vrrpPid: number | undefined;

  constructor(stateDir: string, readonly id: string, private readonly bin: string, private readonly log: AgentLog, opts: AmphoraRunOptions = {}) {
    this.files = new AmphoraFiles(stateDir, id, bin, opts.netns);
    this.keepalived = ka.keepalivedPaths(opts.keepalivedBin ?? '/usr/sbin/keepalived', this.files.dir, this.files.confDir, opts.netns);
    this.udp = udpForwarder(log, id, opts.netns);
    this.state = this.files.readState();
  }

  get applied(): AppliedState | undefined {
    return this.state;
  }

  /** Runs `fn` after every earlier operation on this amphora has finished. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The running master, or undefined: pid file, /proc and the master socket must all agree. */
  async master(): Promise<MasterProc | undefined> {
    const pid = haproxy.readPid(this.files.paths.pidFile);
    if (pid === undefined || !haproxy.isOurMaster(pid, this.files.paths.masterSocket)) return undefined;
    try {
      const proc = await haproxy.showProc(this.files.paths.masterSocket, 2000);
      return proc.masterPid === pid ? proc : undefined;
    } catch {
      return undefined;
    }
  }

  private checkGeneration(generation: number): void {
    if (this.state && generation < this.state.generation) {
      throw new AgentFailure(409, {
        code: 'stale_generation',
        message: `generation ${generation} is older than the applied generation ${this.state.generation}`,
      });
    }
  }

  private async stageAndCheck(bundle: ConfigBundle): Promise<string[]> {
    this.files.ensure();
    this.files.stage(bundle);
    try {
      if (bundle.files.some((f) => f.path === ka.KEEPALIVED_FILE)) await ka.checkConfig(this.keepalived.bin, this.files.stagingDir, this.keepalived.netns);
      return await haproxy.checkConfig(this.bin, this.files.stagingDir);
    } catch (err) {
      if (!(err instanceof HaproxyError)) throw err;
      throw new AgentFailure(422, { code: 'config_invalid', message: err.message, detail: err.detail });
    }
  }

  applyConfig(req: ApplyConfigRequest): Promise<ApplyResult> {
    return this.serialize(async () => this.withVrrp(req.bundle, await (async () => {
      const clock = new Clock();
      this.checkGeneration(req.generation);
      const running = await this.master();
      if (running && this.state?.sha256 === req.bundle.sha256) return this.unchanged(req, running, clock);
      return running ? this.checkAndReload(req, running, clock) : this.startFresh(req, clock);
    })()));
  }

  /** A running HAProxy only ever reloads onto a file `haproxy -c` accepted. */
  private async checkAndReload(req: ApplyConfigRequest, running: MasterProc, clock: Clock): Promise<ApplyResult> {
    const warnings = await this.stageAndCheck(req.bundle);
    clock.lap('check_ms');
    const proc = await this.switchTo(req, running);
    clock.lap('reload_ms');
    return this.result(req, 'reloaded', proc, clock, warnings);
  }

  /**
   * Nothing serves yet, so starting is the check: HAProxy parses the whole file before it
   * binds, and a file it starts with passes `haproxy -c` too. A check first would only delay
   * the first request (by 40–150 ms here). A file that does not start is then checked to tell
   * an invalid configuration (422) from a start failure.
   */
  private async startFresh(req: ApplyConfigRequest, clock: Clock): Promise<ApplyResult> {
    this.files.ensure();
    this.files.stage(req.bundle);
    const from = haproxy.logSize(this.files.paths.logFile);
    const proc = await this.switchTo(req, undefined);
    clock.lap('start_ms');
    return this.result(req, 'started', proc, clock, haproxy.logWarnings(this.files.paths.logFile, from));
  }

  applyRuntime(req: ApplyRuntimeRequest): Promise<ApplyResult> {
    return this.serialize(async () => this.withVrrp(req.bundle, await (async () => {
      const clock = new Clock();
      this.checkGeneration(req.generation);
      const socket = this.runtimeSocket(req);
      if (socket) {
        // Straight to the stats socket: a HAProxy answering there is running. The master is
        // asked afterwards, off the path of the change.
        const ran = await this.runCommands(socket, req.commands);
        clock.lap('commands_ms');
        const running = ran.reached ? await this.master() : undefined;
        if (running) return this.runtimeFirst(req, running, ran, clock);
      }
      const running = await this.master();
      if (running && this.state?.sha256 === req.bundle.sha256) return this.unchanged(req, running, clock);
      if (!running) return this.startFresh(req, clock);
      return this.checkAndReload(req, running, clock);
    })()));
  }

  /**
   * The stats socket the commands run on, when they apply: this amphora serves a bundle, the
   * commands were computed from that one (`base_sha256`), and the request changes something.
   */
  private runtimeSocket(req: ApplyRuntimeRequest): string | undefined {
    if (!this.state || req.bundle.sha256 === this.state.sha256) return undefined;
    if (req.base_sha256 !== undefined && req.base_sha256 !== this.state.sha256) return undefined;
    try {
      return haproxy.configDirectives(this.files.readConfig(), this.files.confDir).statsSocket;
    } catch {
      return undefined;
    }
  }

  /**
   * The commands take effect first, so a member is served as soon as HAProxy accepts it
   * rather than after a `haproxy -c` of the whole file (40–150 ms here). The file is checked
   * right after and goes in only if valid, so a reload never meets a file that would fail.
   * A file the check refuses (a renderer bug) is answered 422 after the commands are undone:
   * the current file is reloaded with the servers' state from just before them.
   */
  private async runtimeFirst(req: ApplyRuntimeRequest, running: MasterProc, ran: Ran, clock: Clock): Promise<ApplyResult> {
    const { snapshot, answers } = ran;
    let warnings: string[];
    try {
      warnings = await this.stageAndCheck(req.bundle);
      await this.applyUdp(req.bundle);
    } catch (err) {
      if (answers.some((a) => a.ok)) await this.undo(running, snapshot);
      throw err;
    }
    clock.lap('check_ms');
    this.files.install(req.bundle, this.state?.files ?? []);
    if (answers.length === req.commands.length && answers.every((a) => a.ok)) {
      this.record(req);
      return { ...this.result(req, 'runtime', running, clock, warnings), runtime: answers };
    }
    this.log.warn({ event: 'agent.runtime.fallback', amphora_id: this.id, failed: answers.find((a) => !a.ok) });
    const proc = await this.reloadOrRollback(req, running);
    clock.lap('reload_ms');
    return { ...this.result(req, 'runtime-fallback', proc, clock, warnings), runtime: answers };
  }

  /**
   * Runs the commands on one stats-socket session, after a `show servers state` kept for undo.
   * `reached` is false when nothing listens on the socket (HAProxy is not running).
   */
  private async runCommands(socket: string, commands: string[]): Promise<Ran> {
    try {
      const [state, ...answers] = await session(socket, [SNAPSHOT, ...commands], { timeoutMs: 10_000, connectRetryMs: 100 });
      if (state && !state.ok) return { reached: true, answers: [{ ...state, command: commands[0] ?? '' }] };
      return { reached: true, snapshot: state?.answer, answers };
    } catch (err) {
      const reached = !UNREACHED.has((err as NodeJS.ErrnoException).code ?? '');
      return { reached, answers: [{ command: commands[0] ?? '', ok: false, answer: `stats socket: ${(err as Error).message}` }] };
    }
  }

  /** Puts HAProxy back to what the installed file and the snapshot say (no state saved from now). */
  private async undo(running: MasterProc, snapshot: string | undefined): Promise<void> {
    try {
      const config = this.files.readConfig();
      const target = haproxy.configDirectives(config, this.files.confDir).serverStateFile;
      if (target && snapshot && /^\d+\n#/.test(snapshot)) this.files.writeServerState(target, filterServerState(snapshot, config));
      await haproxy.reload(this.files.paths, running);
      this.log.warn({ event: 'agent.runtime.undone', amphora_id: this.id });
    } catch (err) {
      this.log.error({ event: 'agent.runtime.undo_failed', amphora_id: this.id, error: (err as Error).message });
    }
  }

  /** Moves the UDP engine to the bundle's udp.json (none: no UDP listeners); binds before it closes. */
  private async applyUdp(bundle: ConfigBundle): Promise<void> {
    let config: UdpConfig | null;
    try {
      config = udpConfigOf(bundle);
    } catch (err) {
      throw new AgentFailure(422, { code: 'config_invalid', message: `${UDP_CONFIG_FILE}: ${(err as Error).message}` });
    }
    try {
      await this.udp.apply(config);
    } catch (err) {
      // The engine kept its listeners as they were, and HAProxy was not touched yet.
      throw new AgentFailure(500, { code: 'apply_failed', message: (err as Error).message, rolled_back: true });
    }
  }

  /** Installs the staged bundle (UDP first), then starts or reloads HAProxy onto it. */
  private async switchTo(req: ApplyConfigRequest, running: MasterProc | undefined): Promise<MasterProc> {
    await this.applyUdp(req.bundle);
    const previous = this.state?.files ?? [];
    this.files.install(req.bundle, previous);
    if (running) return this.reloadOrRollback(req, running);
    try {
      this.files.removePidFile();
      const proc = await haproxy.start(this.files.paths);
      this.record(req);
      return proc;
    } catch (err) {
      const invalid = await this.invalidConfig();
      const failure = await this.rollback(err, req.bundle);
      throw invalid ?? failure;
    }
  }

  /** After a failed start: 422 when `haproxy -c` refuses the installed file too. */
  private async invalidConfig(): Promise<AgentFailure | undefined> {
    try {
      await haproxy.checkConfig(this.bin, this.files.confDir);
      return undefined;
    } catch (err) {
      if (!(err instanceof HaproxyError)) return undefined;
      return new AgentFailure(422, { code: 'config_invalid', message: err.message, detail: err.detail });
    }
  }

  private async reloadOrRollback(req: ApplyConfigRequest, running: MasterProc): Promise<MasterProc> {
    try {
      await this.saveServerState();
      const proc = await haproxy.reload(this.files.paths, running);
      this.record(req);
      return proc;
    } catch (err) {
      throw await this.rollback(err, req.bundle);
    }
  }

  /**
   * Puts the last-known-good bundle back and reloads (or starts) it, so a bad bundle never
   * stays in place. Answers the failure to report. Without a last-known-good bundle (a first
   * apply that failed), the amphora's files are removed and it is forgotten.
   */
  private async rollback(cause: unknown, failed: ConfigBundle): Promise<AgentFailure> {
    const message = cause instanceof Error ? cause.message : String(cause);
    const detail = cause instanceof HaproxyError ? cause.detail : undefined;
    const lkg = this.files.readLastKnownGood();
    this.log.error({ event: 'agent.apply.failed', amphora_id: this.id, error: message, detail, lkg_generation: lkg?.generation });
    const failedPaths = failed.files.map((f) => f.path);
    if (!lkg) {
      const proc = await this.master();
      if (proc) await haproxy.stop(proc.masterPid, proc.workers.map((w) => w.pid));
      this.udp.close();
      this.files.removeAll();
      this.state = undefined;
      return new AgentFailure(500, { code: 'apply_failed', message, detail, rolled_back: false });
    }
    let note = `rolled back to generation ${lkg.generation}`;
    let rolledBack = true;
    try {
      this.files.restore(lkg.bundle.files, failedPaths);
      await this.udp.apply(udpConfigOf(lkg.bundle));
      const now = await this.master();
      if (now) await haproxy.reload(this.files.paths, now);
      else await haproxy.start(this.files.paths);
      this.state = {
        amphora_id: this.id, generation: lkg.generation, sha256: lkg.bundle.sha256,
        files: lkg.bundle.files.map((f) => f.path), applied_at: new Date().toISOString(),
      };
      this.files.writeState(this.state);
    } catch (err) {
      rolledBack = false;
      note = `rollback to generation ${lkg.generation} failed too: ${(err as Error).message}`;
    }
    return new AgentFailure(500, { code: 'apply_failed', message, detail: [detail, note].filter(Boolean).join('\n'), rolled_back: rolledBack });
  }

  /**
   * After HAProxy serves `bundle`: an ACTIVE_STANDBY bundle (one with keepalived.conf) gets
   * keepalived started or reloaded and the track file cleared; a bundle without one stops
   * keepalived. The watcher then follows this HAProxy master.
   */
  private async withVrrp(bundle: ConfigBundle, result: ApplyResult): Promise<ApplyResult> {
    const conf = bundle.files.find((f) => f.path === ka.KEEPALIVED_FILE);
    const pid = ka.runningPid(this.keepalived);
    if (!conf) {
      this.watched = undefined;
      this.vrrpPid = undefined;
      if (pid) await ka.stop(this.keepalived);
      return result;
    }
    this.watched = result.master_pid;
    this.setDown(false);
    // A first start skips `haproxy -c` (starting is the check), so keepalived.conf is checked here.
    if (result.action === 'started') await this.checkKeepalived(this.files.confDir);
    if (!pid) {
      this.vrrpPid = await ka.start(this.keepalived);
      this.log.info({ event: 'agent.keepalived.started', amphora_id: this.id, pid: this.vrrpPid, netns: this.keepalived.netns });
    } else {
      this.vrrpPid = pid;
      if (result.action !== 'unchanged') ka.reload(pid);
    }
    return result;
  }

  private async checkKeepalived(dir: string): Promise<void> {
    try {
      await ka.checkConfig(this.keepalived.bin, dir, this.keepalived.netns);
    } catch (err) {
      if (!(err instanceof HaproxyError)) throw err;
      throw new AgentFailure(422, { code: 'config_invalid', message: err.message, detail: err.detail });
    }
  }

  private setDown(down: boolean): void {
    if (this.down === down && down) return;
    ka.setTrack(this.files.confDir, down);
    this.down = down;
  }

  /**
   * Called every few milliseconds by the agent: when the HAProxy of an ACTIVE_STANDBY amphora
   * has exited, tell keepalived at once (track file → FAULT, the peer takes the VIP in ~0.1 s),
   * then start HAProxy again from the last-known-good bundle; once it serves, clear the track
   * file (with nopreempt the peer keeps the VIP: no second interruption).
   */
  watch(): void {
    this.watchKeepalived();
    const pid = this.watched;
    if (pid === undefined || this.down || isAlive(pid)) return;
    this.setDown(true);
    this.log.warn({ event: 'agent.haproxy.exited', amphora_id: this.id, master_pid: pid });
    void this.serialize(async () => {
      if (this.watched !== pid) return;
      this.watched = undefined;
      const lkg = this.files.readLastKnownGood();
      if (!lkg || !this.state) return;
      this.files.removePidFile();
      const proc = await haproxy.start(this.files.paths);
      this.watched = proc.masterPid;
      this.setDown(false);
      this.log.info({ event: 'agent.haproxy.restarted', amphora_id: this.id, master_pid: proc.masterPid });
    }).catch((err) => this.log.error({ event: 'agent.haproxy.restart_failed', amphora_id: this.id, error: (err as Error).message }));
  }

  /**
   * A keepalived that died (a crash, an OOM kill) leaves the VIP on this interface while the
   * peer claims it too, and leaves the pair without a standby: it is started again, after the
   * peer has had time to claim the VIP (this HAProxy serves it meanwhile: with an immediate
   * restart clients saw ~0.2 s of nothing, with the wait ~10 ms). It comes up BACKUP, removes
   * the VIPs it finds (keepalived does so at startup) and, with nopreempt, leaves the VIP where
   * the peer took it.
   */
  private watchKeepalived(): void {
    const pid = this.vrrpPid;
    if (pid === undefined || isAlive(pid)) return;
    this.vrrpPid = undefined;
    this.log.warn({ event: 'agent.keepalived.exited', amphora_id: this.id, pid });
    void sleep(KEEPALIVED_RESTART_DELAY_MS).then(() => this.serialize(async () => {
      if (this.vrrpPid !== undefined || !this.state?.files.includes(ka.KEEPALIVED_FILE)) return;
      // Its VRRP child may outlive it; a new keepalived must not run beside it.
      await ka.stop(this.keepalived, 200);
      this.vrrpPid = await ka.start(this.keepalived);
      this.log.info({ event: 'agent.keepalived.restarted', amphora_id: this.id, pid: this.vrrpPid });
    })).catch((err) => this.log.error({ event: 'agent.keepalived.restart_failed', amphora_id: this.id, error: (err as Error).message }));
  }

  /**
   * Before a reload, `show servers state` goes where the new config loads it from, so runtime
   * weights and maint survive; rows the new config contradicts are dropped (serverstate.ts).
   */
  private async saveServerState(): Promise<void> {
    const config = this.files.readConfig();
    const target = haproxy.configDirectives(config, this.files.confDir).serverStateFile;
    if (!target) return;
    try {
      const text = await command(this.files.paths.masterSocket, '@1 show servers state', { timeoutMs: 3000 });
      if (/^\d+\n#/.test(text)) this.files.writeServerState(target, filterServerState(text, config));
    } catch (err) {
      this.log.warn({ event: 'agent.server_state.unsaved', amphora_id: this.id, error: (err as Error).message });
    }
  }

  private record(req: ApplyConfigRequest): void {
    this.state = {
      amphora_id: this.id, generation: req.generation, sha256: req.bundle.sha256,
      files: req.bundle.files.map((f) => f.path), applied_at: new Date().toISOString(),
    };
    this.files.writeState(this.state);
    this.files.writeLastKnownGood({ generation: req.generation, bundle: req.bundle });
  }

  private unchanged(req: ApplyConfigRequest, proc: MasterProc, clock: Clock): ApplyResult {
    if (this.state && req.generation !== this.state.generation) {
      this.state = { ...this.state, generation: req.generation };
      this.files.writeState(this.state);
    }
    return this.result(req, 'unchanged', proc, clock, []);
  }

  private result(req: ApplyConfigRequest, action: ApplyAction, proc: MasterProc, clock: Clock, warnings: string[]): ApplyResult {
    return {
      amphora_id: this.id, generation: req.generation, sha256: req.bundle.sha256, action,
      master_pid: proc.masterPid, worker_pid: currentWorker(proc)?.pid ?? null, reloads: proc.reloads,
      duration_ms: clock.total(), timings: clock.laps, warnings,
    };
  }

  async summary(): Promise<AmphoraSummary> {
    const proc = await this.master();
    return {
      amphora_id: this.id, running: proc !== undefined, master_pid: proc?.masterPid ?? null,
      generation: this.state?.generation ?? 0, sha256: this.state?.sha256 ?? '',
    };
  }

  async status(): Promise<AmphoraStatus> {
    const proc = await this.master();
    let stats: AmphoraStatus['stats'] = [];
    if (proc) {
      try {
        stats = parseShowStat(await command(this.files.paths.masterSocket, '@1 show stat', { timeoutMs: 3000 }));
      } catch (err) {
        this.log.warn({ event: 'agent.stats.unavailable', amphora_id: this.id, error: (err as Error).message });
      }
    }
    stats = [...stats, ...this.udp.stats()];
    return {
      amphora_id: this.id, running: proc !== undefined, master_pid: proc?.masterPid ?? null,
      generation: this.state?.generation ?? 0, sha256: this.state?.sha256 ?? '', applied_at: this.state?.applied_at ?? '',
      reloads: proc?.reloads ?? 0, failed_reloads: proc?.failedReloads ?? 0, workers: proc?.workers ?? [], stats,
    };
  }

  closeUdp(): void {
    this.udp.close();
  }

  /** The UDP engine's rows (listeners, pools, members), for heartbeats. */
  udpStats(): StatRow[] {
    return this.udp.stats();
  }

  /** Stops HAProxy (by PID, master and workers) and removes every file of the amphora. */
  destroy(): Promise<void> {
    return this.serialize(async () => {
      this.watched = undefined;
      this.vrrpPid = undefined;
      // keepalived first: its priority-0 advert hands the VIP over before HAProxy goes.
      await ka.stop(this.keepalived);
      const proc = await this.master();
      if (proc) await haproxy.stop(proc.masterPid, proc.workers.map((w) => w.pid));
      this.udp.close();
      this.files.removeAll();
      this.state = undefined;
      this.log.info({ event: 'agent.amphora.deleted', amphora_id: this.id, master_pid: proc?.masterPid });
    });
  }

  /** At agent start: an ACTIVE_STANDBY amphora's keepalived is kept (or started) and its HAProxy watched. */
  private async adoptVrrp(masterPid: number): Promise<void> {
    if (!this.state?.files.includes(ka.KEEPALIVED_FILE)) return;
    this.watched = masterPid;
    this.setDown(false);
    this.vrrpPid = ka.runningPid(this.keepalived) ?? await ka.start(this.keepalived);
  }

  /**
   * At agent start: a running master is adopted as it is (traffic untouched); an amphora whose
   * HAProxy is gone (host restart) is started again from its last-known-good bundle.
   */
  adopt(): Promise<'adopted' | 'restarted' | 'idle'> {
    return this.serialize(async () => {
      const proc = await this.master();
      // The UDP engine lives in the agent (or its child): it starts again from the bundle last applied.
      const applied = this.files.readLastKnownGood();
      if (applied && this.state) await this.udp.apply(udpConfigOf(applied.bundle));
      if (proc) {
        this.log.info({ event: 'agent.amphora.adopted', amphora_id: this.id, master_pid: proc.masterPid, generation: this.state?.generation });
        await this.adoptVrrp(proc.masterPid);
        return 'adopted';
      }
      const lkg = this.files.readLastKnownGood();
      if (!lkg || !this.state) return 'idle';
      this.files.restore(lkg.bundle.files, this.state.files);
      this.files.removePidFile();
      const started = await haproxy.start(this.files.paths);
      this.state = { ...this.state, generation: lkg.generation, sha256: lkg.bundle.sha256, files: lkg.bundle.files.map((f) => f.path) };
      this.files.writeState(this.state);
      this.log.info({ event: 'agent.amphora.restarted', amphora_id: this.id, generation: lkg.generation });
      await this.adoptVrrp(started.masterPid);
      return 'restarted';
    });
  }
}

/** Time spent in each phase of one operation, for the controller's logs and the figures. */
class Clock {
  private readonly t0 = performance.now();
  private last = this.t0;
  readonly laps: Record<string, number> = {};
  lap(name: string): void {
    const now = performance.now();
    this.laps[name] = Math.round((now - this.last) * 10) / 10;
    this.last = now;
  }
  total(): number {
    return Math.round(performance.now() - this.t0);
  }
}

/** Kept before the commands run: the servers' state to go back to if the file is refused. */
const SNAPSHOT = 'show servers state';
/** Connecting to the stats socket failed this way: no HAProxy behind it. */
const UNREACHED = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);

interface Ran {
  reached: boolean;
  snapshot?: string;
  answers: RuntimeAnswer[];
}

function udpConfigOf(bundle: ConfigBundle): UdpConfig | null {
  const file = bundle.files.find((f) => f.path === UDP_CONFIG_FILE);
  return file ? (JSON.parse(file.content) as UdpConfig) : null;
}
